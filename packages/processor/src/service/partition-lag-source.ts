/**
 * `PartitionLagSource`: each assigned partition's lag for the lag gauge at scrape time — its high watermark
 * minus the next offset to process. The high watermarks are asked of the broker, so that the lag grows while
 * processing stalls (when the consumer stops fetching, its own cached watermarks stop moving too), but at most
 * once per `queryIntervalMs`: a scrape in between is answered from the last answer, raised to the consumer's
 * cached watermarks (which fetches keep current while consuming). The broker query runs on libuv's thread
 * pool, as the consumer's `consume` does: asked on every scrape, a scraper polling every 50 ms halved the
 * speed of a drain. Concurrent scrapes share one query; a failed or unanswered query answers undefined (the
 * gauge keeps its last values) and is not tried again before the interval has passed. Time is an argument.
 */
import type { Logger, RawConsumer } from '@sensor-pipeline/shared';
import type { PartitionState } from './partition-state.js';
import type { PartitionLag } from './processor-metrics.js';

/** How long a query waits for the broker's high watermarks, ms. */
const LAG_QUERY_TIMEOUT_MS = 2_000;

/** What the lag source needs of the consumer. */
export type LagConsumer = Pick<RawConsumer, 'highWatermark'> & {
  readonly client: Pick<RawConsumer['client'], 'queryWatermarkOffsets'>;
};

export interface PartitionLagSourceOptions {
  /** Ask the broker at most this often, ms. */
  readonly queryIntervalMs: number;
  readonly now: () => number;
  readonly log: Logger;
}

export class PartitionLagSource {
  /** The broker's latest answers, by `topic\0partition`. */
  private readonly highs = new Map<string, number>();
  private queriedAtMs = Number.NEGATIVE_INFINITY;
  private inFlight: Promise<boolean> | undefined;
  private lastFailed = false;
  /** Queries sent to the broker (one per partition each), for tests. */
  queries = 0;

  constructor(private readonly options: PartitionLagSourceOptions) {}

  async lags(
    consumer: LagConsumer | undefined,
    partitions: Iterable<Pick<PartitionState, 'topic' | 'partition' | 'nextOffset'>>,
  ): Promise<PartitionLag[] | undefined> {
    if (!consumer) return [];
    const states = [...partitions];
    // a partition assigned since the last answer is asked about at once (unless that answer was a failure)
    const unknown = !this.lastFailed && states.some((s) => !this.highs.has(keyOf(s.topic, s.partition)));
    if (unknown || this.options.now() - this.queriedAtMs >= this.options.queryIntervalMs) {
      this.inFlight ??= this.query(consumer, states).finally(() => {
        this.inFlight = undefined;
      });
      if (!(await this.inFlight)) return undefined;
    }
    return states.map((s) => {
      const high = Math.max(
        this.highs.get(keyOf(s.topic, s.partition)) ?? 0,
        consumer.highWatermark(s.topic, s.partition) ?? 0,
      );
      return { topic: s.topic, partition: s.partition, lag: Math.max(0, high - s.nextOffset) };
    });
  }

  private async query(
    consumer: LagConsumer,
    states: readonly Pick<PartitionState, 'topic' | 'partition'>[],
  ): Promise<boolean> {
    this.queriedAtMs = this.options.now();
    try {
      const answers = await Promise.all(
        states.map(
          (s) =>
            new Promise<number>((resolve, reject) => {
              this.queries++;
              consumer.client.queryWatermarkOffsets(s.topic, s.partition, LAG_QUERY_TIMEOUT_MS, (err, marks) =>
                err ? reject(err) : resolve(marks.highOffset),
              );
            }),
        ),
      );
      for (let i = 0; i < states.length; i++)
        this.highs.set(keyOf(states[i]!.topic, states[i]!.partition), answers[i]!);
      // forget partitions no longer held
      const held = new Set(states.map((s) => keyOf(s.topic, s.partition)));
      for (const key of this.highs.keys()) if (!held.has(key)) this.highs.delete(key);
      this.lastFailed = false;
      return true;
    } catch (err) {
      this.lastFailed = true;
      this.options.log.debug({ err }, 'high watermark query failed; the lag gauge keeps its last values');
      return false;
    }
  }
}

function keyOf(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}
