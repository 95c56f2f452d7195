/**
 * The processor's I/O shell: consumes the readings topic in a consumer group through librdkafka's
 * lower-level API (batched `consume(n)`, cooperative-sticky rebalance callbacks, explicit commits), runs each
 * partition's share of a batch through its RxJS pipeline (windows → rules), and publishes alerts, window
 * stats, dead letters and alert state through the raw producer (one promise per batch from delivery reports)
 * — committing input offsets only after everything they produced is acknowledged.
 *
 * Delivery modes (see the sinks):
 * - `at-least-once` (default): a batch's outputs are produced while the next batch is processed (at most
 *   `maxInFlightBatches` in flight); a timer commits, per partition, the offset after the newest batch whose
 *   outputs are all acknowledged, with `{replayFrom}` in the commit metadata. A commit moves the committed
 *   mark only once the coordinator accepted it, failed commits are retried on the next tick, and the
 *   coordinator's offsets are read back now and then to catch a commit that did not take effect. A crash
 *   re-processes uncommitted readings: duplicates carry the same deterministic event ids.
 * - `exactly-once`: one Kafka transaction per batch holds its outputs, the state changes, checkpoints and the
 *   consumer offsets. The transactional id is stable per instance slot, so a restart fences its predecessor.
 *   A transaction that aborts rewinds its partitions to the committed offsets and rebuilds their state; one
 *   that can neither commit nor abort, or a fenced producer, stops the service.
 *
 * Idle partitions: after each consume, a partition that has consumed everything the broker holds for it (its
 * next offset at the consumer's cached high watermark) and received nothing for `idleAdvanceAfterMs` has its
 * event clock advanced to the wall clock (PartitionPipeline.idle), so absence alerts fire while data is
 * missing. What such a step produces goes out like a batch's outputs, with the partition's unchanged resume
 * point: alerts, then state and checkpoint (at-least-once), or one transaction (exactly-once). A partition
 * with a backlog is never advanced this way: a catch-up is judged on event time only.
 *
 * On assignment the partitions are rebuilt (restorePartition) before they are assigned to the consumer, so
 * nothing is consumed from a partition whose state is not there yet; other partitions keep being consumed
 * meanwhile. On revocation, in-flight outputs are awaited and offsets committed before state is dropped and
 * the partitions are given back. Memory is bounded by the consumer's prefetch settings and the in-flight bound.
 *
 * This class is the composition: the consume loop, start, stop and readiness. Its parts, next to it:
 * runConsumedBatch (a consumed batch run per partition), RebalanceHandler (assign → rebuild → assign, revoke →
 * drain → commit), CommitKeeper (at-least-once in-flight batches and commits), TransactionRunner (exactly-once
 * transactions and rewind), IdleAdvancer (idle-partition clock), applyReloadedRules, OutputObserver (metrics
 * and logs of outputs), initTransactions, PartitionLagSource and untilDone.
 */
import {
  createRawConsumer,
  createRawProducer,
  type Logger,
  type RawConsumer,
  type RawProducer,
  type RdKafka,
  type ReadinessReport,
  SensorReadingDecoder,
  sensorReadingCodec,
} from '@sensor-pipeline/shared';
import { applyReloadedRules } from './apply-reloaded-rules.js';
import { AtLeastOnceSink } from './at-least-once-sink.js';
import { CommitKeeper } from './commit-keeper.js';
import { ensureOutputTopics } from './ensure-output-topics.js';
import { ExactlyOnceSink } from './exactly-once-sink.js';
import { firingByRule } from './firing-by-rule.js';
import { IdleAdvancer } from './idle-advancer.js';
import { initTransactions } from './init-transactions.js';
import { OutputObserver } from './output-observer.js';
import { OutputRecords } from './output-records.js';
import { PartitionLagSource } from './partition-lag-source.js';
import type { PartitionBatch, PartitionState } from './partition-state.js';
import { createProcessorMetrics, type ProcessorMetrics } from './processor-metrics.js';
import {
  type ProcessorServiceOptions,
  type ResolvedProcessorOptions,
  resolveProcessorOptions,
} from './processor-options.js';
import { RebalanceHandler } from './rebalance-handler.js';
import { runConsumedBatch } from './run-consumed-batch.js';
import { TransactionRunner } from './transaction-runner.js';
import { sleep, untilDone } from './until-done.js';

export type { DeliveryMode, ProcessorServiceOptions, RulesRuntime } from './processor-options.js';

