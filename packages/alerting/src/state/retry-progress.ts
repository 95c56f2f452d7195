/**
 * How far the retry worker got in each partition of the retry topic, whichever instance runs it: the retry
 * consumer group's committed offsets, asked of the broker every `refreshIntervalMs`, raised by what this
 * instance's own worker finished (`advance`). A parked series waits behind its latest parked delivery until
 * the worker is past that record. A stale view only errs on the safe side (offsets only grow): a later
 * alert is parked behind a delivery that is in fact done, and the worker sends it at once, still in order.
 */
import { createAdmin, type KafkaSettings, type Logger } from '@sensor-pipeline/shared';
import type { RetryPosition } from './state-record.js';

export interface RetryProgress {
  /** True once the worker finished the record at `position` (its partition's next offset is beyond it). */
  isDone(position: RetryPosition): boolean;
  /** This instance's worker finished everything before `nextOffset` in `partition`. */
  advance(partition: number, nextOffset: number): void;
  stop(): Promise<void>;
}

export function watchRetryProgress(options: {
  readonly kafka: KafkaSettings;
  readonly logger: Logger;
  readonly topic: string;
  readonly groupId: string;
  readonly refreshIntervalMs?: number;
}): RetryProgress {
  const log = options.logger.child({ component: 'retry-progress', topic: options.topic });
  const next = new Map<number, number>();
  const advance = (partition: number, nextOffset: number): void => {
    if (nextOffset > (next.get(partition) ?? -1)) next.set(partition, nextOffset);
  };
  const admin = createAdmin(options.kafka, options.logger);
  let stopped = false;
  let connected: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const refresh = async (): Promise<void> => {
    connected ??= admin.connect();
    await connected;
    const [entry] = await admin.fetchOffsets({ groupId: options.groupId, topics: [options.topic] });
    for (const p of entry?.partitions ?? []) {
      const offset = Number(p.offset);
      if (offset >= 0) advance(p.partition, offset);
    }
  };
  const tick = (): void => {
    running = refresh()
      .catch((err: unknown) => log.debug({ err }, 'reading the retry group offsets failed; will retry'))
      .finally(() => {
        if (!stopped) {
          timer = setTimeout(tick, options.refreshIntervalMs ?? 1_000);
          timer.unref();
        }
      });
  };
  tick();
  return {
    isDone: (position) => (next.get(position.partition) ?? -1) > position.offset,
    advance,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
      if (connected) await connected.then(() => admin.disconnect()).catch(() => undefined);
    },
  };
}
