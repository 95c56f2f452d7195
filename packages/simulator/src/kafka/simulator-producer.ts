/**
 * The simulator's Kafka producer: shared's lower-level (librdkafka) producer, idempotent with acks=all, used
 * as a `MessageSink` with no promise, closure or object per message — each message is one `produce()` call
 * into librdkafka's queue, and the queue's bound (`maxInFlight` messages not yet acknowledged) is the
 * simulation's backpressure: a full queue takes fewer messages, the loop waits and offers the rest again.
 *
 * Acknowledgements are counted from delivery reports. By default (`deliveryReports: 'errors'`) librdkafka
 * reports only failures (`delivery.report.only.error`): a delivery report costs the event loop about 3 µs
 * (the client builds an object and a key buffer for each), which alone would cap a core at ~200k messages/s.
 * Then the acknowledged count is the messages written minus those failed minus those librdkafka still holds
 * (its statistics' `msg_cnt`, every `statsIntervalMs`) while the run goes, and exact after `drain()`: a
 * successful flush means librdkafka holds nothing, so every message without a failure report was
 * acknowledged. `deliveryReports: 'all'` counts every report instead (exact at every moment, slower).
 *
 * Batching: records wait up to `lingerMs` to fill large batches, compressed with lz4 (fast, cheap on CPU;
 * zstd packs tighter). Keys go to partitions by murmur2, like every other client of the pipeline. Measured
 * with bench/produce.bench.ts.
 */
import {
  createRawProducer,
  type KafkaSettings,
  type Logger,
  type RawProducer,
  type RawProducerOptions,
} from '@sensor-pipeline/shared';
import type { SimMessage } from '../core/message-source.js';
import { DeliveryFailures } from './delivery-failures.js';
import type { MessageSink } from './message-sink.js';

export interface ProducerTuning {
  /** How long a batch may wait to fill, ms (default 20). */
  readonly lingerMs?: number;
  readonly compression?: NonNullable<RawProducerOptions['compression']>;
  /** Largest batch per partition, bytes (default 1,000,000, under the broker's default message.max.bytes). */
  readonly batchSizeBytes?: number;
  /** Largest batch per partition, messages (default 100,000: the byte limit decides). */
  readonly batchMessages?: number;
  /** Local queue bound, messages (default: the simulation's maxInFlight). */
  readonly queueMessages?: number;
  /** How long a record may take to be acknowledged, retries included, before it counts as failed, ms (default 2 minutes). */
  readonly deliveryTimeoutMs?: number;
  /** Which delivery reports librdkafka sends: failures only (default, fast) or every message (exact live count). */
  readonly deliveryReports?: 'errors' | 'all';
  /** How often librdkafka's statistics refresh the live acknowledged count, ms (default 500; 'errors' mode). */
  readonly statsIntervalMs?: number;
  /** librdkafka properties on top. */
  readonly extra?: RawProducerOptions['extra'];
}

export const DEFAULT_TUNING = {
  lingerMs: 20,
  compression: 'lz4',
  batchSizeBytes: 1_000_000,
  batchMessages: 100_000,
  deliveryReports: 'errors',
  statsIntervalMs: 500,
} as const satisfies ProducerTuning;

/** librdkafka's RD_KAFKA_RESP_ERR__QUEUE_FULL: the local queue is at `queue.buffering.max.messages`. */
const ERR_QUEUE_FULL = -184;
/** How long to wait for room in a full queue before offering again, ms. */
const QUEUE_FULL_WAIT_MS = 2;

export class SimulatorProducer implements MessageSink {
  readonly producer: RawProducer;
  private readonly log: Logger;
  private readonly failuresLog: DeliveryFailures;
  private readonly allReports: boolean;
  private written = 0;
  private ackedReported = 0;
  /** 'errors' mode: acknowledged as estimated from the newest statistics (never decreasing). */
  private ackedEstimate = 0;
  /** True once a flush proved that librdkafka holds nothing: `written - failed` is then exact. */
  private confirmed = true;
  private wake: (() => void) | undefined;

