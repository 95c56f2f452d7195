import { describe, expect, it } from 'vitest';
import { consumeMessages, createTopics, kafkaSettings, testLogger, uniqueName } from '../../../test/kafka.js';
import { createRawProducer, LibrdkafkaError, type RawRecord } from '../src/index.js';

function records(topic: string, n: number, from = 0): RawRecord[] {
  return Array.from({ length: n }, (_, i) => ({
    topic,
    key: `dev-${(from + i) % 13}`,
    value: Buffer.from(`value-${from + i}`),
    headers: i === 0 ? [{ first: 'yes' }] : undefined,
  }));
}

describe('raw producer (librdkafka lower-level API)', () => {
  it('acknowledges a batch with one promise; every record arrives once, keyed records share a partition', async () => {
    const [topic] = await createTopics([uniqueName('raw')], { partitions: 3 });
    // a small librdkafka queue: the batch must wait for room instead of failing
    const producer = createRawProducer(kafkaSettings('raw-producer'), {
      logger: testLogger,
      extra: { 'queue.buffering.max.messages': 100 },
    });
    await producer.connect();
    try {
      await producer.produceBatch(records(topic!, 1_000));
      await producer.produceBatch([]);
      expect(producer.inFlightRecords).toBe(0);
    } finally {
      await producer.disconnect();
    }
    const got = await consumeMessages(topic!, { count: 1_000 });
    expect(new Set(got.map((m) => m.value?.toString())).size).toBe(1_000);
    const partitionOf = new Map<string, number>();
    for (const m of got) {
      const key = m.key!.toString();
      expect(partitionOf.get(key) ?? m.partition).toBe(m.partition);
      partitionOf.set(key, m.partition);
    }
    expect(got.find((m) => m.value?.toString() === 'value-0')?.headers['first']).toBe('yes');
  });

  it('rejects a batch with a coded error when a record cannot be delivered', async () => {
    const producer = createRawProducer(kafkaSettings('raw-producer-fail'), {
      logger: testLogger,
      deliveryTimeoutMs: 1_000,
    });
    await producer.connect();
    try {
      // partition 7 of a one-partition topic never exists: the delivery report says so
      const [topic] = await createTopics([uniqueName('raw-fail')], { partitions: 1 });
      const failure = await producer
        .produceBatch([{ topic: topic!, partition: 7, key: 'k', value: Buffer.from('v') }])
        .then(
          () => undefined,
          (err: unknown) => err,
        );
      expect(failure).toBeInstanceOf(LibrdkafkaError);
      expect((failure as LibrdkafkaError).code).toMatch(/^KAFKA_(DELIVERY|PRODUCE)_FAILED$/);
    } finally {
      await producer.disconnect();
    }
  });

  it('commits and aborts transactions; read_committed readers see only the committed batch', async () => {
    const [topic] = await createTopics([uniqueName('raw-txn')], { partitions: 1 });
    const producer = createRawProducer(kafkaSettings('raw-producer-txn'), {
      logger: testLogger,
      transactionalId: uniqueName('raw-txn-id'),
    });
    await producer.connect();
    try {
      expect(producer.transactional).toBe(true);
      await producer.initTransactions();
      await producer.beginTransaction();
      await producer.produceBatch(records(topic!, 10, 0));
      await producer.abortTransaction();
      await producer.beginTransaction();
      await producer.produceBatch(records(topic!, 10, 100));
      await producer.commitTransaction();
    } finally {
      await producer.disconnect();
    }
    const got = await consumeMessages(topic!, { count: 10, readCommitted: true });
    expect(got.map((m) => m.value?.toString()).sort()).toEqual(
      records(topic!, 10, 100)
        .map((r) => r.value!.toString())
        .sort(),
    );
  });
});