export class ProcessorService {
  private readonly o: ResolvedProcessorOptions;
  private readonly log: Logger;
  private readonly metrics: ProcessorMetrics;
  private readonly codec = new SensorReadingDecoder(sensorReadingCodec());
  private readonly outputRecords: OutputRecords;
  private readonly outputs: OutputObserver;
  private readonly commits: CommitKeeper;
  private readonly idle: IdleAdvancer;
  private readonly partitions = new Map<number, PartitionState>();
  /** The rules' names: their firing gauges are exported at 0 when nothing fires. */
  private readonly ruleNames: readonly string[];
  private readonly rebalance: RebalanceHandler;
  private consumer: RawConsumer | undefined;
  private producer: RawProducer | undefined;
  private atLeastOnce: AtLeastOnceSink | undefined;
  private exactlyOnce: TransactionRunner | undefined;
  private commitTimer: NodeJS.Timeout | undefined;
  private loop: Promise<void> | undefined;
  private running = false;
  private failed: Error | undefined;
  private stopping: Promise<void> | undefined;

  constructor(options: ProcessorServiceOptions) {
    this.o = resolveProcessorOptions(options);
    this.log = options.logger.child({ component: 'processor' });
    this.metrics = createProcessorMetrics(options.registry);
    this.ruleNames = options.rules.ruleNames ?? [];
    this.metrics.registerRules(this.ruleNames);
    const lagSource = new PartitionLagSource({
      queryIntervalMs: this.o.lagQueryIntervalMs,
      now: this.o.now,
      log: this.log,
    });
    this.metrics.setLagSource(() => lagSource.lags(this.consumer, this.partitions.values()));
    this.outputRecords = new OutputRecords(options.topics, this.o.maxOutputRecordBytes, this.o.now, (code) =>
      this.metrics.deadLettered.inc({ code }),
    );
    this.metrics.sensorsLimit.set(this.o.maxSensors);
    this.outputs = new OutputObserver(this.metrics, this.log);
    this.idle = new IdleAdvancer(this.o.idleAdvanceAfterMs);
    this.commits = new CommitKeeper({
      partitions: this.partitions,
      consumer: () => this.consumer!,
      halted: () => this.failed !== undefined || this.stopping !== undefined,
      commitVerifyIntervalMs: this.o.commitVerifyIntervalMs,
      metrics: this.metrics,
      log: this.log,
    });
    this.rebalance = new RebalanceHandler({
      options: this.o,
      partitions: this.partitions,
      consumer: () => this.consumer!,
      commits: this.commits,
      idle: this.idle,
      metrics: this.metrics,
      log: this.log,
      untilDone: (what, step) => this.untilDone(what, step),
      failed: () => this.failed !== undefined,
      stopping: () => this.stopping !== undefined,
      fail: (err) => this.fail(err),
      partitionsChanged: () => this.updateGauges(),
    });
  }

  /**
   * Ready when running and able to do its work: not rebuilding a partition, not without partitions for longer
   * than a rebalance takes, not with outputs stuck unacknowledged (broker down, a transaction that cannot end).
   */
  readiness(): ReadinessReport {
    const nowMs = Date.now();
    const { holdingNoneSinceMs, everAssigned, rebuilding } = this.rebalance;
    const idleMs = holdingNoneSinceMs === undefined ? 0 : nowMs - holdingNoneSinceMs;
    // before its first assignment an instance is not doing its job yet; later, a rebalance may leave it
    // briefly without partitions
    const noPartitions = holdingNoneSinceMs !== undefined && (!everAssigned || idleMs > this.o.noPartitionsGraceMs);
    const oldest = this.exactlyOnce?.transactionSinceMs ?? this.commits.oldestUnsettledMs();
    const stalledMs = oldest === undefined ? 0 : nowMs - oldest;
    const stalled = stalledMs > this.o.outputStallMs || this.producer?.fatalError !== undefined;
    const ready = this.running && !this.failed && !this.stopping && rebuilding.size === 0 && !noPartitions && !stalled;
    return {
      ready,
      details: {
        delivery: this.o.delivery,
        partitions: [...this.partitions.keys()].sort((a, b) => a - b),
        ...(rebuilding.size ? { rebuilding: [...rebuilding].sort((a, b) => a - b) } : {}),
        ...(noPartitions ? { reason: `no partitions for ${Math.round(idleMs / 1000)}s` } : {}),
        ...(stalled ? { outputsStalledMs: stalledMs } : {}),
        ...(this.failed ? { error: this.failed.message } : {}),
        ...(this.stopping ? { reason: 'stopping' } : {}),
      },
    };
  }

