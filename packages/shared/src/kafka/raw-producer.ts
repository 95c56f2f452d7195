/**
 * A producer on librdkafka's lower-level API, for the hot paths: no promise, closure or object per record.
 *
 * `produceBatch(records)` hands every record to librdkafka and returns one promise for the whole batch: it
 * resolves when every record has its delivery report (acknowledged by all in-sync replicas), and rejects with a
 * coded `LibrdkafkaError` on the first failure (the other records may still be delivered: at-least-once
 * callers retry the batch, exactly-once callers abort the transaction). The batch's one tracker object
 * rides along as each record's opaque, so a delivery report costs a counter decrement.
 *
 * Defaults keep the pipeline's promises: idempotent (retries never duplicate nor reorder), acks=all, lz4,
 * a short linger, the Java client's murmur2 partitioner (same key → same partition as every other client of
 * the pipeline). When librdkafka's queue is full the batch waits for deliveries to free room rather than
 * failing. Delivery reports are served on librdkafka's background thread unless `pollIntervalMs` asks for a
 * timer on the event loop (`setPollInterval`).
 *
 * With `transactionalId` the producer is transactional (exactly-once): call `initTransactions()` once after
 * `connect()` (it fences any earlier producer with the same id and aborts its open transaction), then
 * `beginTransaction()`, `produceBatch(...)`, `sendOffsetsToTransaction(...)`, `commitTransaction()` or
 * `abortTransaction()`. Their failures keep the client's verdicts (`retriable`, `abortable`, `fatal`).
 *
 * A client that stops making progress is replaced (not transactional producers: a transaction belongs to its
 * client). librdkafka can lose its connection and never reconnect while the broker is up (confluentinc/
 * librdkafka#5080: every record then waits for ever, or for its delivery timeout, on that client only). When
 * records are in flight and no delivery report came for `stallReplaceAfterMs`, a new client is connected, every
 * record of the unfinished batches is handed to it again in the order first produced, and the old client is
 * dropped (its reports from then on are ignored). The batches' promises are the same: callers see a slow batch,
 * not a failure. Records the old client did deliver without reporting it are written twice, with the same
 * contents (callers are at-least-once, with deterministic ids). During a broker outage the new client cannot
 * connect either: the old one is kept and the next attempt is made after another `stallReplaceAfterMs`.
 */
import rdkafka, { type RdKafka } from '@confluentinc/kafka-javascript';
import type { Logger } from '../logger.js';
import { commonKafkaProperties, type KafkaProperties, type KafkaSettings } from './kafka-clients.js';
import { type LibrdkafkaError, librdkafkaError } from './librdkafka-error.js';
import { StallWatch } from './stall-watch.js';

const ERR_QUEUE_FULL = rdkafka.CODES.ERRORS.ERR__QUEUE_FULL;

/** One record to produce. `partition` undefined or -1 lets the partitioner choose by key. */
export interface RawRecord {
  readonly topic: string;
  readonly partition?: number;
  readonly key?: Buffer | string | null;
  readonly value: Buffer | null;
  /** Record timestamp, ms since the epoch; undefined = now. */
  readonly timestamp?: number;
  readonly headers?: RdKafka.MessageHeader[];
}

export interface RawProducerOptions {
  readonly logger: Logger;
  /** Makes the producer transactional (exactly-once); must be stable per producing instance slot. */
  readonly transactionalId?: string;
  /** How long librdkafka may wait to fill a batch, ms. */
  readonly lingerMs?: number;
  readonly compression?: 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';
  /** How long a record may wait for acknowledgement, retries included, before it is reported failed, ms. */
  readonly deliveryTimeoutMs?: number;
  /** Transaction timeout, ms: the broker aborts a transaction left open this long (exactly-once only). */
  readonly transactionTimeoutMs?: number;
  /** Serve delivery reports from an event-loop timer every this many ms instead of librdkafka's thread. */
  readonly pollIntervalMs?: number;
  /** How long to wait for room when librdkafka's queue is full before trying again, ms. */
  readonly queueFullWaitMs?: number;
  /**
   * Records in flight and no delivery report for this long: the client is replaced (see above), ms; 0 = never.
   * Default 60 s. Not for transactional producers.
   */
  readonly stallReplaceAfterMs?: number;
  /** After each replacement: how long the records had waited and how many were handed to the new client. */
  readonly onReplaced?: (event: { readonly stalledMs: number; readonly records: number }) => void;
  /** Extra librdkafka properties (win over the defaults above). */
  readonly extra?: Readonly<KafkaProperties>;
}

