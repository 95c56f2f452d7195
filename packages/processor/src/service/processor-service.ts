/**
 * The processor's I/O shell: consumes the readings topic in a consumer group, runs each batch through its
 * partition's RxJS pipeline (windows → rules), and publishes alerts, window stats, dead letters and alert
 * state — committing input offsets only after everything they produced is acknowledged.
 *
 * Delivery modes:
 * - `at-least-once` (default): a batch's outputs are produced asynchronously (the next batch is processed
 *   meanwhile); alerts, stats and dead letters first, alert-state changes and a checkpoint after those are
 *   acknowledged; a timer commits, per partition, the offset after the newest batch whose outputs are all
 *   acknowledged, with `{replayFrom}` in the commit metadata. A crash re-processes uncommitted readings:
 *   duplicates carry the same deterministic event ids.
 * - `exactly-once`: one Kafka transaction per batch holds its outputs, the state changes, a checkpoint and
 *   the consumer offsets; downstream readers use read_committed.
 *
 * On assignment the partition's state is rebuilt before it is consumed: alert states and the checkpoint
 * from the co-partitioned compacted state topic, then windows by replaying readings from `replayFrom` up to
 * the committed offset without publishing (and without evaluating rules: their effect is in the restored
 * state). Readings at or below the checkpoint's `asOfOffset` that are consumed again only refill windows.
 * On revocation and shutdown, in-flight outputs are awaited and offsets committed before state is dropped.
 */
import {
  alertCodec,
  createAdmin,
  createConsumer,
  createProducer,
  dlqHeaders,
  ensureTopics,
  type KafkaJS,
  type KafkaSettings,
  type Logger,
  PipelineError,
  type ReadinessReport,
  readPartitionRange,
  sensorReadingCodec,
  type TopicNames,
  windowStatsCodec,
} from '@sensor-pipeline/shared';
import type { Registry } from 'prom-client';
import { AlertStateFolder, checkpointKey, stateKey } from '../state/alert-state-records.js';
import { ReplayCheckpoints } from '../state/replay-checkpoints.js';
import { BatchOutput } from './batch-output.js';
import { PartitionPipeline, type PartitionRules, type ReadingEnvelope, type WindowPlan } from './partition-pipeline.js';
import { createProcessorMetrics, type ProcessorMetrics } from './processor-metrics.js';
import { DEFAULT_READING_LIMITS, type ReadingLimits, validateReading } from './reading-validation.js';

export type DeliveryMode = 'at-least-once' | 'exactly-once';

/** What the shell needs from the rules: the windows to keep and a fresh rule state per partition. */
export interface RulesRuntime {
  readonly windows: readonly WindowPlan[];
  /** Longest span of event time any rule looks back (window + grace, absence duration). */
  readonly lookbackMs: number;
  createPartitionRules(restored: ReadonlyMap<string, string>, log: Logger): PartitionRules;
}

export interface ProcessorServiceOptions {
  readonly kafka: KafkaSettings;
  readonly topics: TopicNames;
  readonly groupId: string;
  readonly rules: RulesRuntime;
  readonly logger: Logger;
  readonly registry: Registry;
  readonly delivery?: DeliveryMode;
  /** Publish window stats at most once per this much event time per sensor and window; 0 (default) turns it off. */
  readonly statsIntervalMs?: number;
  /** How often to commit acknowledged offsets (at-least-once). */
  readonly commitIntervalMs?: number;
  /** Added to the rules' lookback when replaying, for devices whose clocks lag the partition's newest. */
  readonly replayExtraMs?: number;
  readonly maxBatchSize?: number;
  /** Batches per partition whose outputs may be in flight before consumption waits. */
  readonly maxInFlightBatches?: number;
  /**
   * Stable per instance slot (default `0`): the transactional id is `<groupId>-<instanceId>`, so a restarted
   * instance in the same slot fences its predecessor and aborts its open transaction. Two instances of one
   * group running at the same time must have different ids (the second would fence the first).
   */
  readonly instanceId?: string;
  /** Static group membership: `group.instance.id` = `<groupId>-<instanceId>`; a restart within the session
   * timeout keeps its partitions without a rebalance. */
  readonly staticMembership?: boolean;
  /** Holding no partitions longer than this after joining makes the instance unready, ms. */
  readonly noPartitionsGraceMs?: number;
  /** Outputs unacknowledged (or a transaction unfinished) longer than this make the instance unready, ms. */
  readonly outputStallMs?: number;
  /** How often the committed offsets are read back to catch commits that did not take effect, ms. */
  readonly commitVerifyIntervalMs?: number;
  /** Create output topics that are missing (alerts, stats, DLQ, state). */
  readonly createTopics?: boolean;
  readonly limits?: ReadingLimits;
  readonly now?: () => number;
  /** Called when the service cannot go on (a produce failed after all retries): exit without committing. */
  readonly onFatal?: (err: Error) => void;
}

