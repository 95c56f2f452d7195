/**
 * The one-command launcher, end to end: `sensor-pipeline up` against the test broker (no broker of its
 * own), unique topic names, the simulator as fast as it can over the demo scenario. It must bring every
 * service up, the sink must receive the FIRING and RESOLVED alert of every fault the demo scenario's
 * notes promise; SIGHUP must be passed on to every running service, each of which notes it (processor and
 * alerting reload their config) and goes on, the launcher too; and SIGINT must stop everything in order: exit
 * status 0 and no process left behind.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TOPIC_ENV, type TopicRole } from '@sensor-pipeline/shared';
import { describe, expect, it, onTestFinished } from 'vitest';
import { bootstrapServers, deleteTopics, sleep, uniqueName } from '../../test/kafka.js';
import { LineFollower } from '../src/launcher/line-follower.js';
import { alive } from '../src/launcher/run-record.js';
import { parseSinkLine, type SinkEvent } from '../src/launcher/sink-events.js';
import { SINK_PATH, START_ORDER } from '../src/pipeline-services.js';
import { parseYaml } from './yaml-parser.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(REPO, 'infra/dist/sensor-pipeline.js');

interface Expected {
  readonly rule: string;
  readonly deviceId: string;
}

/** From config/scenarios/demo.yaml: every fault whose note says `<rule> fires ..., resolves ...`, per device. */
function promisedAlerts(): Expected[] {
  const scenario = parseYaml(readFileSync(join(REPO, 'config/scenarios/demo.yaml'), 'utf8')) as {
    faults?: { devices?: string[]; note?: string }[];
  };
  const out: Expected[] = [];
  for (const fault of scenario.faults ?? []) {
    const m = /^([a-z][a-z0-9-]*) fires\b.*\bresolves\b/.exec(fault.note ?? '');
    if (!m) continue;
    for (const deviceId of fault.devices ?? []) out.push({ rule: m[1]!, deviceId });
  }
  return out;
}

async function portsFree(base: number, count: number): Promise<boolean> {
  for (let port = base; port < base + count; port++) {
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (!free) return false;
  }
  return true;
}

async function freePortBase(count: number): Promise<number> {
  for (let i = 0; i < 50; i++) {
    // below Linux's ephemeral range (32768–60999): there, any client connection of a test running alongside
    // (a Kafka client, an HTTP request) may take one of the ports as its source port between this check and
    // the service's listen (seen: EADDRINUSE on the console's port)
    const base = 20_000 + Math.floor(Math.random() * (32_768 - 20_000 - count));
    if (await portsFree(base, count)) return base;
  }
  throw new Error('no free port range found');
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null)
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

