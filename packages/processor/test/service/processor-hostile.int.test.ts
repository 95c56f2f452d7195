/**
 * The processor against hostile readings on the real broker: every kind of bad record (a labels map that claims
 * 2^31 entries, a 900 KB deviceId, a timestamp 23 h ahead, a key that is not the deviceId, NaN, cpu 150 %, a
 * record over 1 MiB, truncated bytes, bad magic, 10,000 new devices past a small sensor cap) amid healthy
 * devices. /healthz keeps answering, each bad record is in the DLQ exactly once with its reason, the group's
 * committed offset reaches the end, and the healthy devices' alerts are exactly a clean run's.
 */
import {
  createAdmin,
  createMetricsRegistry,
  createRawProducer,
  DLQ_HEADERS,
  type SensorReading,
  startOpsServer,
} from '@sensor-pipeline/shared';
import { afterEach, describe, expect, it } from 'vitest';
import {
  committedTotal,
  consumeMessages,
  createTopics,
  kafkaSettings,
  type RawMessage,
  testLogger,
  uniqueName,
  waitFor,
} from '../../../../test/kafka.js';
import {
  BASE,
  fleet,
  key,
  readAlertsUntilSentinel,
  readingCodec,
  rep,
  rulesFile,
  SENTINEL_DEVICE,
  sentinelRecords,
  series,
  startInProcess,
  stopAll,
  topicsFor,
} from './processor-fixtures.js';

afterEach(stopAll);

const BURST = 10_000;
/** Healthy sensors (three) and the sentinel's: the cap leaves no room for any other. */
const MAX_SENSORS = 4;
const LARGE_TOPIC = { 'max.message.bytes': String(4 * 1024 * 1024) };

/** Produces through a raw producer allowed large records (the oversized one is over librdkafka's default). */
async function produce(topic: string, records: readonly RawMessage[]): Promise<void> {
  const producer = createRawProducer(kafkaSettings('hostile-producer'), {
    logger: testLogger,
    lingerMs: 5,
    extra: { 'message.max.bytes': 4 * 1024 * 1024 },
  });
  await producer.connect();
  try {
    for (let i = 0; i < records.length; i += 2_000) {
      await producer.produceBatch(
        records.slice(i, i + 2_000).map((r) => ({
          topic,
          key: r.key ?? null,
          value: typeof r.value === 'string' ? Buffer.from(r.value) : r.value,
          ...(r.partition !== undefined ? { partition: r.partition } : {}),
        })),
      );
    }
  } finally {
    await producer.disconnect();
  }
}

async function endOffset(topic: string): Promise<number> {
  const admin = createAdmin(kafkaSettings('hostile-offsets'), testLogger);
  await admin.connect();
  try {
    const partitions = await admin.fetchTopicOffsets(topic);
    return partitions.reduce((sum, p) => sum + Number(p.high), 0);
  } finally {
    await admin.disconnect();
  }
}

function healthyInput(): RawMessage[] {
  const hot = rep(15, 70).concat(rep(20, 90), rep(6, 78), rep(20, 60));
  const brief = rep(12, 70).concat(rep(2, 120), rep(30, 70));
  const cpu = rep(10, 50).concat(rep(10, 99), rep(10, 40));
  const readings = fleet(
    series('site-a/dev-1', 'temperature', hot),
    series('site-b/dev-3', 'temperature', brief, 0, [20, 32]), // silent for 12 s: absence fires and resolves
    series('site-b/dev-4', 'cpu', cpu),
    series(`${SENTINEL_DEVICE}-0`, 'cpu', [10]), // held from the start, so the cap never refuses it
  );
  return readings.map((r) => ({ key: r.deviceId, value: readingCodec.encode(r) }));
}