  constructor(settings: KafkaSettings, logger: Logger, tuning: ProducerTuning = {}, maxInFlight = 500_000) {
    this.log = logger.child({ component: 'simulator-producer' });
    this.failuresLog = new DeliveryFailures(this.log);
    this.allReports = (tuning.deliveryReports ?? DEFAULT_TUNING.deliveryReports) === 'all';
    const statsIntervalMs = tuning.statsIntervalMs ?? DEFAULT_TUNING.statsIntervalMs;
    this.producer = createRawProducer(settings, {
      logger,
      lingerMs: tuning.lingerMs ?? DEFAULT_TUNING.lingerMs,
      compression: tuning.compression ?? DEFAULT_TUNING.compression,
      ...(tuning.deliveryTimeoutMs === undefined ? {} : { deliveryTimeoutMs: tuning.deliveryTimeoutMs }),
      // its messages go to the client directly, untracked by the raw producer: nothing it could hand over again
      stallReplaceAfterMs: 0,
      extra: {
        'batch.size': tuning.batchSizeBytes ?? DEFAULT_TUNING.batchSizeBytes,
        'batch.num.messages': tuning.batchMessages ?? DEFAULT_TUNING.batchMessages,
        'queue.buffering.max.messages': tuning.queueMessages ?? maxInFlight,
        'queue.buffering.max.kbytes': 2_097_151, // librdkafka's maximum: the message count is the bound
        ...(this.allReports
          ? {}
          : { 'delivery.report.only.error': true, 'statistics.interval.ms': Math.max(100, statsIntervalMs) }),
        ...tuning.extra,
      },
    });
    const client = this.producer.client;
    // this sink counts delivery reports itself, without a per-message opaque (the raw producer's batch
    // tracking needs one on every record, and a report for each)
    client.removeAllListeners('delivery-report');
    client.on('delivery-report', (err) => {
      if (err) this.failuresLog.record(err, 1);
      else this.ackedReported++;
      this.notify();
    });
    if (!this.allReports) {
      client.on('event.stats', (event: { message: string }) => {
        const held = heldMessages(event.message);
        if (held === undefined) return;
        const acked = this.written - this.failuresLog.count - held;
        if (acked > this.ackedEstimate) this.ackedEstimate = acked;
        this.notify();
      });
    }
  }

  connect(): Promise<void> {
    return this.producer.connect();
  }

  /** Flushes what is left (bounded by `timeoutMs`) and disconnects. */
  disconnect(timeoutMs?: number): Promise<void> {
    return this.producer.disconnect(timeoutMs);
  }

  write(topic: string, messages: readonly SimMessage[]): number {
    const client = this.producer.client;
    let i = 0;
    for (; i < messages.length; i++) {
      const m = messages[i]!;
      try {
        // partition -1: murmur2 of the key; timestamp 0: the produce time
        client.produce(topic, -1, m.value, m.key, 0);
      } catch (err) {
        if ((err as { code?: unknown }).code === ERR_QUEUE_FULL) break;
        this.failuresLog.record(err, 1); // refused outright (e.g. larger than message.max.bytes): taken, failed
      }
    }
    if (i > 0) {
      this.written += i;
      this.confirmed = false;
    }
    return i;
  }

  get room(): number {
    return Number.POSITIVE_INFINITY;
  }

  get acked(): number {
    if (this.allReports) return this.ackedReported;
    return this.confirmed ? this.written - this.failuresLog.count : this.ackedEstimate;
  }

  get failed(): number {
    return this.failuresLog.count;
  }

  get failures(): ReadonlyMap<string, number> {
    return this.failuresLog.byReason;
  }

  /** Messages written and not yet known to be acknowledged or failed. */
  get inFlight(): number {
    return this.written - this.acked - this.failed;
  }

  turnsAfterWrite(count: number): number {
    // all reports: the client dispatches 100 per event-loop turn; failures only: one turn for timers and signals
    return this.allReports ? Math.ceil(count / 100) : 1;
  }

  settled(maxWaitMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const previous = this.wake;
      const timer = setTimeout(done, Math.min(maxWaitMs, QUEUE_FULL_WAIT_MS));
      const self = this;
      function done(): void {
        clearTimeout(timer);
        if (self.wake === done) self.wake = undefined;
        previous?.();
        resolve();
      }
      this.wake = done;
    });
  }

  async drain(timeoutMs: number): Promise<number> {
    if (this.inFlight === 0 && this.confirmed) return 0;
    if (this.allReports) {
      const deadline = Date.now() + timeoutMs;
      while (this.inFlight > 0 && Date.now() < deadline) await sleep(Math.min(50, deadline - Date.now()));
      return this.inFlight;
    }
    const writtenBefore = this.written;
    try {
      await this.producer.flush(timeoutMs);
    } catch (err) {
      this.log.warn({ err, inFlight: this.inFlight }, 'flush did not complete');
      return this.inFlight;
    }
    // librdkafka holds nothing now; its failure reports may still be on their way to JavaScript (handed over
    // 100 per event-loop turn): wait until two turns in a row bring none
    let quietTurns = 0;
    let failed = this.failuresLog.count;
    while (quietTurns < 2) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      quietTurns = this.failuresLog.count === failed ? quietTurns + 1 : 0;
      failed = this.failuresLog.count;
    }
    if (this.written === writtenBefore) {
      this.confirmed = true;
      this.ackedEstimate = this.written - this.failuresLog.count;
    }
    return this.inFlight;
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}

export function createSimulatorProducer(
  settings: KafkaSettings,
  logger: Logger,
  tuning: ProducerTuning = {},
  maxInFlight?: number,
): SimulatorProducer {
  return new SimulatorProducer(settings, logger, tuning, maxInFlight);
}

/** `msg_cnt` of a librdkafka statistics document: messages in the producer's queues, not yet reported. */
function heldMessages(json: string): number | undefined {
  // the top-level field comes early in the document; avoid parsing the per-broker and per-partition parts
  const match = /"msg_cnt":(\d+)/.exec(json);
  return match ? Number(match[1]) : undefined;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