  async start(): Promise<void> {
    const { kafka, topics } = this.o;
    if (this.o.createTopics) await ensureOutputTopics(kafka, topics, this.o.logger);
    const exactlyOnce = this.o.delivery === 'exactly-once';
    this.producer = createRawProducer(kafka, {
      logger: this.o.logger,
      lingerMs: 5,
      compression: 'lz4',
      // a broker outage is waited out: at-least-once retries without limit; a transaction must end in time
      deliveryTimeoutMs: exactlyOnce ? this.o.transactionTimeoutMs : 0,
      // stable per instance slot, never per process: a restart fences its predecessor's open transaction
      ...(exactlyOnce
        ? { transactionalId: this.o.memberId, transactionTimeoutMs: this.o.transactionTimeoutMs }
        : {
            // a client that stops reconnecting would hold the outputs for ever: replaced, outputs produced again
            stallReplaceAfterMs: this.o.producerStallReplaceMs,
            onReplaced: () => this.metrics.producerReplacements.inc(),
          }),
    });
    await this.producer.connect();
    if (exactlyOnce) await initTransactions(this.producer, this.o.transactionTimeoutMs, this.log);
    this.consumer = createRawConsumer(kafka, {
      logger: this.o.logger,
      groupId: this.o.groupId,
      readCommitted: true,
      queuedMaxKbytes: this.o.queuedMaxKbytes,
      ...(this.o.staticMembership ? { groupInstanceId: this.o.memberId } : {}),
      onRebalance: (event, partitions, lost) => this.rebalance.onRebalance(event, partitions, lost),
    });
    await this.consumer.connect();
    if (exactlyOnce) {
      this.exactlyOnce = new TransactionRunner({
        options: this.o,
        sink: new ExactlyOnceSink(this.producer, this.consumer.client, this.outputRecords, this.log),
        partitions: this.partitions,
        consumer: this.consumer,
        rebalance: this.rebalance,
        idle: this.idle,
        metrics: this.metrics,
        log: this.log,
        untilDone: (what, step, maxAttempts) => this.untilDone(what, step, maxAttempts),
      });
    } else {
      this.atLeastOnce = new AtLeastOnceSink(this.producer, this.outputRecords, this.log.child({ component: 'sink' }));
    }
    // clients connected: a worker of `--workers` joins the group together with its siblings
    await this.o.beforeJoin?.();
    if (this.stopping) return; // stopped while waiting: the clients are being disconnected, nothing to join
    this.consumer.client.subscribe([topics.readings]);
    this.running = true;
    this.rebalance.started(Date.now());
    this.loop = this.consumeLoop().catch((err: unknown) => this.fail(err as Error));
    if (!exactlyOnce) {
      this.commitTimer = setInterval(() => void this.commits.commitAcknowledged(), this.o.commitIntervalMs);
      this.commitTimer.unref();
    }
    this.log.info(
      {
        groupId: this.o.groupId,
        instanceId: this.o.instanceId,
        staticMembership: this.o.staticMembership,
        delivery: this.o.delivery,
        topics,
        replaySpanMs: this.o.replaySpanMs,
      },
      'processor started',
    );
  }

  /** Stops consuming, waits for in-flight outputs, commits, leaves the group. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.log.info('stopping: finishing the batch in hand');
      clearInterval(this.commitTimer);
      await this.loop;
      await this.commits.allSettled();
      if (!this.failed && this.o.delivery === 'at-least-once') {
        for (const state of this.partitions.values()) this.commits.settle(state);
        this.commits.commitSync([...this.partitions.values()]);
      }
      this.rebalance.leave();
      await this.consumer?.disconnect();
      for (const state of this.partitions.values()) state.pipeline.close();
      this.partitions.clear();
      await this.producer?.disconnect(10_000);
      this.running = false;
      this.log.info('processor stopped');
    })();
    return this.stopping;
  }

  // --- consuming -----------------------------------------------------------------------------------------

  private async consumeLoop(): Promise<void> {
    const consumer = this.consumer!;
    let backoffMs = 0;
    while (!this.stopping && !this.failed) {
      await this.rebalance.handleRevocations();
      // bound the batches whose outputs are not yet acknowledged (waiting on unsettled ones only: a race
      // over settled promises would spin on microtasks and starve the delivery reports)
      this.commits.prune();
      while (this.commits.inFlightCount >= this.o.maxInFlightBatches && !this.failed) {
        await this.commits.waitForAny();
        this.commits.prune();
      }
      let messages: RdKafka.Message[];
      try {
        messages = await consumer.consume(this.o.maxBatchSize);
        backoffMs = 0;
      } catch (err) {
        // a broker outage: librdkafka reconnects by itself; wait with backoff and say so
        backoffMs = Math.min(Math.max(backoffMs * 2, 100), 5_000);
        this.log.warn({ err, backoffMs }, 'consume failed; waiting');
        await sleep(backoffMs);
        continue;
      }
      // a reload that finished before this batch was consumed applies to all of it
      await this.applyReloadedRules();
      if (messages.length > 0) await this.processBatch(messages);
      await this.advanceIdlePartitions();
    }
  }

  /**
   * Rules reloaded (RulesRuntime.update): every partition held takes them here, between batches, and holds the
   * windows they need; what the reload resolves goes out like an idle step's outputs, with the partition's
   * unchanged resume point. O(partitions) per loop when nothing was reloaded.
   */
  private async applyReloadedRules(): Promise<void> {
    if (!this.o.rules.update || this.stopping || this.failed) return;
    const batches = applyReloadedRules(this.o.rules, this.partitions.values(), (state, out) =>
      this.outputs.observe(state, out),
    );
    if (batches.length > 0) await this.sendBatches(batches, Number.POSITIVE_INFINITY);
  }

