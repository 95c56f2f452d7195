/**
 * `sensor-pipeline tail` against the real broker: alerts, stats and DLQ records come out decoded, as JSON
 * lines or human lines, with the DLQ's `dlq.*` headers.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  type Alert,
  alertCodec,
  dlqHeaders,
  TOPIC_ENV,
  type WindowStats,
  windowStatsCodec,
} from '@sensor-pipeline/shared';
import { describe, expect, it } from 'vitest';
import { bootstrapServers, createTopics, produceRaw, uniqueName } from '../../test/kafka.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const CLI = `${REPO}infra/dist/sensor-pipeline.js`;

function tail(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run pnpm build first`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'tail', ...args, '--bootstrap-servers', bootstrapServers()], {
      cwd: REPO,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const alert = (i: number, status: 'FIRING' | 'RESOLVED'): Alert => ({
  eventId: `tail-${i}-${status}`,
  fingerprint: `fp-${i}`,
  status,
  rule: 'temperature-high',
  severity: 'critical',
  deviceId: `site-a/dev-${i}`,
  metric: 'temperature',
  statistic: 'mean',
  condition: 'above',
  value: 85 + i,
  threshold: 80,
  startsAt: 1_735_689_600_000,
  endsAt: status === 'RESOLVED' ? 1_735_689_660_000 : null,
  window: {
    spec: 'time:30s',
    start: 1_735_689_570_000,
    end: 1_735_689_600_000,
    count: 30,
    mean: 85,
    median: 85,
    min: 80,
    max: 90,
  },
  labels: {},
  summary: `dev-${i} hot`,
});

describe('sensor-pipeline tail', () => {
  it('prints alerts as JSON lines, every field decoded, and stops after --max', async () => {
    const [topic] = await createTopics([{ topic: uniqueName('tail-alerts'), numPartitions: 3 }]);
    const alerts = [0, 1, 2, 3].flatMap((i) => [alert(i, 'FIRING'), alert(i, 'RESOLVED')]);
    await produceRaw(
      topic!,
      alerts.map((a) => ({ key: a.deviceId, value: alertCodec().encode(a) })),
    );
    const result = await tail(['alerts', '--json', '--from-beginning', '--max', String(alerts.length)], {
      [TOPIC_ENV.alerts]: topic!,
    });
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { key: string; value: Alert; topic: string });
    expect(lines.map((l) => l.value).sort((a, b) => a.eventId.localeCompare(b.eventId))).toEqual(
      [...alerts].sort((a, b) => a.eventId.localeCompare(b.eventId)),
    );
    expect(lines.every((l) => l.key === l.value.deviceId && l.topic === topic)).toBe(true);
    // per device, FIRING comes before RESOLVED: same key, same partition, in order
    for (let i = 0; i < 4; i++) {
      const statuses = lines.filter((l) => l.key === `site-a/dev-${i}`).map((l) => l.value.status);
      expect(statuses).toEqual(['FIRING', 'RESOLVED']);
    }
  });

  it('prints stats and DLQ records as human lines, with the dlq.* headers', async () => {
    const [stats, dlq] = await createTopics([uniqueName('tail-stats'), uniqueName('tail-dlq')]);
    const s: WindowStats = {
      deviceId: 'site-b/dev-0004',
      metric: 'memory',
      window: 'time:1m',
      windowStart: 0,
      windowEnd: 60_000,
      count: 60,
      mean: 86.5,
      median: 86,
      min: 80,
      max: 97,
      stddev: 4.25,
    };
    await produceRaw(stats!, [{ key: s.deviceId, value: windowStatsCodec().encode(s) }]);
    const headers = dlqHeaders(
      { topic: 'sensor.readings', partition: 4, offset: '1234' },
      { code: 'DECODE_BAD_MAGIC', message: 'not Avro' },
      'processor/decode',
      1_735_689_600_000,
    );
    await produceRaw(dlq!, [{ key: 'site-a/dev-0001', value: Buffer.from('garbage bytes here'), headers }]);
    const env = { [TOPIC_ENV.stats]: stats!, [TOPIC_ENV.readingsDlq]: dlq! };
    const statsOut = await tail(['stats', '--from-beginning', '--max', '1'], env);
    expect(statsOut.code, statsOut.stderr).toBe(0);
    expect(statsOut.stdout).toMatch(
      /site-b\/dev-0004 memory time:1m n=60 mean=86\.5 median=86 min=80 max=97 stddev=4\.25/,
    );
    const dlqOut = await tail(['dlq', '--from-beginning', '--max', '1'], env);
    expect(dlqOut.code, dlqOut.stderr).toBe(0);
    expect(dlqOut.stdout).toContain(
      `undecodable (DECODE_BAD_MAGIC): ${Buffer.from('garbage bytes here').toString('hex')}`,
    );
    expect(dlqOut.stdout).toMatch(
      /dlq\.source\.topic=sensor\.readings\n\s+dlq\.source\.partition=4\n\s+dlq\.source\.offset=1234/,
    );
    expect(dlqOut.stdout).toContain('dlq.error.message=not Avro');
  });

  it('with --group, continues where the group stopped', async () => {
    const [topic] = await createTopics([uniqueName('tail-group')]);
    await produceRaw(
      topic!,
      [0, 1, 2, 3].map((i) => ({ key: `d${i}`, value: alertCodec().encode(alert(i, 'FIRING')) })),
    );
    const group = uniqueName('tail-group');
    const env = { [TOPIC_ENV.alerts]: topic! };
    const first = await tail(['alerts', '--json', '--from-beginning', '--group', group, '--max', '2'], env);
    const second = await tail(['alerts', '--json', '--from-beginning', '--group', group, '--max', '2'], env);
    const ids = (out: string) =>
      out
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { value: Alert }).value.eventId);
    expect([...ids(first.stdout), ...ids(second.stdout)]).toEqual([0, 1, 2, 3].map((i) => `tail-${i}-FIRING`));
  });
});
