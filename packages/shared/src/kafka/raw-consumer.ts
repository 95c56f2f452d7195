/**
 * A group consumer on librdkafka's lower-level API (`KafkaConsumer`), for the hot paths: batches come from
 * `consume(n)` as the client's own message objects (no wrapper per message), offsets are committed only
 * explicitly, and the rebalance callback hands assignment changes to the caller, who calls
 * `incrementalAssign` / `incrementalUnassign` when it is ready (cooperative-sticky: a rebalance moves only
 * the partitions that change owner; the others keep being consumed).
 *
 * Memory is bounded whatever the backlog: librdkafka prefetches at most `queuedMaxKbytes` per partition
 * queue (`queued.max.messages.kbytes`) and `queuedMinMessages`, fetches at most `fetchMaxBytes` per request
 * and `maxPartitionFetchBytes` per partition. The defaults keep a consumer of a few partitions in the tens
 * of MB while still reading hundreds of thousands of small records per second. A partition whose queue is
 * at its bound is fetched again after `fetchQueueBackoffMs` (librdkafka's `fetch.queue.backoff.ms`, 1 s by
 * default): with small queues the default starves a fast consumer, so it is 10 ms here.
 */
import rdkafka, { type RdKafka } from '@confluentinc/kafka-javascript';
import type { Logger } from '../logger.js';
import { commonKafkaProperties, type KafkaProperties, type KafkaSettings } from './kafka-clients.js';
import { librdkafkaError } from './librdkafka-error.js';

export type RawRebalanceEvent = 'assign' | 'revoke';

export interface RawConsumerOptions {
  readonly logger: Logger;
  readonly groupId: string;
  /** Static membership: a restart within the session timeout keeps the member's partitions. */
  readonly groupInstanceId?: string;
  /** Read only committed transactional records (default true). */
  readonly readCommitted?: boolean;
  /**
   * Assignment changes. The callee must call `assign(partitions)` for 'assign' and `unassign(partitions)`
   * for 'revoke' (now or later, e.g. after rebuilding state or committing); `lost` tells a revocation whose
   * partitions already belong to another member (commits would fail).
   */
  readonly onRebalance: (
    event: RawRebalanceEvent,
    partitions: readonly RdKafka.TopicPartition[],
    lost: boolean,
  ) => void;
  /** Per-partition prefetch bound, KB (`queued.max.messages.kbytes`). */
  readonly queuedMaxKbytes?: number;
  /** Per-partition prefetch bound, records (`queued.min.messages`). */
  readonly queuedMinMessages?: number;
  /** Bytes per fetch request (`fetch.max.bytes`). */
  readonly fetchMaxBytes?: number;
  /** Bytes per partition per fetch request (`max.partition.fetch.bytes`). */
  readonly maxPartitionFetchBytes?: number;
  /**
   * How long a partition whose prefetch queue is full waits before it is fetched again, ms
   * (`fetch.queue.backoff.ms`). Default 10.
   */
  readonly fetchQueueBackoffMs?: number;
  /** How long `consume` waits for a first record, ms. */
  readonly consumeTimeoutMs?: number;
  /** An async commit not answered within this long is reported failed (and can be made again), ms. */
  readonly commitTimeoutMs?: number;
  readonly extra?: Readonly<KafkaProperties>;
}

export interface RawConsumer {
  readonly client: RdKafka.KafkaConsumer;
  connect(timeoutMs?: number): Promise<void>;
  /** Up to `max` records, waiting at most `consumeTimeoutMs` for the first; [] when none came. */
  consume(max: number): Promise<RdKafka.Message[]>;
  assign(partitions: readonly RdKafka.TopicPartitionOffset[] | readonly RdKafka.TopicPartition[]): void;
  unassign(partitions: readonly RdKafka.TopicPartition[]): void;
  /**
   * The partition's end offset as of the consumer's latest fetch response (librdkafka's cached high
   * watermark: no request to the broker, cheap enough to ask every loop); undefined until a fetch brought
   * one. A consumer whose next offset is at or past it has consumed everything the broker holds (lag 0).
   */
  highWatermark(topic: string, partition: number): number | undefined;
  /** The group's committed offsets (with metadata) for these partitions. */
  committed(
    partitions: readonly RdKafka.TopicPartition[],
    timeoutMs?: number,
  ): Promise<RdKafka.TopicPartitionOffsetAndMetadata[]>;
  /** Commits and waits for the coordinator's answer (served while consuming); rejects when any partition failed. */
  commit(offsets: readonly RdKafka.TopicPartitionOffsetAndMetadata[]): Promise<void>;
  /** Commits and blocks until answered: for revocation and shutdown, when nothing consumes any more. */
  commitSync(offsets: readonly RdKafka.TopicPartitionOffsetAndMetadata[]): void;
  disconnect(timeoutMs?: number): Promise<void>;
}

