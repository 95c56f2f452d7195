/**
 * The retry worker: consumes the retry topic in a consumer group of its own and gives each parked delivery
 * its next attempt when it is due, without ever holding the alerts consumer. Per partition, records are
 * taken strictly in order (a series parked behind its predecessor stays behind it, so a RESOLVED never
 * overtakes its FIRING); the head waits for its time, is tried, and on another failure simply waits for
 * its next step in memory — the partition's offset is committed only past finished records, so a restart
 * takes up exactly the unfinished ones (with the attempt counts they were parked with; the horizon runs
 * from the first attempt, which the record carries).
 *
 * Memory is bounded: a partition holding `maxHeldPerPartition` records is paused (the raw client's own
 * pause, not the KafkaJS layer's) and resumed at half. `consume` keeps being called meanwhile, so the group
 * never sees the worker as stuck however long a head waits.
 */
import {
  createRawConsumer,
  type KafkaSettings,
  type Logger,
  type RawConsumer,
  type RdKafka,
} from '@sensor-pipeline/shared';
import { type ParkedState, readParkedState } from '../stages/park-stage.js';
import type { ParkedOutcome, ParkedRecord } from './delivery-pipeline.js';

export interface RetryWorkerOptions {
  readonly kafka: KafkaSettings;
  readonly logger: Logger;
  readonly topic: string;
  readonly groupId: string;
  /** Gives one parked delivery its next attempt (DeliveryPipeline.deliverParked). */
  readonly deliver: (record: ParkedRecord, state: ParkedState) => Promise<ParkedOutcome>;
  /** Called for a record without valid `retry.*` headers, before it is skipped. */
  readonly onInvalid?: (record: ParkedRecord, partition: number, offset: number) => Promise<void>;
  readonly commitIntervalMs?: number;
  readonly maxHeldPerPartition?: number;
  /** Called when a partition's records before `nextOffset` are all finished (see retry-progress.ts). */
  readonly onFinished?: (partition: number, nextOffset: number) => void;
  readonly now?: () => number;
}

export interface RetryWorker {
  /** Partitions of the retry topic held now, and records held per partition. */
  held(): Record<number, number>;
  /**
   * The retry group's committed offsets (next offset to read) of these retry-topic partitions, whichever
   * instance holds them, asked of the group coordinator through this worker's own consumer.
   */
  committed(partitions: readonly number[]): Promise<Map<number, number>>;
  stop(): Promise<void>;
}

interface Lane {
  readonly partition: number;
  readonly messages: RdKafka.Message[];
  head: ParkedState | undefined;
  running: boolean;
  revoked: boolean;
  paused: boolean;
  /** Next offset to commit: one past the last finished record. */
  done: number | undefined;
  committed: number | undefined;
  wake: (() => void) | undefined;
}

/** Longest single wait for a due time, so stop and revocation are noticed promptly. */
const WAIT_SLICE_MS = 1_000;

