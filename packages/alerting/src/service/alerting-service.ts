/**
 * The Kafka shell around the delivery pipeline: consumes the alerts topic in its own consumer group
 * (read_committed, manual commits), hands each record to the pipeline, and commits per partition only up
 * to the lowest alert that is fully done, so a crash (even SIGKILL) loses nothing: whatever was not
 * finished is consumed again and delivered with the same `webhook-id`. Pauses consumption while a
 * receiver queue is full and resumes at half (by holding the batch handler, see `waitForRoom`). Dead letters go to the deliveries DLQ with an idempotent,
 * acks=all producer.
 *
 * Restarts: what the pipeline must not forget (state-record.ts) is written to the alerting state topic,
 * co-partitioned with the alerts topic, and each assigned partition's state is read back before its first
 * record is handed over; on revoke the producer is flushed first, so the next owner reads everything.
 * `reload` swaps in a new configuration while running (receivers, routes, inhibition rules).
 *
 * Stop: take no more records, let in-flight deliveries finish up to `shutdown.drainTimeout`, abort the rest,
 * commit what is done, leave the group, flush the producer.
 */
import {
  alertCodec,
  createAdmin,
  createConsumer,
  createProducer,
  ensureTopics,
  type KafkaSettings,
  type Logger,
  OffsetTracker,
  type ReadinessReport,
  topicNamesFromEnv,
} from '@sensor-pipeline/shared';
import type { AlertingConfig, ReceiverConfig } from '../config/alerting-config.js';
import type { WebhookSender } from '../delivery/webhook-sender.js';
import { waitUnlessClosing, writeRetryDelayMs } from '../delivery/write-retry-delay.js';
import { SilenceSet } from '../silences/silence-set.js';
import {
  ensureSilencesTopic,
  loadSilences,
  type SilenceWatcher,
  silencesTopicFromEnv,
  watchSilences,
} from '../silences/silence-store.js';
import { type RetryProgress, watchRetryProgress } from '../state/retry-progress.js';
import { decodeStateRecord, type StateRecord } from '../state/state-record.js';
import { alertingStateTopicFromEnv, ensureStateTopic, loadStatePartition, StateWriter } from '../state/state-store.js';
import type { AlertingMetrics } from './alerting-metrics.js';
import { DeliveryPipeline } from './delivery-pipeline.js';
import { type RetryWorker, startRetryWorker } from './retry-worker.js';

/**
 * Longest wait inside one batch for a full queue to drain. Kept well below the client's cache expiry and
 * poll interval (max.poll.interval.ms, 300 s by default), past which it would drop its prefetched
 * messages and rejoin; after it, one more batch is taken (the overshoot is at most maxBatchSize).
 */
export const MAX_PAUSE_MS = 120_000; // two minutes

export interface AlertingTopics {
  /** Consumed: Avro alerts. */
  readonly alerts: string;
  /** Produced: deliveries that exhausted their retries or were refused. */
  readonly deliveriesDlq: string;
  /**
   * Produced and consumed: deliveries waiting for a later attempt (non-blocking retries). Without it a
   * delivery whose quick attempts are used up is dead-lettered at once.
   */
  readonly deliveriesRetry?: string;
  /** Consumed from the start by every instance: silences (see silence-store.ts). Without it, none apply. */
  readonly silences?: string;
  /**
   * Produced, and read per assigned partition at assignment: what a restart must not forget (state-record.ts).
   * Without it, group state, inhibiting sources, Alertmanager firing sets and parked series start empty.
   */
  readonly state?: string;
}

export interface AlertingServiceOptions {
  readonly config: AlertingConfig;
  readonly kafka: KafkaSettings;
  readonly logger: Logger;
  /** Defaults to `topicNamesFromEnv()` (ALERTS_TOPIC, DELIVERIES_DLQ_TOPIC). */
  readonly topics?: AlertingTopics;
  readonly metrics?: AlertingMetrics;
  /** Create the DLQ topic when missing (default true). */
  readonly ensureDlqTopic?: boolean;
  readonly createSender?: (receiver: ReceiverConfig) => WebhookSender;
  readonly random?: () => number;
  /**
   * The clock of the delivery schedules (parked retries, dedup, silences, group timing), epoch ms; default
   * `Date.now`. Tests run a day-long retry schedule on a faster clock with it.
   */
  readonly now?: () => number;
  /**
   * `/readyz` turns not ready once the instance has held no partition of the alerts topic for this long
   * (a rebalance that takes partitions away and gives them back within it does not flap). Default 30 s.
   */
  readonly noPartitionsGraceMs?: number;
}

