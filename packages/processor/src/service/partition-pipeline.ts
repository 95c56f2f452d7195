/**
 * The RxJS pipeline of one readings partition: envelopes in, window events out, rules on every stats event,
 * everything a batch produces collected into a {@link BatchOutput}. One instance per assigned partition, so
 * revoking a partition completes its subject and releases exactly its windows and alert states.
 *
 * readings$ ─┬─ filter(uses window A) ─ slidingWindow(A) ─┐
 *            ├─ filter(uses window B) ─ slidingWindow(B) ─┼─▶ stats → rules → alerts / state changes
 *            └─ tap(absence bookkeeping)                   └─▶ late → readings DLQ
 *
 * Envelopes carry two flags set by the shell: `evaluate` (run rules: false for readings whose effect on
 * alert state is already in the restored state) and `live` (publish outputs: false while replaying to
 * rebuild windows). RxJS runs synchronously here: after `run` returns, the batch's output is complete.
 *
 * The partition's event clock is the newest reading timestamp, capped at the wall clock (plus
 * `maxClockAheadMs`). `idle(nowMs, ...)` is the other way it moves: the shell calls it when the partition is
 * caught up and has been idle, so silences are judged on the wall clock during an outage; the shell never
 * calls it while the partition has a backlog, so a catch-up is judged on event time alone. The idle clock is
 * provisional, as a Flink source's idleness is: it stands in for event time only while the partition is idle.
 * The next reading ends the idle span and the clock is the readings' watermark again, even where that is
 * behind the idle clock (a backfill, a fast simulator run dated from minutes ago): readings are judged on
 * their own event time, so devices reporting within `absent` of each other never look silent. What fired
 * during the idle span stays firing until its sensor, device or group reports.
 */

import { dlqHeaders, type SensorReading } from '@sensor-pipeline/shared/core';
import { filter, Subject, type Subscription } from 'rxjs';
import { type SlidingWindowOperator, slidingWindow, type WindowEvent } from '../window/sliding-window.js';
import type { WindowOptions } from '../window/window-options.js';
import type { WindowStats } from '../window/window-stats.js';
import type { BatchOutput } from './batch-output.js';
import type { SensorBudget } from './sensor-budget.js';

export interface ReadingEnvelope {
  readonly reading: SensorReading;
  /** Sensor key (deviceId + metric), one interned string per sensor; set by `PartitionRules.observe`. */
  sensor: string;
  readonly offset: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly evaluate: boolean;
  readonly live: boolean;
  /** Set when some window found it late, so it is dead-lettered once. */
  late?: boolean;
  /** The rules' handle for the reading's sensor, set by `PartitionRules.holds` (if held) and `observe`. */
  sensorRef?: unknown;
}

/** The alert side of a partition, as the pipeline needs it (see rules/rule-engine.ts). */
export interface PartitionRules {
  /**
   * Every valid reading, first, in partition order: finds its sensor (kept in `envelope.sensorRef`) and moves
   * the sensor's event time; resolves absence alerts when `envelope.evaluate`.
   */
  observe(envelope: ReadingEnvelope, out: BatchOutput): void;
  /** Whether the envelope's sensor has a rule on window `windowKey` (after `observe`). */
  usesWindow(envelope: ReadingEnvelope, windowKey: string): boolean;
  /** New stats of `windowKey` for the envelope's sensor: evaluate its rules. */
  onStats(envelope: ReadingEnvelope, windowKey: string, stats: WindowStats, out: BatchOutput): void;
  /**
   * Whether the reading's sensor (deviceId, metric) is held already (a new one needs a slot of the budget);
   * leaves the held sensor in `envelope.sensorRef` for `observe`.
   */
  holds(envelope: ReadingEnvelope): boolean;
  /** Event time advanced to `watermarkMs` on this partition: absence rules. */
  tick(watermarkMs: number, out: BatchOutput): void;
  /** Once per batch and idle step, after `tick`: the instance's group and fleet absence rules. */
  tickGroups?(out: BatchOutput): void;
  /** The partition is dropped: its share of group and fleet state is released. */
  close?(): void;
  /** Sensor and device series firing now on this partition (group and fleet ones: `sharedFiringByRule`). */
  readonly firing: number;
  /** The same, by rule (rules with none may be absent). */
  readonly firingByRule?: ReadonlyMap<string, number>;
}

export interface WindowPlan {
  readonly key: string;
  readonly options: WindowOptions;
}