/** Each hostile record with the code it must be dead-lettered with. */
function hostileInput(): { code: string; record: RawMessage }[] {
  const base: SensorReading = {
    deviceId: 'site-a/dev-1',
    metric: 'temperature',
    value: 20,
    timestamp: BASE + 20_000,
    seq: 1_000,
    labels: { site: 'site-a' },
  };
  const encoded = readingCodec.encode(base);
  const huge = 'x'.repeat(900_000);
  const hostile: { code: string; record: RawMessage }[] = [
    {
      // a valid header and body whose labels map claims 2^31 entries: `fe ff ff ff 0f` in place of the empty map
      code: 'DECODE_BAD_LENGTH',
      record: {
        key: base.deviceId,
        value: Buffer.concat([
          readingCodec.encode({ ...base, labels: {} }).subarray(0, -1),
          Buffer.from([0xfe, 0xff, 0xff, 0xff, 0x0f]),
        ]),
      },
    },
    {
      code: 'READING_DEVICE_ID_TOO_LONG',
      record: { key: 'x', value: readingCodec.encode({ ...base, deviceId: huge }) },
    },
    {
      code: 'READING_TIMESTAMP_IN_FUTURE',
      record: { key: base.deviceId, value: readingCodec.encode({ ...base, timestamp: Date.now() + 23 * 3_600_000 }) },
    },
    { code: 'READING_KEY_MISMATCH', record: { key: 'site-b/dev-4', value: encoded } },
    {
      code: 'READING_NON_FINITE_VALUE',
      record: {
        key: 'site-b/dev-4',
        value: readingCodec.encode({ ...base, deviceId: 'site-b/dev-4', metric: 'cpu', value: Number.NaN }),
      },
    },
    {
      code: 'READING_VALUE_OUT_OF_RANGE',
      record: {
        key: 'site-b/dev-4',
        value: readingCodec.encode({ ...base, deviceId: 'site-b/dev-4', metric: 'cpu', value: 150 }),
      },
    },
    {
      code: 'DECODE_TOO_LARGE',
      record: { key: base.deviceId, value: readingCodec.encode({ ...base, labels: { pad: 'p'.repeat(1_100_000) } }) },
    },
    { code: 'DECODE_TRUNCATED', record: { key: base.deviceId, value: encoded.subarray(0, encoded.length - 4) } },
    { code: 'DECODE_BAD_MAGIC', record: { key: base.deviceId, value: Buffer.from('{"deviceId":"site-a/dev-1"}') } },
  ];
  for (let i = 0; i < BURST; i++) {
    const deviceId = `burst/dev-${i}`;
    hostile.push({
      code: 'READING_SENSOR_LIMIT',
      record: {
        key: deviceId,
        value: readingCodec.encode({ ...base, deviceId, metric: 'cpu', value: 10, labels: {} }),
      },
    });
  }
  return hostile;
}

