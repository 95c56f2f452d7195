/**
 * The lag gauge's source against the real broker, through a real consumer client (connected, not consuming):
 * the lag is the broker's end offset minus the next offset to process; records appended after an answer show
 * once the query interval has passed, not before (scrapes in between cost the broker nothing).
 */
import { createRawConsumer } from '@sensor-pipeline/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { createTopics, kafkaSettings, produceRaw, testLogger, uniqueName } from '../../../../test/kafka.js';
import { PartitionLagSource } from '../../src/service/partition-lag-source.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

describe('PartitionLagSource (real broker)', () => {
  it('reports end offset minus next offset, and new records once the interval has passed', async () => {
    const topic = uniqueName('lag');
    await createTopics([topic], { partitions: 2 });
    await produceRaw(
      topic,
      Array.from({ length: 30 }, (_, i) => ({ key: `k${i}`, value: `v${i}`, partition: i % 2 })),
    );
    const consumer = createRawConsumer(kafkaSettings('lag-test'), {
      logger: testLogger,
      groupId: uniqueName('lag-group'),
      onRebalance: () => undefined,
    });
    await consumer.connect();
    cleanups.push(() => consumer.disconnect());

    let nowMs = 0;
    const source = new PartitionLagSource({ queryIntervalMs: 5_000, now: () => nowMs, log: testLogger });
    const partitions = [
      { topic, partition: 0, nextOffset: 5 },
      { topic, partition: 1, nextOffset: 0 },
    ];
    expect(await source.lags(consumer, partitions)).toEqual([
      { topic, partition: 0, lag: 10 },
      { topic, partition: 1, lag: 15 },
    ]);

    await produceRaw(topic, [{ key: 'late', value: 'x', partition: 1 }]);
    nowMs = 1_000; // within the interval: the last answer (this consumer fetches nothing, so caches nothing newer)
    expect((await source.lags(consumer, partitions))?.[1]?.lag).toBe(15);
    nowMs = 5_000;
    expect((await source.lags(consumer, partitions))?.[1]?.lag).toBe(16);
    expect(source.queries).toBe(4); // two queries of two partitions
  });
});