interface InFlightBatch {
  readonly lastOffset: number;
  readonly replayFrom: number;
  readonly done: Promise<void>;
  readonly startedMs: number;
  settled: boolean;
}

interface PartitionState {
  readonly topic: string;
  readonly partition: number;
  readonly pipeline: PartitionPipeline;
  readonly rules: ReturnType<RulesRuntime['createPartitionRules']>;
  readonly checkpoints: ReplayCheckpoints;
  /** Readings at or below this offset only refill windows (their effect is in the restored state). */
  readonly asOfOffset: number;
  readonly inFlight: InFlightBatch[];
  /** The offset after the newest batch whose outputs (and all before it) are acknowledged, and its replayFrom. */
  acknowledged: number;
  acknowledgedReplayFrom: number;
  /** The offset the group coordinator has (as far as this instance knows). */
  committed: number;
  /** Set when the partition's state no longer matches its position (a transaction was aborted). */
  discarded: boolean;
}

const ALERT_HEADERS = { 'content-type': 'application/vnd.sensorpipeline.alert+avro' };

export class ProcessorService {
  private readonly log: Logger;
  private readonly metrics: ProcessorMetrics;
  private readonly delivery: DeliveryMode;
  private readonly statsIntervalMs: number;
  private readonly commitIntervalMs: number;
  private readonly replaySpanMs: number;
  private readonly now: () => number;
  private readonly instanceId: string;
  /** When this instance last held no partitions while running; undefined while it holds some. */
  private holdingNoneSinceMs: number | undefined;
  /** When the oldest output not yet acknowledged (or the transaction under way) started; undefined if none. */
  private producingSinceMs: number | undefined;
  private lastCommitVerifyMs = 0;
  private readonly limits: ReadingLimits;
  private readonly readingCodec = sensorReadingCodec();
  private readonly alertCodec = alertCodec();
  private readonly statsCodec = windowStatsCodec();
  private readonly partitions = new Map<number, PartitionState>();
  /** Rebuilds in progress, so an assignment and an early batch of the same partition share one. */
  private readonly rebuilds = new Map<number, Promise<PartitionState>>();
  private consumer: KafkaJS.Consumer | undefined;
  private producer: KafkaJS.Producer | undefined;
  private commitTimer: NodeJS.Timeout | undefined;
  private rebuilding = 0;
  private running = false;
  private failed: Error | undefined;
  private stopping: Promise<void> | undefined;
  /** The eachBatch call under way, if any: shutdown waits for it. */
  private batchInHand: Promise<void> = Promise.resolve();

  constructor(private readonly options: ProcessorServiceOptions) {
    this.log = options.logger.child({ component: 'processor' });
    this.metrics = createProcessorMetrics(options.registry);
    this.delivery = options.delivery ?? 'at-least-once';
    this.statsIntervalMs = options.statsIntervalMs ?? 0; // off unless asked for
    this.commitIntervalMs = options.commitIntervalMs ?? 1_000;
    this.replaySpanMs = options.rules.lookbackMs + (options.replayExtraMs ?? 60_000); // plus one minute for lagging clocks
    this.now = options.now ?? Date.now;
    this.limits = options.limits ?? DEFAULT_READING_LIMITS;
    this.instanceId = options.instanceId ?? '0';
  }

