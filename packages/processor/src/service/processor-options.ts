/**
 * The processor service's options and their defaults, in one place, with units in the names. The shell reads
 * only the resolved form, so a default is written once.
 */
import type { KafkaSettings, Logger, TopicNames } from '@sensor-pipeline/shared';
import type { Registry } from 'prom-client';
import type { BatchOutput } from './batch-output.js';
import type { PartitionRules, WindowPlan } from './partition-pipeline.js';
import { checkReadingLimits, DEFAULT_READING_LIMITS, type ReadingLimits } from './reading-validation.js';
import { SensorBudget } from './sensor-budget.js';

export type DeliveryMode = 'at-least-once' | 'exactly-once';

/** What the shell needs from the rules: the windows to keep and a fresh rule state per partition. */
export interface RulesRuntime {
  readonly windows: readonly WindowPlan[];
  /** Longest span of event time any rule looks back (window + grace, absence duration). */
  readonly lookbackMs: number;
  /** Every rule's name, so its metrics are exported at 0 from the start. */
  readonly ruleNames?: readonly string[];
  createPartitionRules(restored: ReadonlyMap<string, string>, log: Logger): PartitionRules;
  /**
   * Rules that can be reloaded: between batches the shell asks this for every partition it holds; it brings
   * the partition's rules up to the rules in force (transitions to `out`) and returns the windows the
   * partition must hold now, or undefined when nothing changed (see rules-runtime.ts).
   */
  update?(rules: PartitionRules, out: BatchOutput): readonly WindowPlan[] | undefined;
  /**
   * Group and fleet series firing now, by rule, counted once for the instance (they are shared by its
   * partitions, so no partition's `firingByRule` counts them).
   */
  sharedFiringByRule?(): ReadonlyMap<string, number>;
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
  /**
   * A partition caught up with the broker (it holds nothing more for it) and sent nothing new for this long
   * has its event clock advanced with the wall clock, so absence rules and pending `for` durations progress
   * during an outage; a partition with a backlog never does. 0 turns it off (silence then progresses only
   * with readings). Default 5 s. It assumes device clocks within `grace` of this machine's clock.
   */
  readonly idleAdvanceAfterMs?: number;
  /** Added to the rules' lookback when replaying, for devices whose clocks lag the partition's newest. */
  readonly replayExtraMs?: number;
  /** Most records taken from the consumer per batch. */
  readonly maxBatchSize?: number;
  /** Batches whose outputs may be in flight (at-least-once) before consumption waits. */
  readonly maxInFlightBatches?: number;
  /**
   * Stable per instance slot (default `0`): the transactional id is `<groupId>-<instanceId>`, so a restarted
   * instance in the same slot fences its predecessor and aborts its open transaction. Two instances of one
   * group running at the same time must have different ids (the second would fence the first).
   */
  readonly instanceId?: string;
  /**
   * Static group membership: `group.instance.id` = `<groupId>-<instanceId>`; a restart within the session
   * timeout keeps its partitions without a rebalance.
   */
  readonly staticMembership?: boolean;
  /** Holding no partitions longer than this after joining makes the instance unready, ms. */
  readonly noPartitionsGraceMs?: number;
  /** Outputs unacknowledged (or a transaction unfinished) longer than this make the instance unready, ms. */
  readonly outputStallMs?: number;
  /** How often the committed offsets are read back to catch commits that did not take effect, ms. */
  readonly commitVerifyIntervalMs?: number;
  /**
   * At-least-once: outputs in flight with no delivery report for this long make the producer replace its client
   * and produce them again (a client that lost its connection and does not reconnect), ms; 0 = never. Default
   * 60 s. Exactly-once needs none: a transaction that cannot finish stops the service.
   */
  readonly producerStallReplaceMs?: number;
  /** The broker aborts a transaction left open this long (a killed instance's), ms. */
  readonly transactionTimeoutMs?: number;
  /**
   * The lag gauge asks the broker for high watermarks at most this often, ms (scrapes in between are answered
   * from the last answer and the consumer's own cached watermarks). Default 5 s.
   */
  readonly lagQueryIntervalMs?: number;
  /** Per-partition prefetch bound of the consumer, KB (`queued.max.messages.kbytes`). */
  readonly queuedMaxKbytes?: number;
  /** Create output topics that are missing (alerts, stats, DLQ, state). */
  readonly createTopics?: boolean;
  /** Limits a reading must meet (lengths, label counts, value ranges, clock skew); unset ones keep their defaults. */
  readonly limits?: Partial<ReadingLimits>;
  /**
   * Most sensors (deviceId × metric) this instance holds, over all its partitions; readings of new sensors past
   * it are dead-lettered (READING_SENSOR_LIMIT). Default 200,000: a few hundred MB of windows at 1 Hz.
   */
  readonly maxSensors?: number;
  /**
   * Largest output record (key, value and headers) handed to the producer, bytes; a larger one is set aside
   * (OUTPUT_TOO_LARGE) instead of failing the batch. Keep it at or below the producer's and the broker's
   * message size limits (librdkafka's `message.max.bytes`, default 1,000,000).
   */
  readonly maxOutputRecordBytes?: number;
  readonly now?: () => number;
  /** Called when the service cannot go on (a produce failed after all retries): exit without committing. */
  readonly onFatal?: (err: Error) => void;
  /** Awaited once the clients are connected, before the consumer joins its group (the workers' start barrier). */
  readonly beforeJoin?: () => Promise<void>;
}

