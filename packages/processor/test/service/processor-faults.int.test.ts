import { createServer } from 'node:net';
import { createRawProducer } from '@sensor-pipeline/shared';
import { afterEach, describe, expect, it } from 'vitest';
import {
  committedTotal,
  createTopics,
  kafkaSettings,
  testLogger,
  uniqueName,
  waitFor,
} from '../../../../test/kafka.js';
import { loadRules } from '../../src/rules/index.js';
import { createRulesRuntime } from '../../src/service/rules-runtime.js';
import {
  type Alert,
  fleet,
  GRACE_MS,
  key,
  produceRecords,
  readAlertsUntilSentinel,
  readingCodec,
  rep,
  rulesFile,
  sentinelRecords,
  series,
  startCli,
  startInProcess,
  stopAll,
  THRESHOLDS,
  topicsFor,
} from './processor-fixtures.js';
import { referenceAlerts } from './reference-alerts.js';

afterEach(stopAll);

/** A fleet whose devices fire and resolve `temp-high` and `cpu-high` several times over `seconds`. */
function busyFleet(devices: number) {
  const ids = Array.from({ length: devices }, (_, d) => `site-${d % 3}/dev-${d}`);
  const readings = fleet(
    ...ids.map((id, d) =>
      series(id, 'temperature', rep(10 + d, 70).concat(rep(20, 88 + (d % 5)), rep(25, 65), rep(20, 85), rep(30, 60))),
    ),
    ...ids.map((id, d) => series(id, 'cpu', rep(20 + d, 40).concat(rep(15, 97), rep(70, 30)))),
  );
  const expected = ids.flatMap((id) =>
    referenceAlerts(
      readings.filter((r) => r.deviceId === id),
      THRESHOLDS,
      [],
      GRACE_MS,
    ),
  );
  return { readings, expected, encoded: readings.map((r) => ({ key: r.deviceId, value: readingCodec.encode(r) })) };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

async function readyz(port: number): Promise<{ status: number; body: { partitions?: number[] } } | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/readyz`);
    return { status: res.status, body: (await res.json()) as { partitions?: number[] } };
  } catch {
    return undefined;
  }
}

describe('processor under faults', () => {
  it('exactly-once: an instance killed mid-stream and restarted in the same slot fences its open transaction; read_committed readers see each reference alert once, nothing else', async () => {
    const topics = topicsFor('eos-kill');
    await createTopics([topics.readings], { partitions: 2 });
    await createTopics([topics.alerts], { partitions: 1 });
    const { expected, encoded } = busyFleet(10);
    const rules = rulesFile(false);
    const groupId = uniqueName('eos-kill-group');
    // a short session so the killed member's partitions move on quickly; the same slot fences its producer
    const env = { KAFKA_CONFIG_SESSION_TIMEOUT_MS: '6000', KAFKA_CONFIG_HEARTBEAT_INTERVAL_MS: '1000' };
    const args = ['--delivery', 'exactly-once'];
    const [third, split] = [Math.floor(encoded.length * 0.3), Math.floor(encoded.length * 0.6)];
    // input first: the test's own producer gets its producer id before the broker's transaction coordinator
    // starts loading (the first transactional producer creates it)
    await produceRecords(topics.readings, encoded.slice(0, third));
    const first = startCli(topics, groupId, rules, 'slot-a', args, env);
    await waitFor(async () => (await committedTotal(groupId, topics.readings)) > 0, {
      timeoutMs: 60_000,
      message: 'first transactions committed',
    });
    // keep input flowing while the first instance is killed, so transactions are open when it dies
    const feeding = produceRecords(topics.readings, encoded.slice(third, split));
    first.kill('SIGKILL');
    await feeding;
    startCli(topics, groupId, rules, 'slot-a', args, env);
    await produceRecords(topics.readings, [...encoded.slice(split), ...sentinelRecords(2, 300)]);

    const got = await readAlertsUntilSentinel(topics.alerts, 2, 110_000);
    const want = expected.map(key).sort();
    const gotKeys = got.map(key).sort();
    const missing = want.filter((k) => !gotKeys.includes(k));
    const unexpected = gotKeys.filter((k) => !want.includes(k));
    expect({ missing, unexpected }).toEqual({ missing: [], unexpected: [] });
    // each once, and each id once: nothing duplicated, nothing republished under a new id
    expect(gotKeys).toEqual(want);
    expect(new Set(got.map((a: Alert) => a.eventId)).size).toBe(got.length);
  });

  it('exactly-once: a processor fenced by a newer producer of its slot stops (exit 1) with nothing left open; its successor publishes each reference alert once', async () => {
    const topics = topicsFor('eos-fenced');
    await createTopics([topics.readings], { partitions: 2 });
    await createTopics([topics.alerts], { partitions: 1 });
    const { expected, encoded } = busyFleet(6);
    const rules = rulesFile(false);
    const groupId = uniqueName('eos-fenced-group');
    const env = { KAFKA_CONFIG_SESSION_TIMEOUT_MS: '6000', KAFKA_CONFIG_HEARTBEAT_INTERVAL_MS: '1000' };
    const args = ['--delivery', 'exactly-once'];
    const half = Math.floor(encoded.length / 2);
    // input first: the test's own producer gets its producer id before the transaction coordinator loads
    await produceRecords(topics.readings, encoded.slice(0, half));
    const first = startCli(topics, groupId, rules, 'slot-f', args, env);
    const exited = new Promise<number | null>((resolve) => first.once('exit', (code) => resolve(code)));
    await waitFor(async () => (await committedTotal(groupId, topics.readings)) > 0, {
      timeoutMs: 60_000,
      message: 'first transactions committed',
    });
    // a producer with the same transactional id: the running processor is fenced
    const usurper = createRawProducer(kafkaSettings('usurper'), {
      logger: testLogger,
      transactionalId: `${groupId}-slot-f`,
    });
    await usurper.connect();
    try {
      await usurper.initTransactions();
    } finally {
      await usurper.disconnect();
    }
    await produceRecords(topics.readings, encoded.slice(half, half + 50));
    expect(await exited).toBe(1);

    startCli(topics, groupId, rules, 'slot-f', args, env);
    await produceRecords(topics.readings, [...encoded.slice(half + 50), ...sentinelRecords(2, 300)]);
    const got = await readAlertsUntilSentinel(topics.alerts, 2, 110_000);
    expect(got.map(key).sort()).toEqual(expected.map(key).sort());
    expect(new Set(got.map((a: Alert) => a.eventId)).size).toBe(got.length);
  });

  it('at-least-once: commits made while instances join and leave are retried until the committed offsets equal the acknowledged ones', async () => {
    const topics = topicsFor('commit-rebalance');
    await createTopics([topics.readings], { partitions: 4 });
    const { encoded } = busyFleet(12);
    const rules = rulesFile(false);
    const groupId = uniqueName('commit-rebalance-group');
    const extra = { commitIntervalMs: 20, commitVerifyIntervalMs: 200 };
    const a = startInProcess(topics, groupId, rules, 'at-least-once', { ...extra, instanceId: 'a' });
    await a.start();
    const third = Math.floor(encoded.length / 3);
    await produceRecords(topics.readings, encoded.slice(0, third));
    // members joining and leaving while commits are being made every 20 ms
    const b = startInProcess(topics, groupId, rules, 'at-least-once', { ...extra, instanceId: 'b' });
    await b.start();
    await produceRecords(topics.readings, encoded.slice(third, 2 * third));
    const c = startInProcess(topics, groupId, rules, 'at-least-once', { ...extra, instanceId: 'c' });
    await c.start();
    await b.stop();
    await produceRecords(topics.readings, encoded.slice(2 * third));
    // while the instances still run (no final commit on stop), the group's offsets reach the end
    let committed = 0;
    await waitFor(async () => (committed = await committedTotal(groupId, topics.readings)) === encoded.length, {
      timeoutMs: 90_000,
      message: () => `committed ${committed} of ${encoded.length}`,
    });
    expect(await committedTotal(groupId, topics.readings)).toBe(encoded.length);
  });

  it('/readyz is false while a partition is rebuilt and true once it is consumed', async () => {
    const topics = topicsFor('readyz');
    await createTopics([topics.readings], { partitions: 1 });
    const { encoded } = busyFleet(3);
    await produceRecords(topics.readings, encoded);
    const runtime = createRulesRuntime(loadRules(rulesFile(false)));
    const seenDuringRebuild: boolean[] = [];
    let service: ReturnType<typeof startInProcess> | undefined;
    // the rules of a partition are created in the middle of its rebuild: ask /readyz's source right then
    const probing = {
      ...runtime,
      windows: runtime.windows,
      lookbackMs: runtime.lookbackMs,
      createPartitionRules: (
        restored: ReadonlyMap<string, string>,
        log: Parameters<typeof runtime.createPartitionRules>[1],
      ) => {
        if (service) seenDuringRebuild.push(service.readiness().ready);
        return runtime.createPartitionRules(restored, log);
      },
    };
    service = startInProcess(topics, uniqueName('readyz-group'), rulesFile(false), 'at-least-once', {
      rules: probing,
    });
    await service.start();
    await waitFor(() => service!.readiness().ready, { timeoutMs: 60_000, message: 'ready after the rebuild' });
    expect(seenDuringRebuild.length).toBeGreaterThan(0);
    expect(seenDuringRebuild.every((ready) => !ready)).toBe(true);
    expect(service.readiness().details).toMatchObject({ partitions: [0] });
  });

  it('static membership: an instance restarted within the session timeout gets its own partitions back', async () => {
    const topics = topicsFor('static');
    await createTopics([topics.readings], { partitions: 4 });
    const rules = rulesFile(false);
    const groupId = uniqueName('static-group');
    // a session far longer than the test: without static membership the restarted member would wait it out
    const env = { KAFKA_CONFIG_SESSION_TIMEOUT_MS: '300000' };
    const [portA, portB] = [await freePort(), await freePort()];
    const start = (instance: string, port: number) =>
      startCli(topics, groupId, rules, instance, ['--static-membership', '--metrics-port', String(port)], env);
    const first = start('s1', portA);
    start('s2', portB);
    const held = async (port: number) => {
      const r = await readyz(port);
      return r?.status === 200 ? (r.body.partitions ?? []) : undefined;
    };
    const before = await waitFor(
      async () => {
        const [a, b] = [await held(portA), await held(portB)];
        return a && b && a.length + b.length === 4 && a.length > 0 && b.length > 0 ? { a, b } : undefined;
      },
      { timeoutMs: 90_000, message: 'both instances ready with the four partitions between them' },
    );
    first.kill('SIGKILL');
    await waitFor(async () => (await readyz(portA)) === undefined, { timeoutMs: 30_000, message: 's1 gone' });
    start('s1', portA);
    const after = await waitFor(
      async () => {
        const a = await held(portA);
        return a && a.length > 0 ? a : undefined;
      },
      { timeoutMs: 120_000, message: 'restarted s1 ready with partitions' },
    );
    expect(after).toEqual(before.a);
    expect(await held(portB)).toEqual(before.b);
  });
});