const ERR_ASSIGN = rdkafka.CODES.ERRORS.ERR__ASSIGN_PARTITIONS;

export function createRawConsumer(settings: KafkaSettings, options: RawConsumerOptions): RawConsumer {
  const log = options.logger.child({ component: 'raw-consumer', groupId: options.groupId });
  // an async commit is answered through offset_commit_cb with the offsets it carried
  const pendingCommits: { key: string; resolve: () => void; reject: (err: unknown) => void }[] = [];
  const commitTimeoutMs = options.commitTimeoutMs ?? 30_000;
  const commitKey = (offsets: readonly RdKafka.TopicPartitionOffset[]) =>
    offsets
      .map((o) => `${o.topic}\u0000${o.partition}\u0000${o.offset}`)
      .sort()
      .join('\u0001');
  const config: KafkaProperties = {
    ...commonKafkaProperties(settings),
    'group.id': options.groupId,
    'enable.auto.commit': false,
    'enable.auto.offset.store': false,
    'isolation.level': options.readCommitted === false ? 'read_uncommitted' : 'read_committed',
    'partition.assignment.strategy': 'cooperative-sticky',
    // Prefetch bounds. librdkafka holds each fetch response (decompressed batch by batch) until every message
    // from it has been consumed, so fetch sizes, more than the queue bounds, set the resident memory: measured
    // draining 1M readings, 16 MB / 2 MB fetches peaked at about 230 MB more RSS than 4 MB / 1 MB, and 2 MB /
    // 512 KB about 40 MB less again, for the same CPU time (README, "Benchmarks"). Small queues are only as fast
    // as large ones with a short fetch.queue.backoff.ms: at librdkafka's default (1 s) a partition whose queue
    // reached its bound is not fetched again for a second, and the same drain took 11.3 s instead of 8.4 s,
    // the consuming thread idle a quarter of the time.
    'queued.max.messages.kbytes': options.queuedMaxKbytes ?? 2_048, // 2 MB per partition
    'queued.min.messages': options.queuedMinMessages ?? 10_000,
    'fetch.max.bytes': options.fetchMaxBytes ?? 2 * 1024 * 1024,
    'max.partition.fetch.bytes': options.maxPartitionFetchBytes ?? 512 * 1024,
    'fetch.queue.backoff.ms': options.fetchQueueBackoffMs ?? 10,
    'fetch.wait.max.ms': 50,
    ...(options.groupInstanceId ? { 'group.instance.id': options.groupInstanceId } : {}),
    rebalance_cb: function (
      this: RdKafka.KafkaConsumer,
      err: RdKafka.LibrdKafkaError,
      assignment: RdKafka.TopicPartition[],
    ) {
      const event: RawRebalanceEvent = err.code === ERR_ASSIGN ? 'assign' : 'revoke';
      let lost = false;
      try {
        lost = event === 'revoke' && (client as unknown as { assignmentLost(): boolean }).assignmentLost();
      } catch {
        // not connected any more
      }
      log.info(
        { event, lost, partitions: assignment.map((a) => `${a.topic}[${a.partition}]`) },
        'partitions %s',
        event === 'assign' ? 'assigned' : 'revoked',
      );
      options.onRebalance(event, assignment, lost);
    },
    offset_commit_cb: (err: RdKafka.LibrdKafkaError | undefined, offsets: RdKafka.TopicPartitionOffset[]) => {
      const key = commitKey(offsets ?? []);
      const index = pendingCommits.findIndex((p) => p.key === key);
      if (index < 0) return; // a synchronous commit's echo
      const [pending] = pendingCommits.splice(index, 1);
      if (!pending) return;
      const failed =
        (err && err.code !== 0 ? err : undefined) ?? offsets?.find((o) => o.error && o.error.code !== 0)?.error;
      // "no offset to commit" is success: the coordinator already has them
      if (failed && failed.code !== rdkafka.CODES.ERRORS.ERR__NO_OFFSET)
        pending.reject(librdkafkaError('KAFKA_ERROR', 'offset commit failed', failed));
      else pending.resolve();
    },
    ...options.extra,
  };
  // a group without committed offsets starts at the beginning (a topic-level property for this client)
  const client = new rdkafka.KafkaConsumer(config as RdKafka.ConsumerGlobalConfig, { 'auto.offset.reset': 'earliest' });
  client.on('event.error', (err) => log.warn({ err }, 'consumer error (the client retries)'));

  const call = <T>(what: string, fn: (cb: (err: RdKafka.LibrdKafkaError | null, value: T) => void) => void) =>
    new Promise<T>((resolve, reject) =>
      fn((err, value) => (err ? reject(librdkafkaError('KAFKA_ERROR', what, err)) : resolve(value))),
    );

  return {
    client,
    connect: async (timeoutMs = 30_000) => {
      await new Promise<void>((resolve, reject) =>
        client.connect({ timeout: timeoutMs }, (err) =>
          err ? reject(librdkafkaError('KAFKA_CONNECT_FAILED', 'consumer could not connect', err)) : resolve(),
        ),
      );
      client.setDefaultConsumeTimeout(options.consumeTimeoutMs ?? 100);
      (
        client as unknown as { setDefaultIsTimeoutOnlyForFirstMessage(v: boolean): void }
      ).setDefaultIsTimeoutOnlyForFirstMessage(true);
    },
    consume: (max) =>
      new Promise<RdKafka.Message[]>((resolve, reject) =>
        client.consume(max, (err, messages) =>
          err ? reject(librdkafkaError('KAFKA_ERROR', 'consume failed', err)) : resolve(messages),
        ),
      ),
    assign: (partitions) =>
      (client as unknown as { incrementalAssign(p: readonly RdKafka.TopicPartition[]): void }).incrementalAssign(
        partitions,
      ),
    unassign: (partitions) =>
      (client as unknown as { incrementalUnassign(p: readonly RdKafka.TopicPartition[]): void }).incrementalUnassign(
        partitions,
      ),
    highWatermark: (topic, partition) => {
      try {
        const high = client.getWatermarkOffsets(topic, partition).highOffset;
        return typeof high === 'number' && high >= 0 ? high : undefined;
      } catch {
        return undefined; // not assigned, or not connected
      }
    },
    committed: (partitions, timeoutMs = 10_000) =>
      call<RdKafka.TopicPartitionOffsetAndMetadata[]>('reading committed offsets failed', (cb) =>
        client.committed([...partitions], timeoutMs, cb as never),
      ),
    commit: (offsets) =>
      new Promise<void>((resolve, reject) => {
        const forget = () => {
          const index = pendingCommits.indexOf(entry);
          if (index >= 0) pendingCommits.splice(index, 1);
        };
        const timer = setTimeout(() => {
          forget();
          reject(
            librdkafkaError('KAFKA_ERROR', 'offset commit not answered', {
              message: `no answer in ${commitTimeoutMs} ms`,
              isRetriable: true,
            }),
          );
        }, commitTimeoutMs);
        const entry = {
          key: commitKey(offsets),
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
          reject: (err: unknown) => {
            clearTimeout(timer);
            reject(err);
          },
        };
        pendingCommits.push(entry);
        try {
          client.commit([...offsets]);
        } catch (err) {
          forget();
          entry.reject(librdkafkaError('KAFKA_ERROR', 'offset commit not accepted', err));
        }
      }),
    commitSync: (offsets) => {
      try {
        client.commitSync([...offsets]);
      } catch (err) {
        throw librdkafkaError('KAFKA_ERROR', 'offset commit failed', err);
      }
    },
    disconnect: (timeoutMs = 10_000) =>
      new Promise<void>((resolve) => {
        if (!client.isConnected()) return resolve();
        const timer = setTimeout(resolve, timeoutMs);
        client.disconnect(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}
