/**
 * The `alerting` process as operators run it: SIGKILL mid-delivery and a restart lose nothing (duplicates
 * only with the same webhook-id), SIGTERM drains and commits, and config errors stop the process with
 * file, line and field before it touches Kafka.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alertCodec } from '@sensor-pipeline/shared';
import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it } from 'vitest';
import {
  bootstrapServers,
  committedTotal,
  createTopics,
  produceRaw,
  uniqueName,
  waitFor,
} from '../../../test/kafka.js';
import { startWebhookSink, type WebhookSink } from '../src/index.js';
import { type CliProcess, spawnCli } from './cli-process.js';
import { alerts, newSecret } from './harness.js';

const codec = alertCodec();
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function track(p: CliProcess): CliProcess {
  cleanups.push(async () => {
    if (p.child.exitCode === null && p.child.signalCode === null) {
      p.child.kill('SIGKILL');
      await p.exited;
    }
  });
  return p;
}

function configFile(yaml: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'alerting-cli-'));
  const file = join(dir, 'alerting.yaml');
  writeFileSync(file, yaml);
  return file;
}

describe('alerting CLI process', () => {
  it('SIGKILL mid-delivery, restart: every alert is delivered, duplicates only with the same webhook-id', async () => {
    const secret = newSecret();
    const sink: WebhookSink = await startWebhookSink({
      secrets: secret,
      respond: () => new Promise<number>((r) => setTimeout(() => r(204), 5 + Math.random() * 20)),
    });
    cleanups.push(() => sink.close());
    const [alertsTopic, dlqTopic] = await createTopics([uniqueName('alerts'), uniqueName('deliveries-dlq')], {
      partitions: 3,
    });
    const groupId = uniqueName('alerting');
    const file = configFile(
      [
        'receivers:',
        '  - name: sink',
        '    url: ${TEST_SINK_URL}',
        '    secret: ${TEST_SECRET}',
        '    concurrency: 4',
        '    allowPrivateNetwork: true',
        '    retry: { initialDelay: 50ms, maxDelay: 500ms, maxAttempts: 20 }',
        'route:',
        '  receiver: sink',
        'consumer:',
        `  groupId: ${groupId}`,
        '  commitInterval: 200ms',
        'shutdown:',
        '  drainTimeout: 5s',
      ].join('\n'),
    );
    const env = {
      KAFKA_BOOTSTRAP_SERVERS: bootstrapServers(),
      ALERTS_TOPIC: alertsTopic!,
      DELIVERIES_DLQ_TOPIC: dlqTopic!,
      METRICS_PORT: '0',
      TEST_SINK_URL: `${sink.url}/webhook`,
      TEST_SECRET: secret,
      // the killed member's partitions move after its session times out: keep that short for the test
      KAFKA_CONFIG_SESSION_TIMEOUT_MS: '6000',
      KAFKA_CONFIG_HEARTBEAT_INTERVAL_MS: '1000',
    };
    const list = alerts(400, 40);
    await produceRaw(
      alertsTopic!,
      list.map((a) => ({ key: a.deviceId, value: codec.encode(a) })),
    );

    const first = track(spawnCli(['run', '--config', file], env));
    await waitFor(() => sink.counts().unique >= 120, {
      timeoutMs: 90_000,
      message: () => `first run delivered ${JSON.stringify(sink.counts())}\n${first.output()}`,
    });
    first.child.kill('SIGKILL');
    expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });
    const beforeRestart = sink.counts().unique;
    expect(beforeRestart).toBeLessThan(400); // killed mid-delivery

    const second = track(spawnCli(['run', '--config', file], env));
    await waitFor(() => sink.counts().unique === 400, {
      timeoutMs: 90_000,
      message: () => `after restart ${JSON.stringify(sink.counts())}\n${second.output().slice(-3_000)}`,
    });

    // every event id arrived; a duplicate always carries the same webhook-id and the same (signed) body
    const byId = new Map<string, Set<string>>();
    for (const r of sink.requests) {
      const body = r.json as { data: { eventId: string } };
      expect(r.id).toBe(body.data.eventId);
      expect(() =>
        new Webhook(secret).verify(
          r.body,
          Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k, String(v)])),
        ),
      ).not.toThrow();
      byId.set(r.id!, (byId.get(r.id!) ?? new Set()).add(r.body));
    }
    expect([...byId.keys()].sort()).toEqual(list.map((a) => a.eventId).sort());
    expect([...byId.values()].every((bodies) => bodies.size === 1)).toBe(true);

    // SIGTERM: drain, commit, leave the group, exit 0
    await waitFor(async () => (await committedTotal(groupId, alertsTopic!)) === 400, {
      timeoutMs: 30_000,
      message: 'all offsets committed',
    });
    second.child.kill('SIGTERM');
    expect(await second.exited).toEqual({ code: 0, signal: null });
    expect(second.output()).toContain('alerting stopped');
  });

  describe('config errors stop the process before it touches Kafka, naming file, line and field', () => {
    // a broker address nothing listens on: touching Kafka would hang, not exit 2 at once
    const env = {
      KAFKA_BOOTSTRAP_SERVERS: '127.0.0.1:1',
      METRICS_PORT: '0',
      HOOK_SECRET: `whsec_${Buffer.alloc(32, 1).toString('base64')}`,
    };
    const cases: [string, string[], RegExp][] = [
      [
        'unknown receiver in a route',
        [
          'receivers:',
          '  - name: hooks',
          '    url: https://hooks.example.com/',
          'route:',
          '  receiver: hooks',
          '  routes:',
          '    - receiver: pager',
        ],
        /alerting\.yaml:7:17 route\.routes\[0\]\.receiver: unknown receiver "pager"/,
      ],
      [
        'bad URL',
        ['receivers:', '  - name: hooks', '    url: hooks.example.com/x', 'route: { receiver: hooks }'],
        /alerting\.yaml:3:10 receivers\[0\]\.url: expected an absolute http\(s\) URL/,
      ],
      [
        'missing secret variable',
        [
          'receivers:',
          '  - name: hooks',
          '    url: https://hooks.example.com/',
          '    secret: ${MISSING_SECRET_VAR}',
          'route: { receiver: hooks }',
        ],
        /alerting\.yaml:4:13 receivers\[0\]\.secret: environment variable MISSING_SECRET_VAR is not set/,
      ],
      [
        'refused private destination',
        [
          'receivers:',
          '  - name: hooks',
          '    url: http://10.1.2.3/hook',
          '    secret: ${HOOK_SECRET}',
          'route: { receiver: hooks }',
        ],
        /alerting\.yaml:3:10 receivers\[0\]\.url: host 10\.1\.2\.3 is a private address: refused to prevent SSRF/,
      ],
      [
        'a duration without a unit, and one over its bound',
        [
          'receivers:',
          '  - name: hooks',
          '    url: https://hooks.example.com/',
          '    timeout: 5000',
          '    retry: { maxDelay: 100000000h }',
          'route: { receiver: hooks }',
        ],
        /alerting\.yaml:4:14 receivers\[0\]\.timeout: a bare number is not a duration[^\n]*\n.*alerting\.yaml:5:24 receivers\[0\]\.retry\.maxDelay: expected a duration of at most 1d/,
      ],
      [
        'an invalid glob',
        [
          'receivers:',
          '  - name: hooks',
          '    url: https://hooks.example.com/',
          'route:',
          '  receiver: hooks',
          '  routes:',
          '    - match: { device: "site-[a/**" }',
        ],
        /alerting\.yaml:7:24 route\.routes\[0\]\.match\.device: invalid glob "site-\[a\/\*\*"/,
      ],
      [
        'an alias bomb',
        [
          'a: &a [x, x, x, x, x, x, x, x, x]',
          ...Array.from({ length: 8 }, (_, i) => {
            const [prev, name] = [String.fromCharCode(97 + i), String.fromCharCode(98 + i)];
            return `${name}: &${name} [${Array(9).fill(`*${prev}`).join(', ')}]`;
          }),
        ],
        /alerting\.yaml:2:8: YAML aliases expand more than 100 times/,
      ],
    ];
    it.each(cases)('%s', async (_name, lines, expected) => {
      const file = configFile(lines.join('\n'));
      const run = track(spawnCli(['run', '--config', file], env));
      expect(await run.exited).toEqual({ code: 2, signal: null });
      expect(run.output()).toMatch(expected);
      // stopped before touching Kafka: nothing in its output speaks of a broker
      expect(run.output()).not.toMatch(/kafka|broker/i);
    });

    it('a config path that is not a file, and a file that is not UTF-8', async () => {
      const endless = track(spawnCli(['run', '--config', '/dev/zero'], env));
      expect(await endless.exited).toEqual({ code: 2, signal: null });
      expect(endless.output()).toContain('/dev/zero: cannot read config file: it is a character device');
      const dir = mkdtempSync(join(tmpdir(), 'alerting-cli-'));
      const latin1 = join(dir, 'alerting.yaml');
      writeFileSync(latin1, Buffer.concat([Buffer.from('receivers:\n  - name: caf'), Buffer.from([0xe9, 0x0a])]));
      const run = track(spawnCli(['run', '--config', latin1], env));
      expect(await run.exited).toEqual({ code: 2, signal: null });
      expect(run.output()).toContain(`${latin1}:2:14: not UTF-8 text: byte 0xe9`);
    });
  });
});