export interface RawProducer {
  /** The client itself (the current one: see stall replacement), for what this wrapper does not cover. */
  readonly client: RdKafka.Producer;
  /** How many times the client was replaced after a stall. */
  readonly replacements: number;
  readonly transactional: boolean;
  /** Records handed to librdkafka whose delivery report has not arrived yet. */
  readonly inFlightRecords: number;
  /** Set once the client reported a fatal error: the instance must be replaced. */
  readonly fatalError: LibrdkafkaError | undefined;
  connect(timeoutMs?: number): Promise<void>;
  /** Resolves when every record is acknowledged; rejects on the first delivery failure. */
  produceBatch(records: readonly RawRecord[]): Promise<void>;
  flush(timeoutMs?: number): Promise<void>;
  initTransactions(timeoutMs?: number): Promise<void>;
  beginTransaction(): Promise<void>;
  sendOffsetsToTransaction(
    offsets: RdKafka.TopicPartitionOffset[],
    consumer: RdKafka.KafkaConsumer,
    timeoutMs?: number,
  ): Promise<void>;
  commitTransaction(timeoutMs?: number): Promise<void>;
  abortTransaction(timeoutMs?: number): Promise<void>;
  /** Flushes (bounded by `timeoutMs`) and disconnects. */
  disconnect(timeoutMs?: number): Promise<void>;
}

/** The state of one `produceBatch` call: carried as the opaque of each of its records. */
class BatchTracker {
  pending = 0;
  /** Records handed to librdkafka so far: `records[0, produced)`. */
  produced = 0;
  sealed = false;
  done = false;
  constructor(
    readonly records: readonly RawRecord[],
    readonly resolve: () => void,
    readonly reject: (err: unknown) => void,
  ) {}

  /** A delivery report for one of the batch's records. */
  delivered(err: RdKafka.LibrdKafkaError | null | undefined): void {
    if (this.done) return;
    if (err) {
      this.fail(librdkafkaError('KAFKA_DELIVERY_FAILED', 'record not acknowledged', err));
      return;
    }
    this.pending--;
    if (this.sealed && this.pending === 0) {
      this.done = true;
      this.resolve();
    }
  }

  /** Every record of the batch has been handed to librdkafka. */
  seal(): void {
    this.sealed = true;
    if (!this.done && this.pending === 0) {
      this.done = true;
      this.resolve();
    }
  }

  fail(err: LibrdkafkaError): void {
    if (this.done) return;
    this.done = true;
    this.reject(err);
  }
}

const DEFAULT_TIMEOUT_MS = 30_000;

