import { DLQ_HEADERS } from '@sensor-pipeline/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { consumeMessages, createTopics, produceRaw, uniqueName, waitFor } from '../../../../test/kafka.js';
import {
  ABSENCES,
  type Alert,
  alerts,
  BASE,
  fleet,
  GRACE_MS,
  key,
  readAlerts,
  readAlertsUntilSentinel,
  readingCodec,
  rep,
  rulesFile,
  sentinelRecords,
  series,
  services,
  startCli,
  startInProcess,
  stopAll,
  THRESHOLDS,
  topicsFor,
} from './processor-fixtures.js';
import { type RefEvent, referenceAlerts } from './reference-alerts.js';

afterEach(stopAll);

describe('processor against the real broker', () => {
  it('publishes exactly the FIRING/RESOLVED events a naive reference computes, with hysteresis, for, absence; bad records go to the DLQ', async () => {
    const topics = topicsFor('p1');
    await createTopics([topics.readings], { partitions: 1 });
    const hot = rep(15, 70).concat(rep(20, 90), rep(6, 78), rep(20, 60)); // fires after `for`, holds between clear and threshold, resolves
    const flappy = rep(60, [79, 82]); // mean hovers at 80.5 then 80.2/80.8: fires once, never flaps
    const brief = rep(12, 70).concat(rep(2, 120), rep(30, 70)); // a 2 s spike: pending, but clears before `for`
    const cpu = rep(10, 50).concat(rep(10, 99), rep(10, 40));
    const readings = fleet(
      series('site-a/dev-1', 'temperature', hot),
      series('site-a/dev-2', 'temperature', flappy),
      series('site-b/dev-3', 'temperature', brief, 0, [20, 32]), // silent for 12 s: absence fires and resolves
      series('site-b/dev-4', 'cpu', cpu),
    );
    const expected = referenceAlerts(readings, THRESHOLDS, ABSENCES, GRACE_MS);
    expect(expected.map(key)).toEqual(
      expect.arrayContaining([
        expect.stringContaining('temp-high site-a/dev-1 FIRING'),
        expect.stringContaining('temp-silent site-b/dev-3 RESOLVED'),
      ]),
    );
    expect(expected.filter((e) => e.deviceId === 'site-a/dev-2' && e.status === 'FIRING')).toHaveLength(1);
    expect(expected.some((e) => e.deviceId === 'site-b/dev-3' && e.rule === 'temp-high')).toBe(false);

    // bad input amid the good: random bytes, truncated Avro, NaN, a timestamp a year ahead
    const good = readings.map((r) => ({ key: r.deviceId, value: readingCodec.encode(r) }));
    const bad = [
      { key: 'dev-x', value: Buffer.from('not avro at all') },
      { key: 'dev-y', value: readingCodec.encode(readings[0]!).subarray(0, 15) },
      { key: 'dev-z', value: readingCodec.encode({ ...readings[0]!, deviceId: 'dev-z', value: Number.NaN }) },
      {
        key: 'dev-w',
        value: readingCodec.encode({ ...readings[0]!, deviceId: 'dev-w', timestamp: Date.now() + 400 * 86_400_000 }),
      },
    ];
    await produceRaw(topics.readings, [...good.slice(0, 50), ...bad, ...good.slice(50)]);

    const service = startInProcess(topics, uniqueName('p1-group'), rulesFile(true));
    await service.start();
    const got = await readAlerts(topics.alerts, expected.length);
    // the alerts topic is keyed by device: order holds per device, not across devices (several partitions)
    const perDevice = (events: { deviceId: string }[]) =>
      [...new Set(events.map((e) => e.deviceId))]
        .sort()
        .map((d) => events.filter((e) => e.deviceId === d).map((e) => key(e as never)));
    expect(perDevice(got)).toEqual(perDevice(expected));
    expect(got.map(key).sort()).toEqual(expected.map(key).sort());
    // ids: deterministic and distinct per state change; FIRING and RESOLVED share the fingerprint
    expect(new Set(got.map((a) => a.eventId)).size).toBe(got.length);
    const dev1 = got.filter((a) => a.deviceId === 'site-a/dev-1');
    expect(dev1[0]!.fingerprint).toBe(dev1[1]!.fingerprint);
    expect(dev1[0]).toMatchObject({
      rule: 'temp-high',
      severity: 'critical',
      statistic: 'mean',
      condition: 'above',
      threshold: 80,
      metric: 'temperature',
    });
    expect(dev1[0]!.window).toMatchObject({ spec: 'time:10s', count: 10 });
    expect(dev1[0]!.value).toBeCloseTo(dev1[0]!.window.mean, 9);
    expect(dev1[0]!.labels).toMatchObject({ site: 'site-a', rule: 'temp-high', severity: 'critical' });

    const dlq = await consumeMessages(topics.readingsDlq, { count: 4 });
    expect(dlq.map((m) => m.headers[DLQ_HEADERS.errorCode]).sort()).toEqual([
      'DECODE_BAD_MAGIC',
      'DECODE_TRUNCATED',
      'READING_NON_FINITE_VALUE',
      'READING_TIMESTAMP_IN_FUTURE',
    ]);
    for (const m of dlq) {
      expect(m.headers[DLQ_HEADERS.sourceTopic]).toBe(topics.readings);
      expect(Number(m.headers[DLQ_HEADERS.sourceOffset])).toBeGreaterThanOrEqual(50);
      expect(m.headers[DLQ_HEADERS.errorMessage]).toBeTruthy();
    }
    const stats = await consumeMessages(topics.stats, { idleMs: 1_000, timeoutMs: 20_000 });
    expect(stats.length).toBeGreaterThan(10);
  });

  it('a late reading beyond the grace is counted and set aside, not mixed in', async () => {
    const topics = topicsFor('p2');
    const readings = series('d/late', 'cpu', rep(12, 95));
    const late = { ...readings[0]!, seq: 99, timestamp: BASE + 5_000 - GRACE_MS - 3_000, value: 0 }; // arrives after t = 11 s
    // the sentinel's alert comes after every alert of the readings before it: one partition, produced in order
    await createTopics([topics.readings, topics.alerts], { partitions: 1 });
    await produceRaw(
      topics.readings,
      [...readings, late].map((r) => ({ key: r.deviceId, value: readingCodec.encode(r) })),
    );
    await produceRaw(topics.readings, sentinelRecords(1, 20));
    const service = startInProcess(topics, uniqueName('p2-group'), rulesFile(false));
    await service.start();
    const dlq = await consumeMessages(topics.readingsDlq, { count: 1 });
    expect(dlq[0]!.headers[DLQ_HEADERS.errorCode]).toMatch(/^READING_LATE_/);
    expect(readingCodec.decode(dlq[0]!.value).seq).toBe(99);
    // the late reading was not mixed in: one FIRING, nothing more before the sentinel
    const got = await readAlertsUntilSentinel(topics.alerts, 1);
    expect(got.map((a) => a.status)).toEqual(['FIRING']);
  });

  it('survives SIGKILL mid-stream and two instances sharing partitions: every expected alert, duplicates only with the same id', async () => {
    const topics = topicsFor('p3');
    await createTopics([topics.readings], { partitions: 4 });
    const devices = Array.from({ length: 12 }, (_, d) => `site-${d % 3}/dev-${d}`);
    // each device: calm, hot for a while (fires), calm (resolves), hot again (fires again) — 120 s in all
    const streams = devices.map((id, d) =>
      series(
        id,
        'temperature',
        rep(10 + d, 70).concat(rep(20, 88 + (d % 5)), rep(25, 65), rep(20, 85), rep(45 - d, 60)),
      ),
    );
    const cpuStreams = devices.map((id, d) => series(id, 'cpu', rep(20 + d, 40).concat(rep(15, 97), rep(85 - d, 30))));
    const readings = fleet(...streams, ...cpuStreams);
    const expected = devices.flatMap((id) =>
      referenceAlerts(
        readings.filter((r) => r.deviceId === id),
        THRESHOLDS,
        [],
        GRACE_MS,
      ),
    );
    expect(expected.length).toBeGreaterThanOrEqual(devices.length * 6);

    const rules = rulesFile(false);
    const groupId = uniqueName('p3-group');
    const encoded = readings.map((r) => ({ key: r.deviceId, value: readingCodec.encode(r) }));
    const first = startCli(topics, groupId, rules, 'a');
    await produceRaw(topics.readings, encoded.slice(0, Math.floor(encoded.length * 0.4)));
    // some alerts are out, then the first instance dies without warning
    await waitFor(
      async () => (await consumeMessages(topics.alerts, { idleMs: 500, timeoutMs: 5_000 }).catch(() => [])).length >= 5,
      { timeoutMs: 60_000, message: 'first alerts' },
    );
    first.kill('SIGKILL');
    // two instances share the partitions from here on
    startCli(topics, groupId, rules, 'b');
    startCli(topics, groupId, rules, 'c');
    await produceRaw(topics.readings, encoded.slice(Math.floor(encoded.length * 0.4)));

    const want = new Set(expected.map(key));
    let got: Alert[] = [];
    await waitFor(
      async () => {
        got = (await consumeMessages(topics.alerts, { idleMs: 1_500, timeoutMs: 20_000 }).catch(() => [])).map((m) =>
          alerts.decode(m.value),
        );
        return [...want].every((k) => got.some((a) => key(a) === k));
      },
      {
        timeoutMs: 120_000,
        intervalMs: 1_000,
        message: () =>
          `expected alerts (${want.size}); missing: ${[...want]
            .filter((k) => !got.some((a) => key(a) === k))
            .slice(0, 5)
            .join('; ')}`,
      },
    );
    // nothing unexpected, and any duplicate is the same event with the same id
    const byId = new Map<string, string>();
    for (const a of got) {
      expect(want.has(key(a)), `unexpected alert ${key(a)}`).toBe(true);
      const previous = byId.get(a.eventId);
      if (previous) expect(previous).toBe(key(a));
      byId.set(a.eventId, key(a));
    }
    expect(byId.size).toBe(want.size);
  });
});

