/**
 * SIGKILL of the `alerting` process with grouping on, against the real broker and a real HTTP receiver:
 * 120 sensors of 6 sites go silent, a grouped receiver (by alertname and site) answers slowly, the process
 * is killed once two group notifications were accepted, and a new process takes over. Nothing is lost:
 * every alert reaches the receiver in some notification, and a notification sent twice carries the same
 * webhook-id and the same body. Waits poll the receiver and the committed offsets.
 *
 * Scaled: group wait/interval are 200 ms/300 ms (Alertmanager's 30 s/5 m); the killed member's partitions
 * move after a 6 s session timeout.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alertCodec } from '@sensor-pipeline/shared';
import { afterEach, describe, expect, it } from 'vitest';
import {
  bootstrapServers,
  committedTotal,
  createTopics,
  deleteTopics,
  produceRaw,
  uniqueName,
  waitFor,
} from '../../../test/kafka.js';
import { sampleAlert } from './alert-fixture.js';
import { type CliProcess, spawnCli } from './cli-process.js';

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

interface Notification {
  readonly groupKey: string;
  readonly alerts: { annotations: Record<string, string> }[];
}

describe('alerting CLI process with grouping', () => {
  it('SIGKILL with grouping on loses nothing; a notification sent twice has the same id and body', async () => {
    const accepted: { id: string; body: string }[] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () =>
        setTimeout(() => {
          accepted.push({ id: String(req.headers['webhook-id']), body: Buffer.concat(chunks).toString('utf8') });
          res.writeHead(200).end();
        }, 300),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const [alertsTopic, dlqTopic] = await createTopics([uniqueName('alerts'), uniqueName('deliveries-dlq')], {
      partitions: 3,
    });
    const extra = {
      retry: uniqueName('deliveries-retry'),
      state: uniqueName('alerting-state'),
      silences: uniqueName('silences'),
    };
    cleanups.push(() => deleteTopics(Object.values(extra)));
    const groupId = uniqueName('alerting');
    const dir = mkdtempSync(join(tmpdir(), 'alerting-grouping-kill-'));
    const file = join(dir, 'alerting.yaml');
    writeFileSync(
      file,
      [
        'receivers:',
        '  - name: ops',
        `    url: http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
        '    format: alertmanager',
        '    concurrency: 1',
        '    allowPrivateNetwork: true',
        '    group: { by: [alertname, site], wait: 200ms, interval: 300ms, repeat: 1h }',
        'route:',
        '  receiver: ops',
        'consumer:',
        `  groupId: ${groupId}`,
        '  commitInterval: 200ms',
      ].join('\n'),
    );
    const env = {
      KAFKA_BOOTSTRAP_SERVERS: bootstrapServers(),
      ALERTS_TOPIC: alertsTopic!,
      DELIVERIES_DLQ_TOPIC: dlqTopic!,
      DELIVERIES_RETRY_TOPIC: extra.retry,
      ALERTING_STATE_TOPIC: extra.state,
      SILENCES_TOPIC: extra.silences,
      METRICS_PORT: '0',
      KAFKA_CONFIG_SESSION_TIMEOUT_MS: '6000',
      KAFKA_CONFIG_HEARTBEAT_INTERVAL_MS: '1000',
    };
    const list = Array.from({ length: 120 }, (_, i) =>
      sampleAlert({
        eventId: `silent-${i}`,
        fingerprint: `fp-${i}`,
        rule: 'device-silent',
        deviceId: `site-${i % 6}/dev-${String(i).padStart(3, '0')}`,
        labels: { site: `s${i % 6}` },
      }),
    );
    await produceRaw(
      alertsTopic!,
      list.map((a) => ({ key: a.deviceId, value: codec.encode(a) })),
    );

    const first = track(spawnCli(['run', '--config', file], env));
    await waitFor(() => accepted.length >= 2, {
      timeoutMs: 90_000,
      message: () => `two notifications accepted before the kill (${accepted.length})\n${first.output().slice(-3_000)}`,
    });
    first.child.kill('SIGKILL');
    expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });
    const carried = () =>
      new Set(
        accepted.flatMap((a) => (JSON.parse(a.body) as Notification).alerts.map((x) => x.annotations['eventId'])),
      );
    expect(carried().size).toBeLessThan(list.length); // killed before everything was notified

    const second = track(spawnCli(['run', '--config', file], env));
    await waitFor(() => carried().size === list.length, {
      timeoutMs: 90_000,
      message: () => `after the restart ${carried().size} of ${list.length}\n${second.output().slice(-3_000)}`,
    });
    await waitFor(async () => (await committedTotal(groupId, alertsTopic!)) === list.length, {
      timeoutMs: 60_000,
      message: 'every record committed',
    });
    const bodiesById = new Map<string, Set<string>>();
    for (const a of accepted) bodiesById.set(a.id, (bodiesById.get(a.id) ?? new Set()).add(a.body));
    expect([...bodiesById.values()].every((bodies) => bodies.size === 1)).toBe(true);
    expect([...carried()].sort()).toEqual(list.map((a) => a.eventId).sort());
  });
});
