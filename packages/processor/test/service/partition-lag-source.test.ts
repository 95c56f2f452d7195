/**
 * The lag gauge's source in process, with a consumer stand-in that answers watermark queries from a table and
 * counts them, and an injected clock: the broker is asked at most once per interval however often it is
 * scraped, in between the lag follows the consumer's cached watermarks, a new partition is asked about at
 * once, and a failure is not retried before the interval. (The gauge against a real broker:
 * partition-lag-source.int.test.ts.)
 */
import { createLogger } from '@sensor-pipeline/shared';
import { describe, expect, it } from 'vitest';
import { type LagConsumer, PartitionLagSource } from '../../src/service/partition-lag-source.js';

const log = createLogger({ service: 'test', level: 'silent' });

function standIn() {
  const broker = new Map<number, number>(); // partition → high watermark the broker reports
  const cached = new Map<number, number>(); // partition → the consumer's cached one
  let failing = false;
  let asked = 0;
  const consumer: LagConsumer = {
    highWatermark: (_topic, partition) => cached.get(partition),
    client: {
      queryWatermarkOffsets: ((
        _topic: string,
        partition: number,
        _timeout: number,
        cb: (err: unknown, marks: { highOffset: number; lowOffset: number }) => void,
      ) => {
        asked++;
        setImmediate(() =>
          failing
            ? cb(new Error('broker down'), { highOffset: -1, lowOffset: -1 })
            : cb(null, { highOffset: broker.get(partition) ?? 0, lowOffset: 0 }),
        );
      }) as never,
    },
  };
  return {
    consumer,
    broker,
    cached,
    fail: (f: boolean) => {
      failing = f;
    },
    asked: () => asked,
  };
}

describe('PartitionLagSource', () => {
  it('asks the broker at most once per interval, whatever the scrape rate, and shares a query in flight', async () => {
    let nowMs = 0;
    const source = new PartitionLagSource({ queryIntervalMs: 5_000, now: () => nowMs, log });
    const s = standIn();
    s.broker.set(0, 1_000).set(1, 500);
    const partitions = [
      { topic: 't', partition: 0, nextOffset: 400 },
      { topic: 't', partition: 1, nextOffset: 500 },
    ];
    const first = await Promise.all([source.lags(s.consumer, partitions), source.lags(s.consumer, partitions)]);
    expect(first[0]).toEqual([
      { topic: 't', partition: 0, lag: 600 },
      { topic: 't', partition: 1, lag: 0 },
    ]);
    expect(first[1]).toEqual(first[0]);
    expect(s.asked()).toBe(2); // one query per partition, shared by both scrapes
    for (let i = 0; i < 99; i++) {
      nowMs += 50;
      await source.lags(s.consumer, partitions);
    }
    expect(s.asked()).toBe(2); // 100 scrapes in 4.95 s
    nowMs = 5_000;
    s.broker.set(0, 3_000);
    expect((await source.lags(s.consumer, partitions))?.[0]?.lag).toBe(2_600);
    expect(s.asked()).toBe(4);
  });

  it('between queries follows the consumer cached watermarks and the progress made', async () => {
    let nowMs = 0;
    const source = new PartitionLagSource({ queryIntervalMs: 5_000, now: () => nowMs, log });
    const s = standIn();
    s.broker.set(0, 1_000);
    const state = { topic: 't', partition: 0, nextOffset: 0 };
    expect((await source.lags(s.consumer, [state]))?.[0]?.lag).toBe(1_000);
    nowMs = 1_000;
    s.cached.set(0, 1_800); // fetches brought newer records
    state.nextOffset = 300;
    expect((await source.lags(s.consumer, [state]))?.[0]?.lag).toBe(1_500);
    s.cached.set(0, 900); // an older cached value never lowers the known high watermark
    expect((await source.lags(s.consumer, [state]))?.[0]?.lag).toBe(700);
    expect(s.asked()).toBe(1);
  });

  it('asks at once about a partition assigned since the last answer, and forgets revoked ones', async () => {
    let nowMs = 0;
    const source = new PartitionLagSource({ queryIntervalMs: 5_000, now: () => nowMs, log });
    const s = standIn();
    s.broker.set(0, 10).set(1, 20);
    await source.lags(s.consumer, [{ topic: 't', partition: 0, nextOffset: 0 }]);
    nowMs = 100;
    const lags = await source.lags(s.consumer, [
      { topic: 't', partition: 0, nextOffset: 0 },
      { topic: 't', partition: 1, nextOffset: 5 },
    ]);
    expect(lags?.map((l) => l.lag)).toEqual([10, 15]);
    expect(s.asked()).toBe(3);
  });

  it('answers undefined when the broker does not answer, and waits out the interval before asking again', async () => {
    let nowMs = 0;
    const source = new PartitionLagSource({ queryIntervalMs: 5_000, now: () => nowMs, log });
    const s = standIn();
    s.fail(true);
    const partitions = [{ topic: 't', partition: 0, nextOffset: 0 }];
    expect(await source.lags(s.consumer, partitions)).toBeUndefined();
    nowMs = 1_000;
    // no answer yet for this partition, but the last query failed: the cached watermark serves
    s.cached.set(0, 40);
    expect(await source.lags(s.consumer, partitions)).toEqual([{ topic: 't', partition: 0, lag: 40 }]);
    expect(s.asked()).toBe(1);
    s.fail(false);
    s.broker.set(0, 70);
    nowMs = 5_000;
    expect(await source.lags(s.consumer, partitions)).toEqual([{ topic: 't', partition: 0, lag: 70 }]);
    expect(s.asked()).toBe(2);
  });

  it('reports nothing without a consumer', async () => {
    const source = new PartitionLagSource({ queryIntervalMs: 5_000, now: () => 0, log });
    expect(await source.lags(undefined, [{ topic: 't', partition: 0, nextOffset: 0 }])).toEqual([]);
  });
});
