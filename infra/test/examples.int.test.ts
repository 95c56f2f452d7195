/**
 * The downstream examples keep working: alerts written with shared's `alertCodec()` are read back by the
 * TypeScript example (through @sensor-pipeline/shared) and by the Python example (from the published
 * alert.avsc alone, with its own fingerprint check), every field intact; a bad record and a redelivered
 * alert on the way are skipped and deduplicated, not fatal.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Alert, alertCodec } from '@sensor-pipeline/shared';
import { describe, expect, it } from 'vitest';
import { bootstrapServers, createTopics, produceRaw, uniqueName } from '../../test/kafka.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const PYTHON = `${REPO}.venv-examples/bin/python`;

function sampleAlerts(count: number): Alert[] {
  const rules = ['temperature-high', 'cpu-high', 'memory-high', 'device-silent'];
  return Array.from({ length: count }, (_, i) => {
    const resolved = i % 3 === 2;
    const startsAt = 1_735_689_600_000 + i * 1_000;
    return {
      eventId: `evt-${i.toString().padStart(4, '0')}-${'x'.repeat(i % 5)}`,
      fingerprint: `fp-${i % 7}`,
      status: resolved ? 'RESOLVED' : 'FIRING',
      rule: rules[i % rules.length]!,
      severity: i % 2 ? 'warning' : 'critical',
      deviceId: `site-${i % 2 ? 'b' : 'a'}/dev-${String(i).padStart(4, '0')}`,
      metric: ['temperature', 'cpu', 'memory'][i % 3]!,
      statistic: i % 4 === 3 ? 'silence' : 'mean',
      condition: i % 4 === 3 ? 'absent' : 'above',
      value: i === 0 ? -12.345678901234567 : 80 + i / 7,
      threshold: 80.5,
      startsAt,
      endsAt: resolved ? startsAt + 45_123 : null,
      window: {
        spec: 'time:30s',
        start: startsAt - 30_000,
        end: startsAt,
        count: 30 + i,
        mean: 81.25,
        median: 81.5,
        min: 79.125,
        max: 95.0625,
      },
      labels:
        i % 4 === 0 ? ({} as Record<string, string>) : { region: 'eu-west', room: `räum-${i}`, 'emoji 🔥': 'yes' },
      summary: `site device ${i} temperature ${80 + i}°C above 80°C — “quoted”`,
    } satisfies Alert;
  });
}

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(command: string, args: readonly string[], timeoutMs = 90_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: REPO,
      env: { ...process.env, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** One partition, in this order: alerts 0..n-2, a bad record, alert 0 again (a redelivery), alert n-1. */
async function topicWithAlerts(alerts: readonly Alert[]): Promise<string> {
  const [topic] = await createTopics([uniqueName('example-alerts')]);
  const codec = alertCodec();
  const message = (a: Alert) => ({ key: a.deviceId, value: codec.encode(a) });
  await produceRaw(topic!, [
    ...alerts.slice(0, -1).map(message),
    { key: 'garbage', value: Buffer.from('not avro at all') },
    message(alerts[0]!),
    message(alerts.at(-1)!),
  ]);
  return topic!;
}

function expectEveryAlert(run: Run, alerts: readonly Alert[]): void {
  expect(run.code, run.stderr).toBe(0);
  const lines = run.stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { key: string; partition: number; offset: number; alert: Alert });
  expect(lines).toHaveLength(alerts.length);
  const byId = new Map(lines.map((l) => [l.alert.eventId, l]));
  for (const alert of alerts) {
    const line = byId.get(alert.eventId);
    expect(line, `alert ${alert.eventId}`).toBeDefined();
    expect(line!.alert).toEqual(alert);
    expect(line!.key).toBe(alert.deviceId);
  }
  expect(run.stderr).toMatch(new RegExp(`${alerts.length} alerts, 1 duplicates skipped, 1 undecodable`));
}

describe('downstream consumer examples', () => {
  it('the Python example decodes every alert from alert.avsc alone', async () => {
    if (!existsSync(PYTHON)) {
      throw new Error(
        `${PYTHON} is missing: run scripts/install.sh (it creates .venv-examples from examples/python/requirements.txt)`,
      );
    }
    const alerts = sampleAlerts(25);
    const topic = await topicWithAlerts(alerts);
    const result = await run(PYTHON, [
      'examples/python/consume_alerts.py',
      '--bootstrap-servers',
      bootstrapServers(),
      '--topic',
      topic,
      '--from-beginning',
      '--max',
      String(alerts.length),
      '--timeout',
      '60',
    ]);
    expectEveryAlert(result, alerts);
    expect(result.stderr).toMatch(/skipping .*not Avro single-object encoding/);
  });

  it('the TypeScript example decodes every alert with @sensor-pipeline/shared', async () => {
    const alerts = sampleAlerts(25);
    const topic = await topicWithAlerts(alerts);
    const result = await run(process.execPath, [
      '--import',
      'tsx',
      'examples/typescript/consume-alerts.ts',
      '--bootstrap-servers',
      bootstrapServers(),
      '--topic',
      topic,
      '--from-beginning',
      '--max',
      String(alerts.length),
      '--timeout-ms',
      '60000',
    ]);
    expectEveryAlert(result, alerts);
    expect(result.stderr).toMatch(/skipping .*DECODE_BAD_MAGIC/);
  });

  it('the Python example refuses records of another schema, naming both fingerprints', async () => {
    if (!existsSync(PYTHON)) throw new Error(`${PYTHON} is missing: run scripts/install.sh`);
    const [topic] = await createTopics([uniqueName('example-alerts-other')]);
    const other = Buffer.concat([Buffer.from([0xc3, 0x01]), Buffer.alloc(8, 0xab), Buffer.from([0x02, 0x41])]);
    const alert = sampleAlerts(1)[0]!;
    await produceRaw(topic!, [
      { key: 'x', value: other },
      { key: alert.deviceId, value: alertCodec().encode(alert) },
    ]);
    const result = await run(PYTHON, [
      'examples/python/consume_alerts.py',
      '--bootstrap-servers',
      bootstrapServers(),
      '--topic',
      topic!,
      '--from-beginning',
      '--max',
      '1',
      '--timeout',
      '60',
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(
      /written with another schema: fingerprint abababababababab, this reader's is [0-9a-f]{16}/,
    );
    expect(JSON.parse(result.stdout.trim()).alert).toEqual(alert);
  });
});