describe('processor in exactly-once mode', () => {
  it('publishes the reference events in transactions (read_committed), commits offsets with them, and resumes after a restart without repeating any', async () => {
    const topics = topicsFor('eos');
    await createTopics([topics.readings], { partitions: 2 });
    await createTopics([topics.alerts], { partitions: 1 });
    const devices = ['site-a/dev-1', 'site-b/dev-2', 'site-c/dev-3', 'site-d/dev-4'];
    const readings = fleet(
      ...devices.map((id, d) =>
        series(id, 'temperature', rep(8 + d, 70).concat(rep(20, 90), rep(20, 60), rep(15, 95), rep(15, 50))),
      ),
    );
    const expected = devices.flatMap((id) =>
      referenceAlerts(
        readings.filter((r) => r.deviceId === id),
        THRESHOLDS,
        [],
        GRACE_MS,
      ),
    );
    const rules = rulesFile(false);
    const groupId = uniqueName('eos-group');
    const encoded = readings.map((r) => ({ key: r.deviceId, value: readingCodec.encode(r) }));
    const half = Math.floor(encoded.length / 2);

    await produceRaw(topics.readings, encoded.slice(0, half));
    const first = startInProcess(topics, groupId, rules, 'exactly-once');
    await first.start();
    const expectedFirstHalf = devices.flatMap((id) =>
      referenceAlerts(
        readings.slice(0, half).filter((r) => r.deviceId === id),
        THRESHOLDS,
        [],
        GRACE_MS,
      ),
    );
    await readAlerts(topics.alerts, expectedFirstHalf.length);
    await first.stop();
    services.splice(services.indexOf(first), 1);

    // the sentinel (last reading, on its own device) marks the end: alerts before it are all there is
    await produceRaw(topics.readings, [...encoded.slice(half), ...sentinelRecords(2, 200)]);
    const second = startInProcess(topics, groupId, rules, 'exactly-once');
    await second.start();
    const all = await readAlertsUntilSentinel(topics.alerts, 2);
    // exactly the reference events, each once: the restart repeated nothing
    expect(all.map(key).sort()).toEqual(expected.map(key).sort());
  });
});

// keep the reference honest: it must itself see the scenarios the tests rely on
describe('reference model', () => {
  it('models hysteresis and for', () => {
    const r = series('x', 'temperature', rep(5, 70).concat(rep(12, 90), rep(5, 77), rep(12, 60)));
    const events: RefEvent[] = referenceAlerts(r, THRESHOLDS, [], 0);
    expect(events.map((e) => e.status)).toEqual(['FIRING', 'RESOLVED']);
  });
});