describe('processor against hostile readings', () => {
  it('sets every hostile record aside once with its reason while healthy devices get exactly a clean run’s alerts', async () => {
    const healthy = healthyInput();
    const hostile = hostileInput();
    const sentinel = sentinelRecords(1, 200);
    const dirty = topicsFor('hostile');
    const clean = topicsFor('clean');
    await createTopics([{ topic: dirty.readings, numPartitions: 1, config: LARGE_TOPIC }, clean.readings]);
    await createTopics([dirty.alerts, clean.alerts], { partitions: 1 });
    const dirtyInput = [...healthy.slice(0, 40), ...hostile.map((h) => h.record), ...healthy.slice(40), ...sentinel];
    await produce(dirty.readings, dirtyInput);
    await produce(clean.readings, [...healthy, ...sentinel]);

    const registry = createMetricsRegistry('processor-hostile');
    const groupId = uniqueName('hostile-group');
    const service = startInProcess(dirty, groupId, rulesFile(true), 'at-least-once', {
      registry,
      maxSensors: MAX_SENSORS,
    });
    const reference = startInProcess(clean, uniqueName('clean-group'), rulesFile(true), 'at-least-once', {
      maxSensors: MAX_SENSORS,
    });
    const ops = await startOpsServer({ port: 0, registry, logger: testLogger, readiness: () => service.readiness() });
    // /healthz is asked all along; each answer must come (a decode pinned on a claim would starve the event loop)
    let polling = true;
    const health: string[] = [];
    const poller = (async () => {
      while (polling) {
        try {
          const res = await fetch(`${ops.url}/healthz`, { signal: AbortSignal.timeout(20_000) });
          health.push(String(res.status));
        } catch (err) {
          health.push((err as Error).message);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    try {
      await Promise.all([service.start(), reference.start()]);
      const [got, expected] = await Promise.all([
        readAlertsUntilSentinel(dirty.alerts, 1),
        readAlertsUntilSentinel(clean.alerts, 1),
      ]);
      expect(expected.map(key)).toEqual(
        expect.arrayContaining([
          expect.stringContaining('temp-high site-a/dev-1 FIRING'),
          expect.stringContaining('temp-silent site-b/dev-3 FIRING'),
          expect.stringContaining('cpu-high site-b/dev-4 RESOLVED'),
        ]),
      );
      expect(got.map((a) => `${key(a)} ${a.eventId}`)).toEqual(expected.map((a) => `${key(a)} ${a.eventId}`));

      // lag back to 0: the group's committed offset reaches the end of the readings (outputs acknowledged first)
      await waitFor(async () => (await committedTotal(groupId, dirty.readings)) === dirtyInput.length, {
        timeoutMs: 60_000,
        message: () => `committed offset of ${groupId} reaching ${dirtyInput.length}`,
      });
      // everything the processor will ever write for this input is in the DLQ now: exactly one record per bad one
      expect(await endOffset(dirty.readingsDlq)).toBe(hostile.length);
      const dlq = await consumeMessages(dirty.readingsDlq, { count: hostile.length, timeoutMs: 90_000 });
      const offsetOf = new Map(hostile.map((h, i) => [String(40 + i), h.code]));
      expect(new Set(dlq.map((m) => m.headers[DLQ_HEADERS.sourceOffset])).size).toBe(hostile.length);
      for (const m of dlq) {
        const offset = m.headers[DLQ_HEADERS.sourceOffset]!;
        expect(m.headers[DLQ_HEADERS.errorCode], `DLQ record of offset ${offset}`).toBe(offsetOf.get(offset));
        expect(m.headers[DLQ_HEADERS.sourceTopic]).toBe(dirty.readings);
      }
      // the oversized reading is dead-lettered without its bytes (they are over the producer's limit)
      const oversized = dlq.find((m) => m.headers[DLQ_HEADERS.errorCode] === 'DECODE_TOO_LARGE')!;
      expect(oversized.value).toBeNull();
      expect(Number(oversized.headers['dlq.value.dropped-bytes'])).toBeGreaterThan(1_048_576);

      const metrics = await registry.getMetricsAsJSON();
      const dlqTotal = metrics.find((m) => m.name === 'processor_dlq_total')!.values;
      const byCode = Object.fromEntries(dlqTotal.map((v) => [String(v.labels['code']), v.value]));
      for (const h of hostile.slice(0, 9)) expect(byCode[h.code], h.code).toBe(1);
      expect(byCode['READING_SENSOR_LIMIT']).toBe(BURST);
      expect(byCode['OUTPUT_TOO_LARGE']).toBe(0);
      expect(metrics.find((m) => m.name === 'processor_sensors_held')!.values[0]!.value).toBe(MAX_SENSORS);
    } finally {
      polling = false;
      await poller;
      await ops.close();
    }
    expect(health.length).toBeGreaterThan(0);
    expect(health.filter((h) => h !== '200')).toEqual([]);
  }, 240_000);

  it.each(['at-least-once', 'exactly-once'] as const)(
    '%s: an alert the broker refuses for its size is set aside to the DLQ as OUTPUT_TOO_LARGE and the stream goes on',
    async (delivery) => {
      const topics = topicsFor('refused');
      // an alerts topic that refuses every alert: its record size limit is below any alert's size
      await createTopics([
        topics.readings,
        { topic: topics.alerts, numPartitions: 1, config: { 'max.message.bytes': '200' } },
      ]);
      const input = healthyInput();
      await produce(topics.readings, input);
      const registry = createMetricsRegistry('processor-refused');
      const groupId = uniqueName('refused-group');
      const service = startInProcess(topics, groupId, rulesFile(true), delivery, { registry });
      await service.start();
      await waitFor(async () => (await committedTotal(groupId, topics.readings)) === input.length, {
        timeoutMs: 90_000,
        message: () => `committed offset of ${groupId} reaching ${input.length}`,
      });
      expect(service.readiness().details?.['error']).toBeUndefined();
      const metrics = await registry.getMetricsAsJSON();
      const tooLarge = metrics
        .find((m) => m.name === 'processor_dlq_total')!
        .values.find((v) => v.labels['code'] === 'OUTPUT_TOO_LARGE')!.value;
      expect(tooLarge).toBeGreaterThan(0);
      const dlq = await consumeMessages(topics.readingsDlq, { count: tooLarge, timeoutMs: 60_000 });
      for (const m of dlq) {
        expect(m.headers[DLQ_HEADERS.errorCode]).toBe('OUTPUT_TOO_LARGE');
        expect(m.headers['dlq.output.topic']).toBe(topics.alerts);
        expect(m.headers[DLQ_HEADERS.errorMessage]).toMatch(/refused/);
      }
      if (delivery === 'at-least-once') {
        expect(await endOffset(topics.readingsDlq)).toBe(tooLarge); // each set aside once
        expect(await endOffset(topics.alerts)).toBe(0);
      }
    },
    240_000,
  );
});