export interface PartitionPipelineOptions {
  readonly topic: string;
  readonly partition: number;
  readonly windows: readonly WindowPlan[];
  readonly rules: PartitionRules;
  /** Drop a sensor's window after this much event time without readings. */
  readonly idleEvictMs: number;
  /** Publish window stats at most once per this much event time per sensor and window; 0 = never. */
  readonly statsIntervalMs: number;
  /**
   * How far the partition's event clock (which drives absence) may run ahead of the wall clock (`now`), ms;
   * default 0. Readings may be stamped up to the readings' skew limit ahead, but silence is judged against the
   * wall clock: one reading stamped minutes or hours ahead cannot make every other sensor look silent.
   */
  readonly maxClockAheadMs?: number;
  /** Sensors this instance may still take (shared by its partitions); undefined = no cap. */
  readonly sensorBudget?: SensorBudget;
  readonly now: () => number;
}

export class PartitionPipeline {
  private readonly input = new Subject<ReadingEnvelope>();
  /** The windows held, by held-window key; a rules reload adds and drops some (`setWindows`). */
  private readonly windows = new Map<
    string,
    { operator: SlidingWindowOperator<ReadingEnvelope>; subscription: Subscription }
  >();
  private readonly lastStatsBucket = new Map<string, number>();
  private out: BatchOutput | undefined;
  /** Newest reading timestamp, capped at the wall clock (plus `maxClockAheadMs`): the readings' watermark. */
  private watermarkMs = -Infinity;
  /** The wall clock of the current idle span's latest step; −Infinity when the partition is not idle. */
  private idleClockMs = -Infinity;
  /** Slots of the sensor budget taken by this partition, given back on close. */
  private sensorsTaken = 0;

  constructor(private readonly options: PartitionPipelineOptions) {
    for (const plan of options.windows) this.addWindow(plan);
  }

  /**
   * After a rules reload, between batches: holds exactly `plans` from now on. A window already held goes on as
   * it is (with the readings it has); a new one starts empty; one no longer used is released.
   */
  setWindows(plans: readonly WindowPlan[]): void {
    const keep = new Set(plans.map((p) => p.key));
    for (const [key, held] of this.windows) {
      if (keep.has(key)) continue;
      held.subscription.unsubscribe();
      this.windows.delete(key);
    }
    for (const plan of plans) if (!this.windows.has(plan.key)) this.addWindow(plan);
  }

  private addWindow(plan: WindowPlan): void {
    const { rules } = this.options;
    const operator = slidingWindow<ReadingEnvelope>({
      ...plan.options,
      idleEvictMs: this.options.idleEvictMs,
      accessors: { key: (e) => e.sensor, timestampMs: (e) => e.reading.timestamp, value: (e) => e.reading.value },
    });
    const subscription = this.input
      .pipe(
        filter((e) => rules.usesWindow(e, plan.key)),
        operator,
      )
      .subscribe((event) => this.onWindowEvent(plan.key, event));
    this.windows.set(plan.key, { operator, subscription });
  }

  /**
   * Runs a batch (in offset order) through rules and windows; outputs go to `out`. With `tick`, the absence
   * clock advances after every reading — not per batch, so whether a silence is seen never depends on how
   * the input was batched (false while replaying: that input was judged before). A reading ends an idle span:
   * the clock is the readings' watermark from it on. O(1) per reading until a deadline may have passed. The event clock is capped at the wall clock (plus `maxClockAheadMs`). A reading of
   * a new sensor when the sensor budget is spent is refused (dead-lettered when live) and touches nothing.
   * Returns how many readings were refused so.
   */
  run(envelopes: readonly ReadingEnvelope[], out: BatchOutput, tick: boolean): number {
    this.out = out;
    const { rules, sensorBudget } = this.options;
    const clockCapMs = this.options.now() + (this.options.maxClockAheadMs ?? 0);
    let refused = 0;
    let evaluated = false;
    for (const envelope of envelopes) {
      if (sensorBudget && !rules.holds(envelope)) {
        if (!sensorBudget.take()) {
          refused++;
          this.refuseNewSensor(envelope, sensorBudget, out);
          continue;
        }
        this.sensorsTaken++;
      }
      rules.observe(envelope, out);
      this.input.next(envelope);
      const eventMs = Math.min(envelope.reading.timestamp, clockCapMs);
      if (eventMs > this.watermarkMs) this.watermarkMs = eventMs;
      this.idleClockMs = -Infinity; // readings flow: event time again, even behind where the idle clock got to
      if (tick && envelope.evaluate) {
        rules.tick(this.watermarkMs, out);
        evaluated = true;
      }
    }
    if (evaluated) rules.tickGroups?.(out);
    this.out = undefined;
    return refused;
  }

