/**
 * How far the retry worker got in each partition of the retry topic, whichever instance runs it: the retry
 * consumer group's committed offsets of the partitions asked about, fetched every `refreshIntervalMs`
 * (through the worker's own consumer, see `RetryWorker.committed`), raised by what this instance's own
 * worker finished (`advance`). A parked series waits behind its latest parked delivery until the worker is
 * past that record. A stale view only errs on the safe side (offsets only grow): a later alert is parked
 * behind a delivery that is in fact done, and the worker sends it at once, still in order.
 */
import type { Logger } from '@sensor-pipeline/shared';
import type { RetryPosition } from './state-record.js';

export interface RetryProgress {
  /** True once the worker finished the record at `position` (its partition's next offset is beyond it). */
  isDone(position: RetryPosition): boolean;
  /** This instance's worker finished everything before `nextOffset` in `partition`. */
  advance(partition: number, nextOffset: number): void;
  stop(): Promise<void>;
}

export function watchRetryProgress(options: {
  readonly logger: Logger;
  /** The retry group's committed offsets of these partitions (next offset to read). */
  readonly fetchCommitted: (partitions: readonly number[]) => Promise<ReadonlyMap<number, number>>;
  readonly refreshIntervalMs?: number;
}): RetryProgress {
  const log = options.logger.child({ component: 'retry-progress' });
  const next = new Map<number, number>();
  /** Partitions some parked series waits on (only those are asked about). */
  const wanted = new Set<number>();
  const advance = (partition: number, nextOffset: number): void => {
    if (nextOffset > (next.get(partition) ?? -1)) next.set(partition, nextOffset);
  };
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const tick = (): void => {
    const partitions = [...wanted];
    wanted.clear();
    running = (partitions.length > 0 ? options.fetchCommitted(partitions) : Promise.resolve(new Map()))
      .then((offsets) => {
        for (const [partition, offset] of offsets) advance(partition, offset);
      })
      .catch((err: unknown) => {
        for (const p of partitions) wanted.add(p);
        log.debug({ err }, 'reading the retry group offsets failed; will retry');
      })
      .finally(() => {
        if (!stopped) {
          timer = setTimeout(tick, options.refreshIntervalMs ?? 1_000);
          timer.unref();
        }
      });
  };
  tick();
  return {
    isDone: (position) => {
      if ((next.get(position.partition) ?? -1) > position.offset) return true;
      wanted.add(position.partition);
      return false;
    },
    advance,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