export type ResolvedProcessorOptions = Required<
  Omit<ProcessorServiceOptions, 'onFatal' | 'beforeJoin' | 'instanceId' | 'limits'> & {
    instanceId: string;
    limits: ReadingLimits;
  }
> &
  Pick<ProcessorServiceOptions, 'onFatal' | 'beforeJoin'> & {
    /** Event time replayed on rebuild: the rules' lookback plus `replayExtraMs`. */
    readonly replaySpanMs: number;
    /** `<groupId>-<instanceId>`: the transactional id, and the group instance id with static membership. */
    readonly memberId: string;
    /** Sensors held by this instance against `maxSensors`, shared by its partitions. */
    readonly sensorBudget: SensorBudget;
  };

export function resolveProcessorOptions(options: ProcessorServiceOptions): ResolvedProcessorOptions {
  const instanceId = options.instanceId ?? '0';
  const replayExtraMs = options.replayExtraMs ?? 60_000; // one minute for lagging device clocks
  const limits: ReadingLimits = { ...DEFAULT_READING_LIMITS, ...options.limits };
  checkReadingLimits(limits);
  const maxSensors = options.maxSensors ?? 200_000;
  if (!Number.isSafeInteger(maxSensors) || maxSensors < 1)
    throw new RangeError(`maxSensors must be a positive whole number, got ${options.maxSensors}`);
  const idleAdvanceAfterMs = options.idleAdvanceAfterMs ?? 5_000; // five seconds
  if (!(Number.isFinite(idleAdvanceAfterMs) && idleAdvanceAfterMs >= 0))
    throw new RangeError(`idleAdvanceAfterMs must be a duration ≥ 0 ms (0 = off), got ${options.idleAdvanceAfterMs}`);
  const maxOutputRecordBytes = options.maxOutputRecordBytes ?? 1_000_000; // librdkafka's message.max.bytes
  if (!Number.isSafeInteger(maxOutputRecordBytes) || maxOutputRecordBytes < 1_024)
    throw new RangeError(`maxOutputRecordBytes must be a whole number ≥ 1024, got ${options.maxOutputRecordBytes}`);
  return {
    ...options,
    delivery: options.delivery ?? 'at-least-once',
    statsIntervalMs: options.statsIntervalMs ?? 0, // off unless asked for
    commitIntervalMs: options.commitIntervalMs ?? 1_000,
    replayExtraMs,
    idleAdvanceAfterMs,
    maxBatchSize: options.maxBatchSize ?? 2_000,
    maxInFlightBatches: options.maxInFlightBatches ?? 8,
    instanceId,
    staticMembership: options.staticMembership ?? false,
    noPartitionsGraceMs: options.noPartitionsGraceMs ?? 15_000, // longer than a rebalance takes
    outputStallMs: options.outputStallMs ?? 30_000,
    commitVerifyIntervalMs: options.commitVerifyIntervalMs ?? 5_000,
    producerStallReplaceMs: options.producerStallReplaceMs ?? 60_000,
    transactionTimeoutMs: options.transactionTimeoutMs ?? 30_000,
    queuedMaxKbytes: options.queuedMaxKbytes ?? 2_048, // 2 MB per partition
    lagQueryIntervalMs: options.lagQueryIntervalMs ?? 5_000,
    createTopics: options.createTopics ?? true,
    limits,
    maxSensors,
    maxOutputRecordBytes,
    sensorBudget: new SensorBudget(maxSensors),
    now: options.now ?? Date.now,
    // read when a partition is rebuilt: a rules reload may have changed the lookback
    get replaySpanMs() {
      return options.rules.lookbackMs + replayExtraMs;
    },
    memberId: `${options.groupId}-${instanceId}`,
  };
}
