/**
 * The simulator against the real broker: what is produced is what a consumer reads and decodes, per device
 * in order; the same seed gives the same bytes; poison arrives at the asked rate; the CLI exits with the
 * right status, stops cleanly on SIGTERM, and refuses a bad scenario before touching Kafka.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type SensorReading, sensorReadingCodec } from '@sensor-pipeline/shared';
import { describe, expect, it } from 'vitest';
import {
  bootstrapServers,
  type ConsumedMessage,
  consumeMessages,
  createTopics,
  kafkaSettings,
  testLogger,
  uniqueName,
  waitFor,
} from '../../../test/kafka.js';
import { planRun } from '../src/core/plan-run.js';
import { POISON_KINDS } from '../src/core/poison.js';
import { startSimulator } from '../src/kafka/start-simulator.js';
import { defineScenario } from '../src/scenario/load-scenario.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const DEMO = join(ROOT, 'config/scenarios/demo.yaml');
const codec = sensorReadingCodec();

const scenario = defineScenario({
  name: 'int',
  interval: '1s',
  fleet: {
    sites: [
      { name: 'site-a', devices: 30, labels: { region: 'eu' } },
      { name: 'site-b', devices: 20 },
    ],
  },
  faults: [
    { kind: 'overheat', devices: ['site-a/dev-0002'], at: '10s', for: '30s', ramp: '5s' },
    { kind: 'memory-leak', devices: ['site-b/dev-0003'], at: '5s', ratePercentPerMinute: 200 },
    { kind: 'dropout', devices: ['site-a/dev-0010'], at: '20s', for: '20s' },
  ],
});

async function produce(topic: string, options: { seed: number; count: number; poisonRate?: number }) {
  const plan = planRun(scenario, { seed: options.seed, count: options.count, poisonRate: options.poisonRate });
  const running = await startSimulator({
    plan,
    pace: { kind: 'fast' },
    topic,
    kafka: kafkaSettings('simulator-int'),
    logger: testLogger,
    tuning: { lingerMs: 5 },
  });
  return running.done;
}

/** Values by device id, each list in offset order (the key decides the partition, so this is delivery order). */
function byDevice(messages: readonly ConsumedMessage[]): Map<string, Buffer[]> {
  const sorted = [...messages].sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)));
  const out = new Map<string, Buffer[]>();
  for (const m of sorted) {
    const key = m.key!.toString('utf8');
    out.set(key, [...(out.get(key) ?? []), m.value!]);
  }
  return out;
}