  /**
   * Advances the event clock of every partition that is caught up and idle to the wall clock, and sends what
   * that fires (see the class comment). A partition being rebuilt, with a backlog, or whose end offset the
   * consumer has not learnt yet is left alone.
   */
  private async advanceIdlePartitions(): Promise<void> {
    if (this.idle.afterMs <= 0 || this.partitions.size === 0 || this.stopping || this.failed) return;
    const consumer = this.consumer!;
    const batches = this.idle.advance({
      nowMs: this.o.now(),
      partitions: this.partitions.values(),
      rebuilding: this.rebalance.rebuilding,
      highWatermark: (topic, partition) => consumer.highWatermark(topic, partition),
      observe: (state, out) => this.outputs.observe(state, out),
    });
    if (batches.length > 0) await this.sendBatches(batches, Number.POSITIVE_INFINITY);
  }

  /** One consumed batch: decoded and run per partition, then handed to the delivery mode's sink. */
  private async processBatch(messages: RdKafka.Message[]): Promise<void> {
    const cpuStarted = process.hrtime.bigint();
    const { batches, oldestAppendMs, processed, late, deadLettered, sensorsRefused } = runConsumedBatch(messages, {
      nowMs: this.o.now(),
      partitions: this.partitions,
      codec: this.codec,
      limits: this.o.limits,
      delivered: (partition, atMs) => this.idle.delivered(partition, atMs),
      observe: (state, out) => this.outputs.observe(state, out),
    });
    if (sensorsRefused) this.metrics.sensorsRefused.inc(sensorsRefused);
    this.metrics.batchSeconds.observe(Number(process.hrtime.bigint() - cpuStarted) / 1e9);
    if (processed) this.metrics.readings.inc({ outcome: 'processed' }, processed);
    if (late) this.metrics.readings.inc({ outcome: 'late' }, late);
    if (deadLettered) this.metrics.readings.inc({ outcome: 'dead_lettered' }, deadLettered);
    if (batches.length === 0) return;
    await this.sendBatches(batches, oldestAppendMs);
  }

  /**
   * Hands the partitions' outputs to the delivery mode's sink: one transaction (exactly-once), or produced
   * while the next batch runs, with offsets committed once acknowledged (at-least-once).
   */
  private async sendBatches(batches: PartitionBatch[], oldestAppendMs: number): Promise<void> {
    const observeLatency = (): void => {
      if (Number.isFinite(oldestAppendMs))
        this.metrics.latency.observe(Math.max(0, Date.now() - oldestAppendMs) / 1000);
    };

    if (this.exactlyOnce) {
      await this.exactlyOnce.send(batches, observeLatency);
    } else {
      this.commits.track(
        batches,
        () => this.atLeastOnce!.send(batches),
        observeLatency,
        (err) => this.fail(err),
      );
    }
    this.updateGauges();
  }

  // --- helpers -------------------------------------------------------------------------------------------

  /** Runs `step` until it succeeds, waiting with backoff between attempts (a broker outage is waited out). */
  private untilDone(what: string, step: () => Promise<void>, maxAttempts?: number): Promise<void> {
    return untilDone(what, step, {
      log: this.log,
      halted: () => this.failed !== undefined || this.stopping !== undefined,
      maxAttempts,
    });
  }

  private updateGauges(): void {
    let windows = 0;
    for (const state of this.partitions.values()) windows += state.pipeline.windowsHeld;
    const partitionRules = [...this.partitions.values()].map((state) => state.rules);
    const firing = firingByRule(this.ruleNames, partitionRules, this.o.rules);
    this.metrics.windowsHeld.set(windows);
    this.metrics.sensorsHeld.set(this.o.sensorBudget.held);
    for (const [rule, n] of firing) this.metrics.alertsFiring.set({ rule }, n);
  }

  private fail(err: Error): void {
    if (this.failed) return;
    this.failed = err;
    this.log.error({ err }, 'processor cannot go on; stopping without committing further offsets');
    (this.o.onFatal ?? (() => undefined))(err);
  }
}
