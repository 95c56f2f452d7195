import { describe, expect, it } from 'vitest';
import {
  consumeMessages,
  createTopics,
  kafkaSettings,
  produceRaw,
  testLogger,
  uniqueName,
  waitFor,
} from '../../../test/kafka.js';
import {
  createConsumer,
  createProducer,
  type SensorReading,
  sensorReadingCodec,
  topicNamesFromEnv,
} from '../src/index.js';

const codec = sensorReadingCodec();

function readings(n: number): SensorReading[] {
  const metrics = ['temperature', 'cpu', 'memory'] as const;
  return Array.from({ length: n }, (_, i) => ({
    deviceId: `site-${i % 2 ? 'b' : 'a'}/dev-${String(i % 7).padStart(4, '0')}`,
    metric: metrics[i % 3]!,
    value: i * 1.25 - 3,
    timestamp: 1_767_225_600_000 + i * 1_000,
    seq: i,
    labels: { site: i % 2 ? 'site-b' : 'site-a' },
  }));
}

describe('Avro readings through the real broker', () => {
  it('produces with the factory producer, consumes in a group, decodes every field; a second group reads the same records', async () => {
    const [topic] = await createTopics([uniqueName('readings')], { partitions: 3 });
    const sent = readings(300);
    const producer = createProducer(kafkaSettings('roundtrip-producer'), { logger: testLogger });
    await producer.connect();
    try {
      const acks = await producer.send({
        topic: topic!,
        messages: sent.map((r) => ({ key: r.deviceId, value: codec.encode(r) })),
      });
      expect(acks.length).toBeGreaterThan(0);
    } finally {
      await producer.disconnect();
    }

    for (const groupId of [uniqueName('group-one'), uniqueName('group-two')]) {
      const got = await consumeMessages(topic!, { count: sent.length, groupId });
      expect(got).toHaveLength(sent.length);
      const decoded = got.map((m) => {
        const result = codec.safeDecode(m.value);
        if (!result.ok) throw result.error;
        expect(m.key?.toString()).toBe(result.value.deviceId);
        return result.value;
      });
      // every record exactly once, every field intact
      expect([...decoded].sort((a, b) => a.seq - b.seq)).toEqual(sent);
      // keyed by device: one device's records share a partition and keep their order
      const partitionOf = new Map<string, number>();
      const lastSeq = new Map<string, number>();
      got.forEach((m, i) => {
        const r = decoded[i]!;
        expect(partitionOf.get(r.deviceId) ?? m.partition).toBe(m.partition);
        partitionOf.set(r.deviceId, m.partition);
        expect(r.seq).toBeGreaterThan(lastSeq.get(r.deviceId) ?? -1);
        lastSeq.set(r.deviceId, r.seq);
      });
    }
  });

  it('reports an undecodable record as such, and the records around it still decode', async () => {
    const [topic] = await createTopics([uniqueName('readings-bad')]);
    const good = readings(2);
    await produceRaw(topic!, [
      { key: good[0]!.deviceId, value: codec.encode(good[0]!) },
      { key: 'dev-x', value: Buffer.from('definitely not avro') },
      { key: 'dev-y', value: codec.encode(good[1]!).subarray(0, 14) },
      { key: good[1]!.deviceId, value: codec.encode(good[1]!) },
    ]);
    const got = await consumeMessages(topic!, { count: 4 });
    const results = got.map((m) => codec.safeDecode(m.value));
    expect(results.map((r) => (r.ok ? 'ok' : r.error.code))).toEqual([
      'ok',
      'DECODE_BAD_MAGIC',
      'DECODE_TRUNCATED',
      'ok',
    ]);
    expect(results[0]!.ok && results[0]!.value).toEqual(good[0]);
  });

  it('commits offsets manually: a restarted group member resumes after the last commit', async () => {
    const [topic] = await createTopics([uniqueName('commits')]);
    const sent = readings(10);
    await produceRaw(
      topic!,
      sent.map((r) => ({ key: r.deviceId, value: codec.encode(r) })),
    );
    const groupId = uniqueName('commit-group');

    const firstPass: number[] = [];
    const consumer = createConsumer(kafkaSettings('commit-test'), { logger: testLogger, groupId });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic!] });
    void consumer.run({
      eachMessage: async ({ message, partition }) => {
        firstPass.push(Number(message.offset));
        // commit only the first five (the committed offset is the next one to read)
        if (Number(message.offset) === 4) await consumer.commitOffsets([{ topic: topic!, partition, offset: '5' }]);
      },
    });
    await waitFor(() => firstPass.length === 10, { message: 'first consumer to see all 10' });
    await consumer.disconnect();

    const again = await consumeMessages(topic!, { count: 5, groupId });
    expect(again.map((m) => Number(m.offset))).toEqual([5, 6, 7, 8, 9]);
  });

  it('has one place for topic names, overridable by environment', () => {
    expect(topicNamesFromEnv({}).readings).toBe('sensor.readings');
    expect(topicNamesFromEnv({ ALERTS_TOPIC: 'custom.alerts' }).alerts).toBe('custom.alerts');
  });
});