function runCli(
  args: readonly string[],
  options: { killAfterMs?: number } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=source', CLI, ...args], {
      cwd: ROOT,
      env: { ...process.env, KAFKA_BOOTSTRAP_SERVERS: bootstrapServers(), LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    if (options.killAfterMs !== undefined) {
      // stop it once it has produced for a while
      void waitFor(() => stdout.includes('"msg":"simulation started"'), { timeoutMs: 60_000 }).then(() =>
        setTimeout(() => child.kill('SIGTERM'), options.killAfterMs),
      );
    }
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function summaryOf(stdout: string): Record<string, unknown> {
  const line = stdout.split('\n').find((l) => l.includes('"msg":"summary'));
  if (!line) throw new Error(`no summary in output:\n${stdout.slice(-2_000)}`);
  return JSON.parse(line) as Record<string, unknown>;
}

describe('simulator against Kafka', () => {
  it('N readings produced are N consumed and decoded, in order per device, values in range', async () => {
    const [topic] = await createTopics([uniqueName('sim-readings')], { partitions: 4 });
    const count = 20_000;
    const summary = await produce(topic!, { seed: 1, count });
    expect(summary).toMatchObject({
      produced: count,
      acked: count,
      failed: 0,
      unconfirmed: 0,
      ok: true,
      reason: 'complete',
    });

    const messages = await consumeMessages(topic!, { count, timeoutMs: 60_000 });
    expect(messages).toHaveLength(count);
    const devices = byDevice(messages);
    expect(devices.size).toBe(50);
    const limits: Record<string, [number, number]> = { temperature: [-40, 125], cpu: [0, 100], memory: [0, 100] };
    for (const [id, values] of devices) {
      const readings: SensorReading[] = values.map((v) => codec.decode(v));
      readings.forEach((r, i) => {
        expect(r.deviceId).toBe(id);
        expect(r.seq).toBe(i); // every reading there, in order
        if (i > 0) expect(r.timestamp).toBeGreaterThanOrEqual(readings[i - 1]!.timestamp);
        expect(r.value).toBeGreaterThanOrEqual(limits[r.metric]![0]);
        expect(r.value).toBeLessThanOrEqual(limits[r.metric]![1]);
        expect(r.labels['site']).toBe(id.split('/')[0]);
      });
    }
    // the faults are visible in the data
    const hot = devices
      .get('site-a/dev-0002')!
      .map((v) => codec.decode(v))
      .filter((r) => r.metric === 'temperature');
    expect(Math.max(...hot.map((r) => r.value))).toBeGreaterThan(85);
  });

  it('the same seed gives the same bytes, per device, as the offline stream', async () => {
    const [a, b, c] = await createTopics(
      [uniqueName('sim-seed-a'), uniqueName('sim-seed-b'), uniqueName('sim-seed-c')],
      { partitions: 3 },
    );
    const count = 6_000;
    await produce(a!, { seed: 42, count, poisonRate: 0.02 });
    await produce(b!, { seed: 42, count, poisonRate: 0.02 });
    await produce(c!, { seed: 43, count, poisonRate: 0.02 });
    const [ma, mb, mc] = await Promise.all([a!, b!, c!].map((t) => consumeMessages(t, { count, timeoutMs: 60_000 })));
    const da = byDevice(ma!);
    expect(byDevice(mb!)).toEqual(da);
    expect(byDevice(mc!)).not.toEqual(da);

    const { source } = planRun(scenario, { seed: 42, count, poisonRate: 0.02 });
    const offline = new Map<string, Buffer[]>();
    for (let m = source.next(); m; m = source.next()) {
      const key = m.key.toString();
      offline.set(key, [...(offline.get(key) ?? []), m.value]);
    }
    expect(da).toEqual(offline);
  });

  it('injects poison records at the asked rate, keyed by device, of every kind', async () => {
    const [topic] = await createTopics([uniqueName('sim-poison')], { partitions: 2 });
    const count = 20_000;
    const rate = 0.05;
    const summary = await produce(topic!, { seed: 7, count, poisonRate: rate });
    expect(summary.ok).toBe(true);
    const messages = await consumeMessages(topic!, { count, timeoutMs: 60_000 });
    const found = { undecodable: 0, nan: 0, future: 0 };
    const year = 365 * 86_400_000;
    for (const m of messages) {
      expect(m.key?.toString()).toMatch(/^site-[ab]\/dev-\d{4}$/);
      const result = codec.safeDecode(m.value);
      if (!result.ok) found.undecodable++;
      else if (Number.isNaN(result.value.value)) found.nan++;
      else if (result.value.timestamp > Date.now() + year) found.future++;
    }
    const poisoned = found.undecodable + found.nan + found.future;
    expect(poisoned).toBe(summary.poisonTotal);
    expect(poisoned / count).toBeGreaterThan(rate * 0.85);
    expect(poisoned / count).toBeLessThan(rate * 1.15);
    expect(found.undecodable).toBe(summary.poison['random-bytes'] + summary.poison['truncated-avro']);
    expect(found.nan).toBe(summary.poison['nan-value']);
    expect(found.future).toBe(summary.poison['future-timestamp']);
    for (const kind of POISON_KINDS) expect(summary.poison[kind]).toBeGreaterThan(0);
  });

  it('CLI: produces --count readings, reports them all acknowledged and exits 0', async () => {
    const topic = uniqueName('sim-cli');
    const result = await runCli([
      '--scenario',
      DEMO,
      '--seed',
      '1',
      '--count',
      '3000',
      '--topic',
      topic,
      '--create-topic',
      '--partitions',
      '2',
      '--no-progress',
    ]);
    expect(result.code, result.stderr + result.stdout.slice(-2_000)).toBe(0);
    expect(summaryOf(result.stdout)).toMatchObject({
      produced: 3_000,
      acked: 3_000,
      failed: 0,
      ok: true,
      reason: 'complete',
      seed: '1',
    });
    const messages = await consumeMessages(topic, { count: 3_000, timeoutMs: 60_000 });
    expect(messages).toHaveLength(3_000);
  });

  it('CLI: SIGTERM during a real-time run flushes what is in flight and exits 0 with a summary', async () => {
    const topic = uniqueName('sim-sigterm');
    const result = await runCli(['--scenario', DEMO, '--topic', topic, '--create-topic', '--no-progress'], {
      killAfterMs: 2_500,
    });
    expect(result.code, result.stderr + result.stdout.slice(-2_000)).toBe(0);
    const summary = summaryOf(result.stdout);
    expect(summary).toMatchObject({ reason: 'stopped', ok: true, failed: 0, unconfirmed: 0 });
    expect(summary['produced']).toBeGreaterThan(0);
    expect(summary['acked']).toBe(summary['produced']);
    const messages = await consumeMessages(topic, { count: summary['produced'] as number, timeoutMs: 30_000 });
    expect(messages).toHaveLength(summary['produced'] as number);
  });

  it('CLI: a bad scenario file exits 2 naming file, line and field, before touching Kafka', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sim-cli-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      'name: bad\ninterval: 1s\nfleet:\n  sites:\n    - name: site-a\n      devices: 2\nfaults:\n  - kind: overheat\n    devices: [site-a/dev-0009]\n',
    );
    const result = await runCli(['--scenario', file, '--bootstrap-servers', '127.0.0.1:1']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${file}:9:15 faults[0].devices[0]: no device "site-a/dev-0009"`);
    // refused before touching Kafka: the broker address is unreachable and nothing was started
    expect(result.stdout).not.toContain('starting simulator');
  });

  it('CLI: an endless scenario path and a duration without a unit exit 2, located, before touching Kafka', async () => {
    const endless = await runCli(['--scenario', '/dev/urandom', '--bootstrap-servers', '127.0.0.1:1']);
    expect(endless.code).toBe(2);
    expect(endless.stderr).toContain('/dev/urandom: cannot read config file: it is a character device');
    const file = join(mkdtempSync(join(tmpdir(), 'sim-cli-')), 'bare.yaml');
    writeFileSync(file, 'name: bare\ninterval: 1000\nfleet:\n  sites:\n    - name: site-a\n      devices: 2\n');
    const bare = await runCli(['--scenario', file, '--bootstrap-servers', '127.0.0.1:1']);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain(`${file}:2:11 interval: a bare number is not a duration`);
    expect(bare.stdout).not.toContain('starting simulator');
  });

  it('CLI: counts and logs readings the broker refuses, and exits 1', async () => {
    // a topic that takes no record batch bigger than 100 bytes: the broker refuses every batch, for good
    const [topic] = await createTopics([
      { topic: uniqueName('sim-refused'), numPartitions: 1, config: { 'max.message.bytes': '100' } },
    ]);
    const result = await runCli(['--count', '500', '--topic', topic!, '--delivery-timeout', '10s', '--no-progress']);
    expect(result.code, result.stdout.slice(-2_000)).toBe(1);
    const summary = summaryOf(result.stdout);
    expect(summary).toMatchObject({ produced: 500, ok: false });
    expect((summary['failed'] as number) + (summary['acked'] as number)).toBe(500);
    expect(summary['failed']).toBeGreaterThan(0);
    expect(Object.keys(summary['failures'] as object).join()).toMatch(/too large|MSG_SIZE|size/i);
    expect(result.stdout).toContain('messages not acknowledged after retries');
  });
});