  /**
   * Ready when running and able to do its work: not rebuilding a partition, not without partitions for longer
   * than a rebalance takes, not with outputs stuck unacknowledged (broker down, a transaction that cannot end).
   */
  readiness(): ReadinessReport {
    const nowMs = Date.now();
    const idleMs = this.holdingNoneSinceMs === undefined ? 0 : nowMs - this.holdingNoneSinceMs;
    const noPartitions = idleMs > (this.options.noPartitionsGraceMs ?? 15_000);
    const stalledMs = this.producingSinceMs === undefined ? 0 : nowMs - this.producingSinceMs;
    const stalled = stalledMs > (this.options.outputStallMs ?? 30_000);
    const ready = this.running && !this.failed && !this.stopping && this.rebuilding === 0 && !noPartitions && !stalled;
    return {
      ready,
      details: {
        delivery: this.delivery,
        partitions: [...this.partitions.keys()].sort((a, b) => a - b),
        ...(this.rebuilding ? { rebuilding: this.rebuilding } : {}),
        ...(noPartitions ? { reason: `no partitions for ${Math.round(idleMs / 1000)}s` } : {}),
        ...(stalled ? { outputsStalledMs: stalledMs } : {}),
        ...(this.failed ? { error: this.failed.message } : {}),
        ...(this.stopping ? { reason: 'stopping' } : {}),
      },
    };
  }