export async function startRetryWorker(options: RetryWorkerOptions): Promise<RetryWorker> {
  const log = options.logger.child({ component: 'retry-worker', topic: options.topic });
  const now = options.now ?? Date.now;
  const maxHeld = options.maxHeldPerPartition ?? 1_000;
  const lanes = new Map<number, Lane>();
  let stopping = false;

  const consumer: RawConsumer = createRawConsumer(options.kafka, {
    logger: options.logger,
    groupId: options.groupId,
    readCommitted: true,
    onRebalance: (event, partitions) => {
      const mine = partitions.filter((p) => p.topic === options.topic);
      if (event === 'assign') {
        for (const p of mine)
          lanes.set(p.partition, {
            partition: p.partition,
            messages: [],
            head: undefined,
            running: false,
            revoked: false,
            paused: false,
            done: undefined,
            committed: undefined,
            wake: undefined,
          });
        consumer.assign(partitions);
      } else {
        // at shutdown the offsets were committed before leaving; a blocking commit inside the client's own
        // close would wait for itself
        const offsets = stopping ? [] : commitOffsets(mine.map((p) => p.partition));
        if (offsets.length > 0) {
          try {
            consumer.commitSync(offsets);
          } catch (err) {
            log.warn({ err }, 'commit on revoke failed; the next owner retries those records');
          }
        }
        for (const p of mine) {
          const lane = lanes.get(p.partition);
          if (lane) {
            lane.revoked = true;
            lane.wake?.();
          }
          lanes.delete(p.partition);
        }
        consumer.unassign(partitions);
      }
    },
  });
  await consumer.connect();
  consumer.client.subscribe([options.topic]);

  function commitOffsets(partitions?: readonly number[]): RdKafka.TopicPartitionOffset[] {
    const out: RdKafka.TopicPartitionOffset[] = [];
    for (const lane of lanes.values()) {
      if (partitions && !partitions.includes(lane.partition)) continue;
      if (lane.done !== undefined && lane.done !== lane.committed)
        out.push({ topic: options.topic, partition: lane.partition, offset: lane.done });
    }
    return out;
  }

  let committing = false;
  async function commit(): Promise<void> {
    const offsets = commitOffsets();
    if (offsets.length === 0 || committing) return;
    committing = true;
    try {
      await consumer.commit(offsets);
      for (const o of offsets) {
        const lane = lanes.get(o.partition);
        if (lane) lane.committed = o.offset;
      }
    } catch (err) {
      log.warn({ err }, 'retry topic commit failed; will retry');
    } finally {
      committing = false;
    }
  }

  const sleep = (lane: Lane, ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(resolve, Math.max(0, Math.min(ms, WAIT_SLICE_MS)));
      lane.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  async function work(lane: Lane): Promise<void> {
    lane.running = true;
    try {
      while (!stopping && !lane.revoked && lane.messages.length > 0) {
        const message = lane.messages[0]!;
        const key = typeof message.key === 'string' ? Buffer.from(message.key) : (message.key ?? null);
        const record: ParkedRecord = { key, value: message.value ?? null };
        lane.head ??= readParkedState(headersOf(message));
        const state = lane.head;
        if (!state) {
          log.warn(
            { partition: lane.partition, offset: message.offset },
            'retry record without valid retry headers; skipping',
          );
          await options.onInvalid?.(record, lane.partition, message.offset);
        } else {
          const waitMs = state.nextAttemptAtMs - now();
          if (waitMs > 0) {
            await sleep(lane, waitMs);
            continue;
          }
          const outcome = await options.deliver(record, state);
          if (outcome.kind === 'later') {
            state.nextAttemptAtMs = outcome.atMs;
            continue;
          }
        }
        if (lane.revoked) break;
        lane.messages.shift();
        lane.head = undefined;
        lane.done = message.offset + 1;
        options.onFinished?.(lane.partition, lane.done);
        if (lane.paused && lane.messages.length <= maxHeld / 2) {
          consumer.client.resume([{ topic: options.topic, partition: lane.partition }]);
          lane.paused = false;
        }
      }
    } catch (err) {
      log.error({ err, partition: lane.partition }, 'retry lane failed; its records are taken up after a restart');
    } finally {
      lane.running = false;
    }
  }

  const loop = (async () => {
    let lastCommit = now();
    while (!stopping) {
      let messages: RdKafka.Message[] = [];
      try {
        messages = await consumer.consume(100);
      } catch (err) {
        log.warn({ err }, 'consuming the retry topic failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      for (const message of messages) {
        const lane = lanes.get(message.partition);
        if (!lane || lane.revoked) continue;
        lane.messages.push(message);
        if (!lane.paused && lane.messages.length >= maxHeld) {
          consumer.client.pause([{ topic: options.topic, partition: lane.partition }]);
          lane.paused = true;
        }
        if (!lane.running) void work(lane);
      }
      if (now() - lastCommit >= (options.commitIntervalMs ?? 1_000)) {
        lastCommit = now();
        void commit(); // answered while consume keeps being called
      }
    }
  })();

  log.info({ groupId: options.groupId }, 'retry worker started');
  let stopped: Promise<void> | undefined;
  return {
    held: () => Object.fromEntries([...lanes.values()].map((l) => [l.partition, l.messages.length])),
    committed: async (partitions) => {
      const out = new Map<number, number>();
      if (stopping || partitions.length === 0) return out;
      const offsets = await consumer.committed(
        partitions.map((partition) => ({ topic: options.topic, partition })),
        5_000,
      );
      for (const o of offsets) if (typeof o.offset === 'number' && o.offset >= 0) out.set(o.partition, o.offset);
      return out;
    },
    stop() {
      stopped ??= (async () => {
        stopping = true;
        for (const lane of lanes.values()) lane.wake?.();
        await loop;
        // nothing consumes any more, so the asynchronous commit's answer would never be served
        const offsets = commitOffsets();
        if (offsets.length > 0) {
          try {
            consumer.commitSync(offsets);
          } catch (err) {
            log.warn({ err }, 'final retry topic commit failed; those records are tried again after a restart');
          }
        }
        await consumer.disconnect();
        log.info('retry worker stopped');
      })();
      return stopped;
    },
  };
}

function headersOf(message: RdKafka.Message): Record<string, string> {
  const out: Record<string, string> = {};
  for (const header of message.headers ?? [])
    for (const [name, value] of Object.entries(header))
      out[name] = Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
  return out;
}