export function createRawProducer(settings: KafkaSettings, options: RawProducerOptions): RawProducer {
  const log = options.logger.child({ component: 'raw-producer', transactionalId: options.transactionalId });
  const transactionTimeoutMs = options.transactionTimeoutMs ?? 60_000;
  const deliveryTimeoutMs = options.deliveryTimeoutMs ?? 120_000;
  const config: KafkaProperties = {
    ...commonKafkaProperties(settings),
    'enable.idempotence': true,
    acks: -1, // all in-sync replicas
    'linger.ms': options.lingerMs ?? 5,
    'compression.type': options.compression ?? 'lz4',
    // a transactional record cannot outlive its transaction
    'message.timeout.ms': options.transactionalId
      ? Math.min(deliveryTimeoutMs, transactionTimeoutMs)
      : deliveryTimeoutMs,
    partitioner: 'murmur2_random',
    dr_cb: true,
    ...(options.transactionalId
      ? {
          'transactional.id': options.transactionalId,
          'transaction.timeout.ms': transactionTimeoutMs,
        }
      : {}),
    ...options.extra,
  };
  const queueFullWaitMs = options.queueFullWaitMs ?? 2;
  let inFlightRecords = 0;
  let fatalError: LibrdkafkaError | undefined;
  let replacements = 0;
  /** Batches whose every record is not yet reported, in the order they were produced. */
  const open = new Set<BatchTracker>();
  const stall = new StallWatch(options.transactionalId ? 0 : (options.stallReplaceAfterMs ?? 60_000));
  let stallTimer: NodeJS.Timeout | undefined;
  /** Set while a replacement hands the open batches to a new client: producing waits for it. */
  let replacing: Promise<void> | undefined;
  let closing = false;

  const newClient = (): RdKafka.Producer => {
    const c = new rdkafka.Producer(config as RdKafka.ProducerGlobalConfig);
    c.on('delivery-report', (err, report) => {
      if (c !== client) return; // a replaced client's reports (its records were handed to the new one)
      inFlightRecords--;
      stall.progress(Date.now());
      (report.opaque as BatchTracker).delivered(err);
    });
    c.on('event.error', (err) => {
      if (c !== client) return;
      if (err.isFatal) {
        fatalError ??= librdkafkaError('KAFKA_PRODUCER_FATAL', 'producer failed for good', err);
        log.error({ err }, 'producer fatal error');
      } else log.warn({ err }, 'producer error (the client retries)');
    });
    return c;
  };
  let client = newClient();

  const connectClient = (c: RdKafka.Producer, timeoutMs: number) =>
    new Promise<void>((resolve, reject) => {
      c.connect({ timeout: timeoutMs }, (err) => {
        if (err) return reject(librdkafkaError('KAFKA_CONNECT_FAILED', 'producer could not connect', err));
        if (options.pollIntervalMs !== undefined) c.setPollInterval(options.pollIntervalMs);
        else c.setPollInBackground(true);
        resolve();
      });
    });

  /** Hands `r` to the current client, waiting for room while its queue is full; false when `tracker` ended. */
  const produceOne = async (r: RawRecord, tracker: BatchTracker): Promise<boolean> => {
    for (;;) {
      try {
        client.produce(r.topic, r.partition ?? -1, r.value, r.key, r.timestamp ?? 0, tracker, r.headers);
        tracker.pending++;
        inFlightRecords++;
        return true;
      } catch (err) {
        if ((err as { code?: number }).code === ERR_QUEUE_FULL && !tracker.done) {
          await new Promise((resolve) => setTimeout(resolve, queueFullWaitMs));
          continue;
        }
        tracker.fail(librdkafkaError('KAFKA_PRODUCE_FAILED', `record for ${r.topic} not accepted`, err));
        return false;
      }
    }
  };

  /** Disconnects a client without waiting for its records (they are not its to deliver any more). */
  const dropClient = (c: RdKafka.Producer): void => {
    try {
      if (c.isConnected()) c.disconnect(0, () => undefined);
    } catch (err) {
      log.warn({ err }, 'disconnecting a dropped producer client failed');
    }
  };

  /** A new client for a stalled one: the open batches' records go to it again, in the order first produced. */
  const replace = async (stalledMs: number): Promise<void> => {
    const fresh = newClient();
    try {
      await connectClient(fresh, Math.min(stall.afterMs, DEFAULT_TIMEOUT_MS));
    } catch (err) {
      log.warn({ err, stalledMs }, 'producer stalled and a new client could not connect; keeping the old one');
      stall.progress(Date.now()); // the next attempt after another interval
      dropClient(fresh);
      return;
    }
    if (closing) {
      dropClient(fresh); // disconnected meanwhile
      return;
    }
    const old = client;
    client = fresh;
    inFlightRecords = 0;
    let records = 0;
    for (const tracker of open) {
      if (tracker.done) continue;
      // unsealed while its records are handed over: reports of the first ones must not settle the batch while
      // the rest wait for room in the new client's queue
      const sealed = tracker.sealed;
      tracker.sealed = false;
      tracker.pending = 0;
      for (let i = 0; i < tracker.produced; i++) {
        if (!(await produceOne(tracker.records[i]!, tracker))) break;
        records++;
      }
      if (sealed) tracker.seal();
    }
    replacements++;
    stall.progress(Date.now());
    log.warn(
      { stalledMs, records, replacements },
      'producer made no progress with records in flight; replaced its client and produced them again',
    );
    options.onReplaced?.({ stalledMs, records });
    // its records are the new client's now: no flush, and what it reports is ignored
    dropClient(old);
  };

  const watchStall = (): void => {
    if (stall.afterMs <= 0) return;
    stallTimer = setInterval(
      () => {
        if (replacing) return;
        const stalledMs = stall.check(Date.now(), inFlightRecords);
        if (stalledMs === undefined) return;
        replacing = replace(stalledMs)
          .catch((err: unknown) => log.error({ err }, 'replacing a stalled producer client failed'))
          .finally(() => {
            replacing = undefined;
          });
      },
      Math.max(250, Math.floor(stall.afterMs / 4)),
    );
    stallTimer.unref();
  };

  /** Adapts a librdkafka callback operation to a promise that rejects with a coded error. */
  const call = (
    code: LibrdkafkaError['code'],
    what: string,
    op: (cb: (err: RdKafka.LibrdKafkaError) => void) => void,
  ) =>
    new Promise<void>((resolve, reject) => {
      op((err) => {
        if (!err) return resolve();
        const wrapped = librdkafkaError(code, what, err);
        if (wrapped.fatal) fatalError ??= wrapped;
        reject(wrapped);
      });
    });

  const produceBatch = async (records: readonly RawRecord[]): Promise<void> => {
    if (records.length === 0) return;
    let resolveBatch!: () => void;
    let rejectBatch!: (err: unknown) => void;
    const done = new Promise<void>((resolve, reject) => {
      resolveBatch = resolve;
      rejectBatch = reject;
    });
    const tracker = new BatchTracker(
      records,
      () => {
        open.delete(tracker);
        resolveBatch();
      },
      (err) => {
        open.delete(tracker);
        rejectBatch(err);
      },
    );
    open.add(tracker);
    if (replacing) await replacing;
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!;
      try {
        // the common case without a function call or a promise per record
        client.produce(r.topic, r.partition ?? -1, r.value, r.key, r.timestamp ?? 0, tracker, r.headers);
        tracker.pending++;
        inFlightRecords++;
      } catch (err) {
        if ((err as { code?: number }).code !== ERR_QUEUE_FULL || tracker.done) {
          tracker.fail(librdkafkaError('KAFKA_PRODUCE_FAILED', `record for ${r.topic} not accepted`, err));
          return done;
        }
        // the queue is full: wait for room (a replacement meanwhile hands this batch's earlier records over first)
        await new Promise((resolve) => setTimeout(resolve, queueFullWaitMs));
        if (replacing) await replacing;
        if (!(await produceOne(r, tracker))) return done;
      }
      tracker.produced = i + 1;
      if (tracker.done) return done; // a delivery failed while the batch waited for room
    }
    tracker.seal();
    return done;
  };

  return {
    get client() {
      return client;
    },
    get replacements() {
      return replacements;
    },
    transactional: options.transactionalId !== undefined,
    get inFlightRecords() {
      return inFlightRecords;
    },
    get fatalError() {
      return fatalError;
    },
    connect: async (timeoutMs = DEFAULT_TIMEOUT_MS) => {
      await connectClient(client, timeoutMs);
      if (!stallTimer) watchStall();
    },
    produceBatch,
    flush: (timeoutMs = DEFAULT_TIMEOUT_MS) => call('KAFKA_FLUSH_FAILED', 'flush', (cb) => client.flush(timeoutMs, cb)),
    initTransactions: (timeoutMs = DEFAULT_TIMEOUT_MS) =>
      call('KAFKA_TXN_INIT_FAILED', 'initTransactions', (cb) => client.initTransactions(timeoutMs, cb)),
    beginTransaction: () => call('KAFKA_TXN_BEGIN_FAILED', 'beginTransaction', (cb) => client.beginTransaction(cb)),
    sendOffsetsToTransaction: (offsets, consumer, timeoutMs = DEFAULT_TIMEOUT_MS) =>
      call('KAFKA_TXN_OFFSETS_FAILED', 'sendOffsetsToTransaction', (cb) =>
        client.sendOffsetsToTransaction(offsets, consumer, timeoutMs, cb),
      ),
    commitTransaction: (timeoutMs = DEFAULT_TIMEOUT_MS) =>
      call('KAFKA_TXN_COMMIT_FAILED', 'commitTransaction', (cb) => client.commitTransaction(timeoutMs, cb)),
    abortTransaction: (timeoutMs = DEFAULT_TIMEOUT_MS) =>
      call('KAFKA_TXN_ABORT_FAILED', 'abortTransaction', (cb) => client.abortTransaction(timeoutMs, cb)),
    disconnect: (timeoutMs = DEFAULT_TIMEOUT_MS) =>
      new Promise<void>((resolve) => {
        closing = true;
        clearInterval(stallTimer);
        if (!client.isConnected()) return resolve();
        client.flush(timeoutMs, () => client.disconnect(timeoutMs, () => resolve()));
      }),
  };
}