  async start(): Promise<void> {
    const { kafka, topics } = this.options;
    if (this.options.createTopics !== false) await this.ensureOutputTopics();
    const memberId = `${this.options.groupId}-${this.instanceId}`;
    this.producer = createProducer(kafka, {
      logger: this.options.logger,
      lingerMs: 5,
      compression: 'lz4',
      // a broker outage is waited out: at-least-once retries without limit; a transaction must end in time
      deliveryTimeoutMs: this.delivery === 'exactly-once' ? 60_000 : 0,
      // stable per instance slot, never per process: a restart fences its predecessor's open transaction
      ...(this.delivery === 'exactly-once' ? { transactionalId: memberId } : {}),
    });
    await this.producer.connect();
    this.consumer = createConsumer(kafka, {
      logger: this.options.logger,
      groupId: this.options.groupId,
      readCommitted: true,
      maxBatchSize: this.options.maxBatchSize ?? 2_000,
      onRebalance: (event, assignment) => this.onRebalance(event, assignment),
      extra: {
        'fetch.min.bytes': 1,
        'fetch.wait.max.ms': 50,
        ...(this.options.staticMembership ? { 'group.instance.id': memberId } : {}),
      },
    });
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [topics.readings] });
    this.running = true;
    this.holdingNoneSinceMs = Date.now();
    void this.consumer
      .run({
        eachBatchAutoResolve: false,
        eachBatch: (payload) => (this.batchInHand = this.onBatch(payload)),
      })
      .catch((err: unknown) => this.fail(err as Error));
    if (this.delivery === 'at-least-once') {
      this.commitTimer = setInterval(
        () =>
          void this.commitAcknowledged().catch((err: unknown) => this.log.warn({ err }, 'commit failed; will retry')),
        this.commitIntervalMs,
      );
      this.commitTimer.unref();
    }
    this.log.info(
      {
        groupId: this.options.groupId,
        instanceId: this.instanceId,
        staticMembership: Boolean(this.options.staticMembership),
        delivery: this.delivery,
        topics,
        replaySpanMs: this.replaySpanMs,
      },
      'processor started',
    );
  }

  /** Stops consuming, waits for in-flight outputs, commits, leaves the group. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.log.info('stopping: finishing the batch in hand');
      clearInterval(this.commitTimer);
      // stop fetching; the batch in hand finishes (eachBatch is awaited by the client)
      try {
        const assigned = this.consumer?.assignment() ?? [];
        if (assigned.length > 0)
          this.consumer!.pause(assigned.map(({ topic, partition }) => ({ topic, partitions: [partition] })));
      } catch (err) {
        this.log.warn({ err }, 'pausing the consumer failed');
      }
      await this.batchInHand;
      if (!this.failed) {
        for (const state of this.partitions.values()) await this.drain(state);
        await this.commitAcknowledged().catch((err: unknown) => this.log.error({ err }, 'final commit failed'));
      }
      await this.consumer?.disconnect().catch((err: unknown) => this.log.warn({ err }, 'consumer disconnect failed'));
      for (const state of this.partitions.values()) state.pipeline.close();
      this.partitions.clear();
      await this.producer?.flush({ timeout: 10_000 }).catch(() => undefined);
      await this.producer?.disconnect().catch(() => undefined);
      this.running = false;
      this.log.info('processor stopped');
    })();
    return this.stopping;
  }

  private async ensureOutputTopics(): Promise<void> {
    const { kafka, topics } = this.options;
    const admin = createAdmin(kafka, this.options.logger);
    await admin.connect();
    try {
      const [readings] = await admin.fetchTopicMetadata({ topics: [topics.readings] }).catch(() => [undefined]);
      const partitions = readings?.partitions.length ?? 6;
      if (!readings) await ensureTopics(admin, [{ topic: topics.readings, numPartitions: partitions }]);
      await ensureTopics(admin, [
        { topic: topics.alerts, numPartitions: 3 },
        { topic: topics.readingsDlq, numPartitions: 1 },
        { topic: topics.stats, numPartitions: 3, config: { 'retention.ms': String(6 * 3_600_000) } },
        // co-partitioned with the readings: state for readings partition p lives in state partition p
        {
          topic: topics.alertState,
          numPartitions: partitions,
          config: { 'cleanup.policy': 'compact', 'min.compaction.lag.ms': '60000' },
        },
      ]);
      const [state] = await admin.fetchTopicMetadata({ topics: [topics.alertState] });
      if (state && state.partitions.length < partitions) {
        throw new PipelineError(
          'STATE_TOPIC_PARTITIONS',
          `${topics.alertState} has ${state.partitions.length} partitions but ${topics.readings} has ${partitions}; the state topic must have at least as many (it is co-partitioned with the readings)`,
        );
      }
    } finally {
      await admin.disconnect();
    }
  }

  private async onRebalance(
    event: 'assign' | 'revoke',
    assignment: readonly { topic: string; partition: number }[],
  ): Promise<void> {
    if (event === 'revoke') {
      for (const { partition } of assignment) {
        const state = this.partitions.get(partition);
        if (!state) continue;
        await this.drain(state);
        // the partition is still ours until this callback returns: retry the commit a few times
        for (let attempt = 1; attempt <= 3; attempt++) {
          try {
            await this.commitPartition(state);
            break;
          } catch (err) {
            this.log.warn({ err, partition, attempt }, 'commit on revoke failed');
          }
        }
        state.pipeline.close();
        this.partitions.delete(partition);
        this.metrics.committedOffsetLag.remove({ topic: state.topic, partition: String(partition) });
      }
    } else {
      try {
        for (const { topic, partition } of assignment) await this.stateFor(topic, partition);
      } catch (err) {
        this.fail(err as Error);
      }
    }
    this.metrics.partitions.set(this.partitions.size);
    if (this.partitions.size > 0 || this.rebuilds.size > 0) this.holdingNoneSinceMs = undefined;
    else this.holdingNoneSinceMs ??= Date.now();
    this.updateGauges();
  }

  /** The partition's state, rebuilding it first if this instance does not hold it yet. */
  private stateFor(topic: string, partition: number): Promise<PartitionState> {
    const held = this.partitions.get(partition);
    if (held) return Promise.resolve(held);
    let pending = this.rebuilds.get(partition);
    if (!pending) {
      this.rebuilding++;
      pending = this.rebuild(topic, partition)
        .then((state) => {
          this.partitions.set(partition, state);
          return state;
        })
        .finally(() => {
          this.rebuilds.delete(partition);
          this.rebuilding--;
        });
      this.rebuilds.set(partition, pending);
    }
    return pending;
  }

  /** Alert state from the state topic, then windows by replaying readings up to the committed offset. */
  private async rebuild(topic: string, partition: number): Promise<PartitionState> {
    const started = Date.now();
    const { kafka, topics } = this.options;
    const [committed] = await this.consumer!.committed([{ topic, partition }]);
    const committedOffset = committed && Number(committed.offset) >= 0 ? Number(committed.offset) : undefined;
    let replayFrom: number | undefined;
    try {
      const meta = committed?.metadata ? (JSON.parse(committed.metadata) as { replayFrom?: number }) : undefined;
      if (Number.isSafeInteger(meta?.replayFrom)) replayFrom = meta!.replayFrom;
    } catch {
      // metadata written by something else: replay from the checkpoint instead
    }

    const folder = new AlertStateFolder(topics.readings, partition);
    await readPartitionRange(kafka, {
      topic: topics.alertState,
      partition,
      fromOffset: 0,
      onBatch: (messages) =>
        messages.forEach((m) => {
          folder.add(m.key, m.value);
        }),
    });
    const checkpoint = folder.checkpoint;
    replayFrom ??= checkpoint?.replayFrom;
    // Exactly-once writes a checkpoint in every transaction, with the offsets: the restored state must be the
    // state as of the committed offset. A checkpoint behind it (the state partition's last stable offset held
    // back by a predecessor's open transaction) is caught up by replaying the readings in between through
    // the rules without publishing: the same input gives the same transitions, already published.
    let evaluateAfter = Infinity;
    if (this.delivery === 'exactly-once' && committedOffset !== undefined) {
      const asOf = checkpoint?.asOfOffset ?? -1;
      if (asOf + 1 < committedOffset) {
        evaluateAfter = asOf;
        replayFrom = Math.min(replayFrom ?? 0, checkpoint?.replayFrom ?? 0);
        this.log.warn(
          { topic, partition, checkpointAsOf: asOf, committedOffset, replayFrom },
          'state checkpoint behind the committed offset; replaying the readings in between through the rules',
        );
      }
    }

    const rules = this.options.rules.createPartitionRules(folder.states, this.log.child({ partition }));
    const pipeline = new PartitionPipeline({
      topic,
      partition,
      windows: this.options.rules.windows,
      rules,
      idleEvictMs: this.replaySpanMs,
      statsIntervalMs: this.statsIntervalMs,
      now: this.now,
    });
    const state: PartitionState = {
      topic,
      partition,
      pipeline,
      rules,
      checkpoints: new ReplayCheckpoints(this.replaySpanMs),
      // after a catch-up replay the rules are as of the committed offset
      asOfOffset: evaluateAfter === Infinity ? (checkpoint?.asOfOffset ?? -1) : committedOffset! - 1,
      inFlight: [],
      acknowledged: committedOffset ?? -1,
      acknowledgedReplayFrom: replayFrom ?? 0,
      committed: committedOffset ?? -1,
      discarded: false,
    };

    let replayed = 0;
    if (committedOffset !== undefined && replayFrom !== undefined && replayFrom < committedOffset) {
      replayed = await readPartitionRange(kafka, {
        topic,
        partition,
        fromOffset: replayFrom,
        toOffset: committedOffset,
        onBatch: (messages) => {
          const envelopes: ReadingEnvelope[] = [];
          for (const m of messages) {
            const decoded = this.readingCodec.safeDecode(m.value);
            if (!decoded.ok || validateReading(decoded.value, this.now(), this.limits)) continue;
            state.checkpoints.observe(m.offset, decoded.value.timestamp);
            envelopes.push({
              reading: decoded.value,
              sensor: '',
              offset: m.offset,
              key: m.key,
              value: m.value,
              evaluate: m.offset > evaluateAfter,
              live: false,
            });
          }
          // outputs discarded: alerts and state of these readings were published when they were first processed
          pipeline.run(envelopes, new BatchOutput(), false);
        },
      });
      this.metrics.readings.inc({ outcome: 'replayed' }, replayed);
    }
    const seconds = (Date.now() - started) / 1000;
    this.metrics.rebuildSeconds.observe(seconds);
    this.log.info(
      {
        topic,
        partition,
        committedOffset: committedOffset ?? null,
        replayFrom: replayFrom ?? null,
        replayed,
        alertStates: folder.states.size,
        asOfOffset: state.asOfOffset,
        seconds,
      },
      'partition state rebuilt',
    );
    return state;
  }

  private async onBatch(payload: KafkaJS.EachBatchPayload): Promise<void> {
    const { batch } = payload;
    if (this.failed || this.stopping || batch.messages.length === 0) return;
    // normally rebuilt on assignment; a batch that overtakes the rebalance callback waits for the same rebuild
    let held = this.partitions.get(batch.partition);
    if (held?.discarded) {
      // an aborted transaction left readings in the windows: start again from the committed offset
      held.pipeline.close();
      this.partitions.delete(batch.partition);
      held = undefined;
    }
    const state = held ?? (await this.stateFor(batch.topic, batch.partition));
    const cpuStarted = process.hrtime.bigint();
    const nowMs = this.now();
    const out = new BatchOutput();
    const envelopes: ReadingEnvelope[] = [];
    let oldestAppendMs = Infinity;
    for (const message of batch.messages) {
      const offset = Number(message.offset);
      const appendMs = Number(message.timestamp);
      if (appendMs < oldestAppendMs) oldestAppendMs = appendMs;
      const decoded = this.readingCodec.safeDecode(message.value);
      const invalid = decoded.ok ? validateReading(decoded.value, nowMs, this.limits) : decoded.error;
      if (invalid || !decoded.ok) {
        // at or below the checkpoint, this record's dead letter was published before the restart
        if (offset > state.asOfOffset) {
          const error = invalid!;
          out.deadLetters.push({
            key: message.key,
            value: message.value,
            code: error.code,
            headers: dlqHeaders(
              { topic: batch.topic, partition: batch.partition, offset: message.offset },
              error,
              'processor/decode',
              nowMs,
            ),
          });
        }
        continue;
      }
      const reading = decoded.value;
      state.checkpoints.observe(offset, reading.timestamp);
      envelopes.push({
        reading,
        sensor: '',
        offset,
        key: message.key,
        value: message.value,
        evaluate: offset > state.asOfOffset,
        live: true,
      });
    }
    state.pipeline.run(envelopes, out, true);
    const lastOffset = Number(batch.messages[batch.messages.length - 1]!.offset);
    this.metrics.batchSeconds.observe(Number(process.hrtime.bigint() - cpuStarted) / 1e9);
    this.metrics.readings.inc({ outcome: 'processed' }, envelopes.length - out.lateCount);
    if (out.lateCount) this.metrics.readings.inc({ outcome: 'late' }, out.lateCount);
    const dead = out.deadLetters.length - out.lateCount;
    if (dead > 0) this.metrics.readings.inc({ outcome: 'dead_lettered' }, dead);
    this.metrics.lag.set(
      { topic: batch.topic, partition: String(batch.partition) },
      Math.max(0, Number(batch.highWatermark) - lastOffset - 1),
    );
    for (const d of out.deadLetters) {
      this.metrics.deadLettered.inc({ code: d.code });
      if (d.code.startsWith('READING_LATE_'))
        this.metrics.lateReadings.inc({ reason: d.code.slice('READING_LATE_'.length).toLowerCase() });
      this.log.warn(
        {
          topic: batch.topic,
          partition: batch.partition,
          offset: d.headers['dlq.source.offset'],
          code: d.code,
          reason: d.headers['dlq.error.message'],
        },
        'reading set aside to the DLQ',
      );
    }
    for (const alert of out.alerts) {
      this.metrics.alerts.inc({ status: alert.status, rule: alert.rule });
      this.log.info(
        {
          eventId: alert.eventId,
          status: alert.status,
          rule: alert.rule,
          deviceId: alert.deviceId,
          metric: alert.metric,
          value: alert.value,
        },
        'alert %s',
        alert.status,
      );
    }
    const replayFrom = state.checkpoints.replayFrom() ?? lastOffset + 1;
    const observeLatency = (): void => {
      if (Number.isFinite(oldestAppendMs))
        this.metrics.latency.observe(Math.max(0, Date.now() - oldestAppendMs) / 1000);
    };

    if (this.delivery === 'exactly-once') {
      this.producingSinceMs = Date.now();
      try {
        await this.produceTransaction(state, out, lastOffset, replayFrom);
      } finally {
        this.producingSinceMs = undefined;
      }
      observeLatency();
      payload.resolveOffset(String(lastOffset));
    } else {
      const done = this.produceAtLeastOnce(state, out, lastOffset, replayFrom);
      const entry: InFlightBatch = { lastOffset, replayFrom, done, settled: false, startedMs: Date.now() };
      done.then(
        () => {
          entry.settled = true;
          this.settle(state);
          observeLatency();
        },
        (err: unknown) => this.fail(err as Error),
      );
      this.producingSinceMs ??= entry.startedMs;
      state.inFlight.push(entry);
      payload.resolveOffset(String(lastOffset));
      // backpressure: bound the batches whose outputs are not yet acknowledged
      const limit = this.options.maxInFlightBatches ?? 32;
      for (;;) {
        const unsettled = state.inFlight.filter((b) => !b.settled);
        if (unsettled.length <= limit || this.failed) break;
        await Promise.race(unsettled.map((b) => b.done));
      }
    }
    this.updateGauges();
  }

  private outputMessages(out: BatchOutput): KafkaJS.TopicMessages[] {
    const { topics } = this.options;
    const topicMessages: KafkaJS.TopicMessages[] = [];
    if (out.alerts.length > 0) {
      topicMessages.push({
        topic: topics.alerts,
        messages: out.alerts.map((a) => ({
          key: a.deviceId,
          value: this.alertCodec.encode(a),
          headers: { ...ALERT_HEADERS, 'event-id': a.eventId },
        })),
      });
    }
    if (out.deadLetters.length > 0) {
      topicMessages.push({
        topic: topics.readingsDlq,
        messages: out.deadLetters.map((d) => ({ key: d.key, value: d.value, headers: d.headers })),
      });
    }
    if (out.stats.length > 0) {
      this.metrics.statsProduced.inc(out.stats.length);
    }
    return topicMessages;
  }

  private stateMessages(
    state: PartitionState,
    out: BatchOutput,
    lastOffset: number,
    replayFrom: number,
  ): KafkaJS.TopicMessages {
    const messages: KafkaJS.Message[] = [];
    for (const [fingerprint, snapshot] of out.stateChanges) {
      messages.push({ key: stateKey(fingerprint), value: snapshot, partition: state.partition });
    }
    messages.push({
      key: checkpointKey(state.topic, state.partition),
      value: JSON.stringify({ asOfOffset: lastOffset, replayFrom }),
      partition: state.partition,
    });
    return { topic: this.options.topics.alertState, messages };
  }

  private statsMessages(out: BatchOutput): KafkaJS.TopicMessages | undefined {
    if (out.stats.length === 0) return undefined;
    return {
      topic: this.options.topics.stats,
      messages: out.stats.map((s) => ({ key: s.deviceId, value: this.statsCodec.encode(s) })),
    };
  }

  private async produceAtLeastOnce(
    state: PartitionState,
    out: BatchOutput,
    lastOffset: number,
    replayFrom: number,
  ): Promise<void> {
    const producer = this.producer!;
    const first = this.outputMessages(out);
    const stats = this.statsMessages(out);
    if (stats) first.push(stats);
    if (first.length > 0) await producer.sendBatch({ topicMessages: first });
    // state only after the alerts it describes are acknowledged: it never claims an alert that is not there
    if (out.stateChanges.size > 0)
      await producer.sendBatch({ topicMessages: [this.stateMessages(state, out, lastOffset, replayFrom)] });
  }

  private async produceTransaction(
    state: PartitionState,
    out: BatchOutput,
    lastOffset: number,
    replayFrom: number,
  ): Promise<void> {
    const producer = this.producer!;
    const topicMessages = this.outputMessages(out);
    const stats = this.statsMessages(out);
    if (stats) topicMessages.push(stats);
    topicMessages.push(this.stateMessages(state, out, lastOffset, replayFrom));
    const transaction = await producer.transaction();
    try {
      await transaction.sendBatch({ topicMessages });
      await transaction.sendOffsets({
        consumer: this.consumer!,
        topics: [{ topic: state.topic, partitions: [{ partition: state.partition, offset: String(lastOffset + 1) }] }],
      });
      await transaction.commit();
      state.committed = lastOffset + 1;
      state.acknowledged = lastOffset + 1;
      this.metrics.commits.inc();
    } catch (err) {
      this.metrics.commitFailures.inc();
      // the batch's readings are in the windows already: the partition's state is rebuilt from Kafka
      state.discarded = true;
      try {
        await transaction.abort();
      } catch (abortErr) {
        // a transaction that can neither commit nor abort would block every later one: stop the service
        const fatal = new PipelineError(
          'TRANSACTION_FAILED',
          `transaction for ${state.topic}[${state.partition}] up to ${lastOffset} could neither commit nor abort: ${(abortErr as Error).message}`,
          { cause: err, retriable: false },
        );
        this.fail(fatal);
        throw fatal;
      }
      throw new PipelineError(
        'TRANSACTION_FAILED',
        `transaction for ${state.topic}[${state.partition}] up to ${lastOffset} failed and was aborted: ${(err as Error).message}`,
        { cause: err, retriable: true },
      );
    }
  }

  /** Waits until every batch of the partition has its outputs acknowledged (or the service failed). */
  private async drain(state: PartitionState): Promise<void> {
    await Promise.allSettled(state.inFlight.map((b) => b.done));
  }

  /** Moves the partition's acknowledged offset past the settled batches at the head of its in-flight list. */
  private settle(state: PartitionState): void {
    while (state.inFlight.length > 0 && state.inFlight[0]!.settled) {
      const batch = state.inFlight.shift()!;
      state.acknowledged = batch.lastOffset + 1;
      state.acknowledgedReplayFrom = batch.replayFrom;
    }
    this.producingSinceMs = undefined;
    for (const other of this.partitions.values()) {
      const oldest = other.inFlight[0]?.startedMs;
      if (oldest !== undefined && (this.producingSinceMs === undefined || oldest < this.producingSinceMs))
        this.producingSinceMs = oldest;
    }
    this.updateCommitLag(state);
  }

  private updateCommitLag(state: PartitionState): void {
    this.metrics.committedOffsetLag.set(
      { topic: state.topic, partition: String(state.partition) },
      Math.max(0, state.acknowledged - Math.max(state.committed, 0)),
    );
  }

  private async commitAcknowledged(): Promise<void> {
    if (this.delivery !== 'at-least-once' || this.failed) return;
    await this.verifyCommitted();
    for (const state of this.partitions.values()) {
      await this.commitPartition(state).catch((err: unknown) => {
        this.metrics.commitFailures.inc();
        this.log.warn({ err, partition: state.partition }, 'commit failed; retried on the next tick');
      });
    }
  }

  /**
   * Commits the acknowledged offset when the coordinator is behind it. The committed mark moves only after
   * the commit succeeded, so a failed commit is retried on the next tick until it sticks.
   */
  private async commitPartition(state: PartitionState): Promise<void> {
    if (this.delivery !== 'at-least-once' || this.failed) return;
    this.settle(state);
    if (state.acknowledged <= state.committed) return;
    const offset = state.acknowledged;
    await this.consumer!.commitOffsets([
      {
        topic: state.topic,
        partition: state.partition,
        offset: String(offset),
        metadata: JSON.stringify({ replayFrom: state.acknowledgedReplayFrom }),
      },
    ]);
    state.committed = Math.max(state.committed, offset);
    this.metrics.commits.inc();
    this.updateCommitLag(state);
  }

  /**
   * A commit sent during a rebalance can be answered without taking effect: now and then, read the
   * coordinator's offsets back and lower the committed mark where they are behind, so the next tick commits again.
   */
  private async verifyCommitted(): Promise<void> {
    const nowMs = Date.now();
    if (nowMs - this.lastCommitVerifyMs < (this.options.commitVerifyIntervalMs ?? 5_000)) return;
    this.lastCommitVerifyMs = nowMs;
    const held = [...this.partitions.values()].filter((s) => s.committed >= 0);
    if (held.length === 0) return;
    try {
      const offsets = await this.consumer!.committed(held.map((s) => ({ topic: s.topic, partition: s.partition })));
      for (const o of offsets) {
        const state = this.partitions.get(o.partition);
        const coordinator = Number(o.offset);
        if (state && coordinator < state.committed) {
          this.log.warn(
            { partition: o.partition, coordinator, committed: state.committed },
            'a commit did not take effect; committing again',
          );
          state.committed = coordinator;
          this.updateCommitLag(state);
        }
      }
    } catch (err) {
      this.log.warn({ err }, 'reading committed offsets back failed');
    }
  }

  private updateGauges(): void {
    let windows = 0;
    let firing = 0;
    for (const state of this.partitions.values()) {
      windows += state.pipeline.windowsHeld;
      firing += state.rules.firing;
    }
    this.metrics.windowsHeld.set(windows);
    this.metrics.alertsFiring.set(firing);
  }

  private fail(err: Error): void {
    if (this.failed) return;
    this.failed = err;
    this.log.error({ err }, 'processor cannot go on; stopping without committing further offsets');
    (this.options.onFatal ?? (() => undefined))(err);
  }
}