  /**
   * The partition is caught up and idle: its event clock advances to the wall clock `nowMs` (never beyond,
   * never back while the idle span lasts), and absence rules are judged on it. With `groups` false only this
   * partition's own series are judged (its clock still counts for the instance's groups): for a partition that
   * has consumed nothing, whose outputs would have no resume point to go with. Returns the new clock.
   */
  idle(nowMs: number, out: BatchOutput, groups: boolean): number {
    if (nowMs > this.idleClockMs) this.idleClockMs = nowMs;
    this.options.rules.tick(this.clockMs, out);
    if (groups) this.options.rules.tickGroups?.(out);
    return this.clockMs;
  }

  /**
   * The partition's event clock: the readings' watermark, or while idle the wall clock of the latest idle
   * step if that is ahead (−Infinity before its first reading or idle step).
   */
  get clockMs(): number {
    return Math.max(this.watermarkMs, this.idleClockMs);
  }

  get windowsHeld(): number {
    let n = 0;
    for (const { operator } of this.windows.values()) n += operator.windowsHeld;
    return n;
  }

  /** Completes the pipeline: every window and alert state of this partition is released. */
  close(): void {
    this.input.complete();
    for (const { subscription } of this.windows.values()) subscription.unsubscribe();
    this.windows.clear();
    this.options.rules.close?.();
    this.lastStatsBucket.clear();
    this.options.sensorBudget?.release(this.sensorsTaken);
    this.sensorsTaken = 0;
  }

  private refuseNewSensor(envelope: ReadingEnvelope, budget: SensorBudget, out: BatchOutput): void {
    // replayed, or re-consumed at or below the restored checkpoint: its dead letter is already out
    if (!envelope.live || !envelope.evaluate) return;
    const { deviceId, metric } = envelope.reading;
    const code = 'READING_SENSOR_LIMIT';
    out.deadLetters.push({
      key: envelope.key,
      value: envelope.value,
      code,
      headers: dlqHeaders(
        { topic: this.options.topic, partition: this.options.partition, offset: String(envelope.offset) },
        {
          code,
          message: `new sensor ${JSON.stringify(deviceId)}/${metric} refused: this instance holds ${budget.held} sensors, its limit (maxSensors ${budget.maxSensors})`,
        },
        'processor/sensors',
        this.options.now(),
      ),
    });
  }

  private onWindowEvent(windowKey: string, event: WindowEvent<ReadingEnvelope>): void {
    const out = this.out!;
    const envelope = event.reading;
    if (event.kind === 'stats') {
      if (envelope.evaluate) this.options.rules.onStats(envelope, windowKey, event.stats, out);
      if (envelope.live && this.options.statsIntervalMs > 0)
        this.maybePublishStats(windowKey, envelope, event.stats, out);
      return;
    }
    // late or invalid: set aside once, with the reason
    if (envelope.late) return;
    envelope.late = true;
    // replayed, or re-consumed at or below the restored checkpoint: its dead letter is already out
    if (!envelope.live || !envelope.evaluate) return;
    const code =
      event.kind === 'late'
        ? `READING_LATE_${event.reason.toUpperCase().replaceAll('-', '_')}`
        : `READING_${event.reason.toUpperCase().replaceAll('-', '_')}`;
    const message =
      event.kind === 'late'
        ? `reading at ${envelope.reading.timestamp} is ${event.reason === 'beyond-grace' ? 'older than the allowed lateness' : 'outside the current window'} of ${windowKey} for ${envelope.sensor}`
        : `reading rejected by ${windowKey}: ${event.reason}`;
    if (event.kind === 'late') out.lateCount++;
    out.deadLetters.push({
      key: envelope.key,
      value: envelope.value,
      code,
      headers: dlqHeaders(
        { topic: this.options.topic, partition: this.options.partition, offset: String(envelope.offset) },
        { code, message },
        'processor/window',
        this.options.now(),
        {
          'dlq.window': windowKey,
        },
      ),
    });
  }

  private maybePublishStats(windowKey: string, envelope: ReadingEnvelope, stats: WindowStats, out: BatchOutput): void {
    const bucketKey = `${envelope.sensor}\u0000${windowKey}`;
    const bucket = Math.floor(stats.endMs / this.options.statsIntervalMs);
    if (this.lastStatsBucket.get(bucketKey) === bucket) return;
    this.lastStatsBucket.set(bucketKey, bucket);
    out.stats.push({
      deviceId: envelope.reading.deviceId,
      metric: envelope.reading.metric,
      window: windowKey,
      windowStart: stats.startMs,
      windowEnd: stats.endMs,
      count: stats.count,
      mean: stats.mean,
      median: stats.median,
      min: stats.min,
      max: stats.max,
      stddev: stats.stddev,
    });
  }
}