const alertCodecForState = alertCodec();

/** Default of `noPartitionsGraceMs`. */
export const NO_PARTITIONS_GRACE_MS = 30_000; // thirty seconds

export interface AlertingService {
  readonly pipeline: DeliveryPipeline;
  readonly topics: AlertingTopics;
  /** The silences this instance knows (from the silences topic), when it reads one. */
  readonly silences: SilenceSet | undefined;
  /**
   * For `/readyz`: ready once the consumer joined its group and holds partitions of the alerts topic (or
   * lost its last one less than `noPartitionsGraceMs` ago), until stop.
   */
  readiness(): ReadinessReport;
  /** Commits every partition's committable offset now. */
  commit(): Promise<void>;
  /**
   * Swaps in a new configuration (already validated): receivers, routes and inhibition rules take effect at
   * once (see `DeliveryPipeline.reload`); consumer, dedup and shutdown settings are kept until a restart.
   * Resolves to a one-line report.
   */
  reload(config: AlertingConfig): Promise<string>;
  /** Drains (up to the configured deadline), commits, leaves the group. Idempotent. */
  stop(): Promise<void>;
}

export async function startAlertingService(options: AlertingServiceOptions): Promise<AlertingService> {
  const { config, kafka, metrics } = options;
  const log = options.logger.child({ component: 'alerting-service' });
  const names = topicNamesFromEnv();
  const topics: AlertingTopics = options.topics ?? {
    alerts: names.alerts,
    deliveriesDlq: names.deliveriesDlq,
    deliveriesRetry: names.deliveriesRetry,
    silences: silencesTopicFromEnv(),
    state: alertingStateTopicFromEnv(),
  };
  // silences first: every one in the topic applies before the first alert is consumed
  const silences = topics.silences ? new SilenceSet() : undefined;
  let silenceWatcher: SilenceWatcher | undefined;
  if (topics.silences && silences) {
    await ensureSilencesTopic(kafka, options.logger, topics.silences);
    const fromOffset = await loadSilences(kafka, topics.silences, silences, 0, log);
    silenceWatcher = watchSilences({
      kafka,
      logger: options.logger,
      topic: topics.silences,
      set: silences,
      fromOffset,
    });
    log.info({ topic: topics.silences, silences: silences.active(Date.now()).length }, 'silences loaded');
  }

  if (options.ensureDlqTopic !== false) {
    const admin = createAdmin(kafka, options.logger);
    await admin.connect();
    try {
      await ensureTopics(admin, [
        { topic: topics.deliveriesDlq },
        ...(topics.deliveriesRetry ? [{ topic: topics.deliveriesRetry, numPartitions: 3 }] : []),
      ]);
    } finally {
      await admin.disconnect();
    }
  }

  const statePartitions = topics.state
    ? await ensureStateTopic(kafka, options.logger, { alerts: topics.alerts, state: topics.state })
    : 0;

  const producer = createProducer(kafka, { logger: options.logger, lingerMs: 5 });
  await producer.connect();
  try {
    return await startConsuming();
  } catch (err) {
    await producer.disconnect().catch(() => undefined);
    await silenceWatcher?.stop();
    throw err;
  }

  /** Everything after the producer: on failure the caller disconnects the producer. */
  async function startConsuming(): Promise<AlertingService> {
    const trackers = new Map<number, OffsetTracker>();
    const committed = new Map<number, number>();
    let paused = false;
    let stopping = false;
    let joined = false;
    /** Since when this instance holds no partition of the alerts topic (from the start until the first). */
    let partitionlessSinceMs: number | undefined = Date.now();
    const graceMs = options.noPartitionsGraceMs ?? NO_PARTITIONS_GRACE_MS;
    let consumerRef: ReturnType<typeof createConsumer> | undefined;

    let current = config;
    /** Alerts-topic partitions whose state is being read back: their records wait for it. */
    const restoring = new Map<number, Promise<void>>();
    let restoreChain: Promise<void> = Promise.resolve();
    const warnedPartitions = new Set<number>();
    const stateWriter = topics.state
      ? new StateWriter({ producer, topic: topics.state, logger: options.logger, closing: () => stopping })
      : undefined;
    let retryWorker: RetryWorker | undefined;
    const retryProgress: RetryProgress | undefined = topics.deliveriesRetry
      ? watchRetryProgress({
          logger: options.logger,
          fetchCommitted: (partitions) => retryWorker?.committed(partitions) ?? Promise.resolve(new Map()),
        })
      : undefined;

    const pipeline = new DeliveryPipeline({
      config,
      logger: options.logger,
      ...(metrics ? { metrics } : {}),
      ...(options.createSender ? { createSender: options.createSender } : {}),
      ...(options.random ? { random: options.random } : {}),
      ...(options.now ? { now: options.now } : {}),
      deadLetter: async (record) => {
        await producer.send({
          topic: topics.deliveriesDlq,
          messages: [{ key: record.key, value: record.value, headers: record.headers }],
        });
      },
      onProgress: () => maybeResume(),
      ...(silences ? { silences } : {}),
      ...(topics.deliveriesRetry
        ? {
            park: async (record) => {
              const [meta] = await producer.send({
                topic: topics.deliveriesRetry!,
                messages: [{ key: record.key, value: record.value, headers: record.headers }],
              });
              const offset = Number(meta?.baseOffset ?? meta?.offset);
              return meta && Number.isInteger(offset) && offset >= 0
                ? { partition: meta.partition, offset }
                : undefined;
            },
          }
        : {}),
      ...(stateWriter
        ? {
            // only for partitions held: a late write for a partition given away could overwrite its new owner's
            state: (partition: number, key: string, snapshot: () => Buffer | null) => {
              if (!trackers.has(partition)) return Promise.resolve(true);
              if (partition >= statePartitions) {
                // the alerts topic grew past the state topic while running: deliver on, without restart memory
                if (!warnedPartitions.has(partition)) {
                  warnedPartitions.add(partition);
                  log.error(
                    { partition, statePartitions, topic: topics.state },
                    'the alerting state topic has fewer partitions than the alerts topic; this partition is not kept across restarts (add partitions to the state topic)',
                  );
                }
                return Promise.resolve(true);
              }
              return stateWriter.write(partition, key, snapshot);
            },
          }
        : {}),
      ...(retryProgress ? { retryDone: retryProgress.isDone } : {}),
    });

    /** Reads one partition's state back into the pipeline, retrying until it worked (or the service stops). */
    const restore = async (partition: number): Promise<void> => {
      if (!topics.state || partition >= statePartitions) return; // see the state writer for the latter
      for (let attempt = 1; !stopping; attempt++) {
        try {
          const latest = new Map<string, Buffer | null>();
          const read = await loadStatePartition(kafka, topics.state, partition, (messages) => {
            for (const m of messages) if (m.key) latest.set(m.key.toString('utf8'), m.value);
          });
          const records: StateRecord[] = [];
          let skipped = 0;
          for (const [key, value] of latest) {
            if (value === null) continue;
            const record = decodeStateRecord(key, value, alertCodecForState);
            if (record) records.push(record);
            else skipped += 1;
          }
          if (!trackers.has(partition)) return; // revoked meanwhile
          const result = pipeline.restore(partition, records);
          log.info(
            { partition, read, restored: result.restored, ignored: result.ignored, skipped },
            'alerting state restored',
          );
          return;
        } catch (err) {
          const delayMs = writeRetryDelayMs(attempt);
          log.warn({ err, partition, attempt, delayMs }, 'reading the alerting state failed; retrying');
          await waitUnlessClosing(delayMs, () => stopping);
        }
      }
    };
    if (topics.deliveriesRetry) {
      retryWorker = await startRetryWorker({
        kafka,
        logger: options.logger,
        topic: topics.deliveriesRetry,
        groupId: `${config.consumer.groupId}.retry`,
        deliver: (record, state) => pipeline.deliverParked(record, state),
        commitIntervalMs: config.consumer.commitIntervalMs,
        ...(options.now ? { now: options.now } : {}),
        ...(retryProgress ? { onFinished: retryProgress.advance } : {}),
      });
    }

    const trackerFor = (partition: number): OffsetTracker => {
      let tracker = trackers.get(partition);
      if (!tracker) {
        tracker = new OffsetTracker();
        trackers.set(partition, tracker);
      }
      return tracker;
    };

    let commitChain: Promise<void> = Promise.resolve();
    const commit = (partitions?: readonly number[]): Promise<void> => {
      commitChain = commitChain.then(async () => {
        const consumer = consumerRef;
        if (!consumer) return;
        const offsets: { topic: string; partition: number; offset: string }[] = [];
        for (const [partition, tracker] of trackers) {
          if (partitions && !partitions.includes(partition)) continue;
          const next = tracker.committable();
          if (next !== undefined && next > (committed.get(partition) ?? -1))
            offsets.push({ topic: topics.alerts, partition, offset: String(next) });
        }
        if (offsets.length === 0) return;
        try {
          await consumer.commitOffsets(offsets);
          for (const o of offsets) {
            committed.set(o.partition, Number(o.offset));
            metrics?.committedOffset.set({ partition: String(o.partition) }, Number(o.offset));
          }
          log.debug({ offsets: offsets.map((o) => `${o.partition}@${o.offset}`) }, 'committed');
        } catch (err) {
          log.warn({ err, offsets: offsets.map((o) => `${o.partition}@${o.offset}`) }, 'commit failed; will retry');
        }
      });
      return commitChain;
    };

    /**
     * Backpressure: when a queue is full, the batch handler waits (up to MAX_PAUSE_MS) before returning,
     * so the consumer delivers nothing more; librdkafka keeps heartbeating meanwhile. The client's own
     * pause()/resume() is deliberately not used: in @confluentinc/kafka-javascript 1.10 pausing an
     * eachBatch consumer can drop prefetched messages of partitions that had no batch since the last
     * seek (upstream issue #517), which would skip — and then commit past — alerts.
     */
    let wakeUp: (() => void) | undefined;
    const waitForRoom = async (): Promise<void> => {
      paused = true;
      metrics?.paused.set(1);
      metrics?.pauses.inc();
      log.info({ queues: pipeline.depths() }, 'a receiver queue is full; pausing consumption');
      const started = Date.now();
      while (!stopping && !pipeline.relieved && Date.now() - started < MAX_PAUSE_MS) {
        await new Promise<void>((resolve) => {
          wakeUp = resolve;
          setTimeout(resolve, 1_000).unref();
        });
        wakeUp = undefined;
      }
      paused = false;
      metrics?.paused.set(0);
      if (pipeline.relieved) log.info({ queues: pipeline.depths() }, 'receiver queues drained; resuming consumption');
      else if (!stopping)
        log.warn(
          { queues: pipeline.depths(), pausedMs: Date.now() - started },
          'still full; taking one more batch to stay within the poll interval',
        );
    };
    function maybeResume(): void {
      if (paused && wakeUp && pipeline.relieved) wakeUp();
    }

    const consumer = createConsumer(kafka, {
      logger: options.logger,
      groupId: config.consumer.groupId,
      readCommitted: true,
      maxBatchSize: config.consumer.maxBatchSize,
      onRebalance: async (event, partitions) => {
        const mine = partitions.filter((p) => p.topic === topics.alerts).map((p) => p.partition);
        if (event === 'assign') {
          joined = true;
          for (const p of mine) {
            trackers.set(p, new OffsetTracker());
            committed.delete(p);
            // one partition at a time: each read is a short-lived client of its own
            restoreChain = restoreChain.then(() => restore(p));
            restoring.set(p, restoreChain);
          }
          if (trackers.size > 0) partitionlessSinceMs = undefined;
        } else {
          // state writes under way reach the broker before the partition goes to its next owner
          if (stateWriter)
            await producer
              .flush({ timeout: 30_000 })
              .catch((err: unknown) => log.warn({ err }, 'flush on revoke failed'));
          await commit(mine);
          for (const p of mine) {
            trackers.delete(p);
            committed.delete(p);
            restoring.delete(p);
          }
          pipeline.releasePartitions(mine);
          if (trackers.size === 0) partitionlessSinceMs ??= Date.now();
        }
      },
    });
    consumerRef = consumer;
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [topics.alerts] });
    } catch (err) {
      await consumer.disconnect().catch(() => undefined);
      await retryWorker?.stop().catch(() => undefined);
      await retryProgress?.stop().catch(() => undefined);
      throw err;
    }

    void consumer
      .run({
        eachBatch: async ({ batch, resolveOffset }) => {
          if (stopping) return; // not resolved: consumed again by whoever owns the partition next
          await restoring.get(batch.partition); // its state first
          if (stopping) return;
          const tracker = trackerFor(batch.partition);
          for (const message of batch.messages) {
            const offset = Number(message.offset);
            if (tracker.track(offset)) {
              pipeline.accept(
                {
                  topic: batch.topic,
                  partition: batch.partition,
                  offset: message.offset,
                  key: message.key,
                  value: message.value,
                },
                () => tracker.done(offset),
              );
            } else {
              metrics?.records.inc({ result: 'redelivered' });
            }
            resolveOffset(message.offset);
          }
          if (pipeline.overloaded) await waitForRoom();
        },
      })
      .catch((err: unknown) => log.error({ err }, 'consumer stopped with an error'));

    const timer = setInterval(() => void commit(), config.consumer.commitIntervalMs);
    timer.unref();
    log.info(
      { topics, groupId: config.consumer.groupId, receivers: config.receivers.map((r) => r.name) },
      'alerting started',
    );

    let stopped: Promise<void> | undefined;
    return {
      pipeline,
      topics,
      silences,
      readiness: () => {
        const partitionlessForMs = partitionlessSinceMs === undefined ? 0 : Date.now() - partitionlessSinceMs;
        const holding = trackers.size > 0 || partitionlessForMs < graceMs;
        return {
          ready: joined && !stopping && holding,
          details: {
            joined,
            partitionlessForMs,
            stopping,
            paused,
            partitions: [...trackers.keys()].sort((a, b) => a - b),
            queues: pipeline.depths(),
          },
        };
      },
      commit: () => commit(),
      async reload(next) {
        const kept: string[] = [];
        for (const field of ['consumer', 'dedup', 'shutdown'] as const)
          if (JSON.stringify(next[field]) !== JSON.stringify(current[field])) kept.push(field);
        const report = pipeline.reload(next);
        current = next;
        if (kept.length > 0) log.warn({ fields: kept }, 'these settings changed but take effect only after a restart');
        log.info({ ...report }, 'alerting configuration applied');
        const part = (label: string, names: readonly string[]) =>
          names.length > 0 ? [`${label}: ${names.join(', ')}`] : [];
        return [
          'alerting configuration reloaded',
          ...part('added', report.added),
          ...part('changed', report.changed),
          ...part('removed', report.removed),
          ...part('unchanged', report.unchanged),
          ...(kept.length > 0 ? [`needs a restart: ${kept.join(', ')}`] : []),
        ].join('; ');
      },
      stop() {
        stopped ??= (async () => {
          stopping = true; // the batch handler takes nothing more (and stops waiting for room)
          wakeUp?.();
          clearInterval(timer);
          const drainMs = config.shutdown.drainTimeoutMs;
          let deadline: NodeJS.Timeout | undefined;
          const drained = await Promise.race([
            pipeline.idle().then(() => true),
            new Promise<boolean>((resolve) => (deadline = setTimeout(() => resolve(false), drainMs))),
          ]);
          clearTimeout(deadline);
          log.info(
            { drained, drainMs, queues: pipeline.depths() },
            drained
              ? 'deliveries drained'
              : 'drain deadline passed; unfinished alerts will be redelivered after restart',
          );
          await retryWorker?.stop();
          await retryProgress?.stop();
          await silenceWatcher?.stop();
          await pipeline.close();
          await commit();
          await consumer.disconnect().catch((err: unknown) => log.warn({ err }, 'consumer disconnect failed'));
          consumerRef = undefined;
          await producer.disconnect().catch((err: unknown) => log.warn({ err }, 'producer disconnect failed'));
          log.info('alerting stopped');
        })();
        return stopped;
      },
    };
  }
}