describe('sensor-pipeline up', () => {
  it('runs the demo scenario to the promised FIRING and RESOLVED alerts, passes SIGHUP on, and stops cleanly on SIGINT', async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run pnpm build first`);
    const expected = promisedAlerts();
    expect(expected.length, 'config/scenarios/demo.yaml promises alerts in its fault notes').toBeGreaterThan(0);

    const runDir = mkdtempSync(join(tmpdir(), 'launcher-test-'));
    const prefix = uniqueName('launcher');
    const topicEnv = Object.fromEntries(
      (Object.entries(TOPIC_ENV) as [TopicRole, string][]).map(([role, name]) => [name, `${prefix}.${role}`]),
    );
    const base = await freePortBase(5); // sink webhook, three ops ports, the web console
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...topicEnv,
      PROCESSOR_GROUP_ID: `${prefix}-processor`,
      KAFKA_BOOTSTRAP_SERVERS: bootstrapServers(),
      LOG_LEVEL: 'info',
    };
    delete env['SINK_SECRET']; // the launcher generates a demo secret

    const child = spawn(
      process.execPath,
      [
        CLI,
        'up',
        '--no-broker',
        '--port-base',
        String(base),
        '--run-dir',
        runDir,
        '--fast',
        '--simulator-args',
        '--duration 200s',
        '--plain',
        '--ready-timeout',
        '60s',
      ],
      { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const servicePids = new Set<number>();
    onTestFinished(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      for (const pid of servicePids) {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
      await deleteTopics(Object.values(topicEnv));
      rmSync(runDir, { recursive: true, force: true });
    });

    const logs = (): string =>
      START_ORDER.map((name) => {
        const file = join(runDir, 'logs', `${name}.log`);
        const text = existsSync(file) ? readFileSync(file, 'utf8').split('\n').slice(-30).join('\n') : '(no log)';
        return `--- ${name}.log (last lines) ---\n${text}`;
      }).join('\n');
    const fail = (why: string): never => {
      throw new Error(`${why}\n--- launcher output ---\n${output}\n${logs()}`);
    };

    // watch the sink and the run record until every promised alert has fired and resolved
    const sink = new LineFollower(join(runDir, 'logs', 'sink.log'), { fromStart: true });
    const seen: SinkEvent[] = [];
    const has = (status: string, e: Expected) =>
      seen.some((s) => s.status === status && s.rule === e.rule && s.deviceId === e.deviceId);
    const missing = () =>
      expected.flatMap((e) =>
        ['FIRING', 'RESOLVED'].filter((status) => !has(status, e)).map((status) => `${status} ${e.rule} ${e.deviceId}`),
      );
    const deadline = Date.now() + 180_000;
    for (;;) {
      for (const line of sink.poll()) {
        const event = parseSinkLine(line);
        if (event && event.path === SINK_PATH) seen.push(event);
      }
      const record = join(runDir, 'launcher.json');
      if (existsSync(record)) {
        try {
          const services = (JSON.parse(readFileSync(record, 'utf8')) as { services: Record<string, { pid: number }> })
            .services;
          for (const { pid } of Object.values(services)) servicePids.add(pid);
        } catch {
          // being rewritten
        }
      }
      if (missing().length === 0) break;
      if (child.exitCode !== null || child.signalCode !== null)
        fail(
          `the launcher exited (${child.exitCode ?? child.signalCode}) before the alerts arrived; missing: ${missing().join(', ')}`,
        );
      if (Date.now() > deadline)
        fail(`the sink did not receive every promised alert in 180 s; missing: ${missing().join(', ')}`);
      await sleep(250);
    }
    const unexpected = seen.filter((s) => !expected.some((e) => e.rule === s.rule && e.deviceId === s.deviceId));
    if (unexpected.length > 0)
      console.warn(
        `alerts the demo scenario does not promise: ${unexpected.map((u) => `${u.status} ${u.rule} ${u.deviceId}`).join(', ')}`,
      );
    expect(servicePids.size).toBe(START_ORDER.length);

    // SIGHUP, the reload signal: passed on to every running service, each notes it in its log and goes on
    const logOf = (name: string): string => {
      const file = join(runDir, 'logs', `${name}.log`);
      return existsSync(file) ? readFileSync(file, 'utf8') : '';
    };
    const sighupsBefore = Object.fromEntries(START_ORDER.map((name) => [name, logOf(name).split('SIGHUP').length]));
    child.kill('SIGHUP');
    let passedTo: string[] | undefined;
    for (const until = Date.now() + 60_000; ; await sleep(200)) {
      const m = /SIGHUP: passed on to ([a-z, ]+)/.exec(output);
      passedTo = m ? m[1]!.split(', ') : undefined;
      if (passedTo?.every((name) => logOf(name).split('SIGHUP').length > sighupsBefore[name]!)) break;
      if (child.exitCode !== null || child.signalCode !== null)
        fail(`the launcher exited (${child.exitCode ?? child.signalCode}) on SIGHUP`);
      if (Date.now() > until) fail(`SIGHUP did not reach every service (passed on to: ${passedTo?.join(', ')})`);
    }
    expect(passedTo).toEqual(expect.arrayContaining(['sink', 'alerting', 'processor', 'console']));
    expect(child.exitCode).toBeNull();
    expect(output).not.toMatch(/SIGHUP: stopping/);

    child.kill('SIGINT');
    const result = await Promise.race([exited(child), sleep(120_000).then(() => undefined)]);
    if (!result) fail('the launcher did not stop within 120 s of SIGINT');
    if (result!.code !== 0) fail(`the launcher exited with ${result!.code ?? result!.signal} after SIGINT`);
    expect(output).toMatch(/stopped cleanly/);
    expect(output).toMatch(/readings .*processed \(\d[\d,]*\)/); // the live view's status line
    expect(output).toMatch(/sink received FIRING/);
    expect(output).toContain(`web console: http://127.0.0.1:${base + 4}`);
    expect(output).toMatch(/firing now /); // the live view lists the console's firing set
    for (const name of ['simulator', 'processor', 'alerting', 'sink'])
      expect(output).toMatch(new RegExp(`${name} stopped \\(exit code 0`));
    expect(output.indexOf('simulator stopped')).toBeLessThan(output.indexOf('processor stopped'));
    expect(output.indexOf('processor stopped')).toBeLessThan(output.indexOf('alerting stopped'));
    expect(output.indexOf('alerting stopped')).toBeLessThan(output.indexOf('sink stopped'));
    const left = [...servicePids].filter((pid) => alive(pid));
    expect(left, `processes left behind: ${left.join(', ')}`).toEqual([]);
    expect(existsSync(join(runDir, 'launcher.json'))).toBe(false);
  }, 360_000);
});
