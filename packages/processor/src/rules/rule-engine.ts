/**
 * The pure core the processor's I/O shell drives: for each reading it finds the sensor's rules (a map lookup
 * after the first reading of a device), runs each (rule, sensor) alert state machine on the window stats the
 * shell computed, and returns the state changes — the FIRING / RESOLVED alerts to publish and the state
 * records to persist. Nothing is allocated for a reading that changes nothing. Time is event time, passed in.
 *
 * Use one engine per owned partition (created on assignment, dropped on revocation); compile the rules once
 * (`compileRules`) and share them.
 *
 * Per reading of a sensor (deviceId, metric) — in the partition's order:
 *   const sensor = engine.sensor(deviceId, metric, labels);
 *   out.push(...engine.observe(sensor, timestampMs));            // every valid reading, first
 *   sensor.windows.forEach((spec, i) => {     // entries that differ only by hop share one held window
 *     const w = held[heldWindowKey(spec)];   // (see window-spec.ts): the engine applies each entry's hop
 *     if (w accepted the reading) out.push(...engine.evaluate(sensor, i, w.stats()));
 *   });
 *   out.push(...engine.tick(partitionWatermarkMs));             // newest timestamp seen on the partition
 * Once per batch (and per idle step, see below): out.push(...engine.tickGroups());
 *
 * Absence scopes: sensor series live on the sensor, device series on the device (its newest reading of any
 * metric), both judged here, per reading, on this partition's clock. Group and fleet series span partitions:
 * they live in the instance's {@link GroupAbsenceTracker}, which this engine joins (pass it in the options)
 * and leaves on `close()`; `tickGroups` judges them on the slowest member partition's clock.
 *
 * Idle partitions: when the shell sees a partition caught up (nothing left on the broker) and idle, it calls
 * `tick(wallClockMs)` (and `tickGroups()`) with the wall clock, so silences are reported during an outage.
 * That clock is provisional: once readings flow again the shell ticks with their watermark, even if it is
 * behind the idle clock (readings dated in the past), and series fired meanwhile stay firing until they report.
 * Firing needs nothing but the clock passing `lastSeen + absent + grace`, and startsAt = lastSeen + absent,
 * so an idle tick produces exactly the transition (and event id) that a later reading would have: its
 * outputs follow the same contract as a reading's (published, then persisted with the checkpoint of the
 * partition's unchanged resume point). After a crash before they were persisted, the restored state lacks
 * them; the readings replayed and re-consumed are the same, so the next idle tick (or the next reading that
 * moves the clock past the deadline) fires the same series with the same startsAt, hence the same event id.
 *
 * # Crash and rebalance contract (what the shell must do so that no alert is missed and none fires twice
 * with a new id; duplicates with the same `eventId` are allowed and deduplicated downstream)
 * 1. Publish every `transition.alert` to the alerts topic; only after they are acknowledged, write every
 *    `transition.state` to the compacted alert-state topic (key: `state.fingerprint`, value:
 *    `encodeAlertStateRecord(state)`), co-partitioned with the readings; commit a reading's offset only after
 *    both (or put all of it in one Kafka transaction). Persist every transition, silent ones too (ok ↔
 *    pending: a pending series must keep its start).
 * 2. On assignment of partition p: `restore()` the state records of p into a fresh engine; re-read the
 *    readings of p from `replayHorizonMs(rules)` of event time before the resume point and feed the ones
 *    before it to the windows and to `engine.warm(sensor, timestampMs)` only — never to `observe` /
 *    `evaluate` / `tick`: they were evaluated before and the restored state holds their outcome. From the
 *    resume point on, process as usual.
 * 3. Keep `ok` records; do not tombstone them. Their `sinceMs` is what makes input at or before a series'
 *    last change a no-op after a restore. A tombstone loses it: even when the state and its resume point are
 *    stored atomically, a reading after the resume point in the same event-time millisecond as a RESOLVED
 *    could start the series again and publish a FIRING the original run never published (a test shows it).
 * Why this holds: a series' state changes only at a transition, and each transition is persisted before the
 * resume point passes the reading that caused it, so the restored state is the state at the resume point
 * or possibly a later one. Readings re-processed after the resume point are then
 * either not newer than the series' last change (ignored: a series changes at most once per event-time
 * millisecond) or were applied to that same state before (same outcome, same ids: ids depend only on rule,
 * sensor, status and event-time startsAt).
 *
 * Device labels: rule selection and alert labels follow the labels of the device's latest reading; when
 * they change, the device's sensors are re-selected (states of rules that still apply are kept, the others
 * dropped without an event) and `sensor.windows` may become a different list — compare it by identity.
 */
import type { Alert, Metric } from '@sensor-pipeline/shared/core';
import { crossesHopBoundary } from '../window/crosses-hop-boundary.js';
import type { WindowStats } from '../window/window-stats.js';
import { absenceOnReading, absenceOnTick } from './absence-state-machine.js';
import { alertFingerprint, deviceFingerprint } from './alert-ids.js';
import {
  type AbsenceState,
  alertStatusOf,
  INITIAL_ABSENCE_STATE,
  INITIAL_THRESHOLD_STATE,
  type ThresholdState,
} from './alert-state.js';
import { ALERT_STATE_RECORD_VERSION, type AlertStateRecord, type PendingWindow } from './alert-state-record.js';
import { buildAbsenceAlert, buildThresholdAlert } from './build-alert.js';
import {
  type CompiledAbsenceRule,
  type CompiledRule,
  type CompiledRules,
  type CompiledThresholdRule,
  compileRules,
  type RuleSelection,
} from './compile-rules.js';
import type { GroupAbsenceTracker, GroupMember, GroupSeries } from './group-absence-tracker.js';
import type { RulesConfig, Statistic } from './rules-schema.js';
import { evaluateThreshold, pendingOnTick } from './threshold-state-machine.js';
import type { WindowSpec } from './window-spec.js';

/** One state change of one alert series. */
export interface RuleTransition {
  /** The FIRING / RESOLVED event to publish; undefined for a silent change (ok ↔ pending). */
  readonly alert: Alert | undefined;
  /** The series' new state, to persist in the alert-state topic (key: `state.fingerprint`). */
  readonly state: AlertStateRecord;
}

/** A sensor (one device's one metric) as the shell sees it. */
export interface Sensor {
  readonly deviceId: string;
  readonly metric: Metric;
  /** `deviceId` NUL `metric`: one string per sensor, what its windows are keyed by. */
  readonly key: string;
  /** The windows to keep for this sensor; `evaluate(sensor, i, stats)` takes the stats of `windows[i]`. */
  readonly windows: readonly WindowSpec[];
}

/** A held sensor as a rules reload carries it over to a new engine (see `carryOverRules`). */
export interface HeldSensor {
  readonly deviceId: string;
  readonly metric: Metric;
  /** The labels of the device's latest reading. */
  readonly labels: Labels;
  /** The sensor's newest reading timestamp (−Infinity until its first). */
  readonly lastSeenMs: number;
}

export interface RestoreResult {
  /** Records put in place (now, or when their sensor first appears). */
  readonly restored: number;
  /** Records that match no rule any more (renamed, removed, or changed kind): log them; their series are gone. */
  readonly ignored: readonly AlertStateRecord[];
}

type SeriesState = ThresholdState | AbsenceState;
type Labels = Readonly<Record<string, string>>;

const NO_TRANSITIONS: readonly RuleTransition[] = Object.freeze([]);

/**
 * A pending threshold series with a `for`, and the value and window it became pending on: what the FIRING
 * carries when the clock fires it (persisted with the pending record, so a restore fires the same alert).
 */
interface PendingSeries {
  readonly slot: SensorSlot;
  readonly index: number;
  readonly rule: CompiledThresholdRule;
  readonly window: PendingWindow;
}

class SensorSlot implements Sensor {
  /** The sensor's newest reading timestamp (−Infinity until its first). */
  lastSeenMs = -Infinity;
  /** `lastSeenMs` before the current reading: what hop evaluation compares against. */
  prevSeenMs = -Infinity;
  /** In the engine's absence scan list. */
  watched = false;
  /** Pending series with a `for`, by rule index (allocated on the first). */
  pending: (PendingSeries | undefined)[] | undefined;
  readonly key: string;

  constructor(
    readonly device: DeviceEntry,
    readonly deviceId: string,
    readonly metric: Metric,
    public labels: Labels,
    public selection: RuleSelection,
    /** One per `selection.rules` entry. */
    public states: SeriesState[],
  ) {
    this.key = `${deviceId}\u0000${metric}`;
  }

  get windows(): readonly WindowSpec[] {
    return this.selection.windows;
  }
}

interface DeviceEntry {
  readonly deviceId: string;
  /** A private copy of the device's labels. */
  labels: Labels;
  labelCount: number;
  /** The last labels object found equal to `labels` (decoded readings bring a new object each time). */
  labelsSeen: Labels;
  readonly sensors: Partial<Record<Metric, SensorSlot>>;
  /** The device's newest reading, any metric (−Infinity until its first). */
  lastSeenMs: number;
  /** Absence rules of scope device, group and fleet that apply to the device (from `selectDevice`). */
  scoped: readonly CompiledAbsenceRule[];
  /** Per `scoped` entry: the device series' state (scope device; unused otherwise). */
  deviceStates: AbsenceState[];
  /** Per `scoped` entry: the group or fleet series the device belongs to (undefined for scope device). */
  groups: (GroupSeries | undefined)[];
  /** Smallest `absentMs` of its device-scope rules (Infinity when none). */
  minDeviceAbsentMs: number;
  /** In the engine's device scan list. */
  watched: boolean;
}

export interface RuleEngineOptions {
  /** The instance's tracker of group and fleet series, shared by its partitions' engines. */
  readonly groups?: GroupAbsenceTracker;
}

export class RuleEngine {
  /** Allowed lateness (from the rules file): the windows' grace, and how far the absence clock trails the watermark. */
  readonly graceMs: number;
  readonly rules: CompiledRules;
  private readonly devices = new Map<string, DeviceEntry>();
  /** Sensors that have absence rules. */
  private readonly watched: SensorSlot[] = [];
  /** A lower bound of every deadline (lastSeenMs + absentMs) that could still fire: `tick` is O(1) below it. */
  private nextCheckMs = Infinity;
  /** Restored records whose sensor has not appeared yet, by seriesKey. */
  private readonly pendingRestore = new Map<string, AlertStateRecord>();
  /** Devices that have device-scope absence rules. */
  private readonly watchedDevices: DeviceEntry[] = [];
  /** Pending threshold series with a `for` (evaluated at least once since this engine held them). */
  private readonly pendingSeries = new Set<PendingSeries>();
  private readonly groups: GroupAbsenceTracker | undefined;
  private readonly member: GroupMember | undefined;

  constructor(rules: CompiledRules | RulesConfig, options: RuleEngineOptions = {}) {
    this.rules = 'select' in rules ? rules : compileRules(rules);
    this.graceMs = this.rules.graceMs;
    this.groups = options.groups;
    this.member = this.groups?.join();
  }

  /** Leaves the group tracker: this partition's clock and devices no longer count for groups. */
  close(): void {
    if (this.member) this.groups!.leave(this.member);
  }

  /** Number of sensors seen. */
  get sensorCount(): number {
    let n = 0;
    for (const device of this.devices.values()) n += Object.keys(device.sensors).length;
    return n;
  }

  /** Whether the sensor (deviceId, metric) has been seen (is held) already. */
  hasSensor(deviceId: string, metric: Metric): boolean {
    return this.findSensor(deviceId, metric) !== undefined;
  }

  /** The sensor (deviceId, metric) if held; nothing is created. */
  findSensor(deviceId: string, metric: Metric): Sensor | undefined {
    return this.devices.get(deviceId)?.sensors[metric];
  }

  /**
   * The sensor (deviceId, metric) with its rules and state; created on first sight. `found`: what
   * `findSensor` just returned for it, to spare a second lookup.
   */
  sensor(deviceId: string, metric: Metric, labels: Labels, found?: Sensor): Sensor {
    let device = found === undefined ? this.devices.get(deviceId) : (found as SensorSlot).device;
    if (device === undefined) {
      const copy = { ...labels };
      device = {
        deviceId,
        labels: copy,
        labelCount: Object.keys(copy).length,
        labelsSeen: labels,
        sensors: {},
        lastSeenMs: -Infinity,
        scoped: [],
        deviceStates: [],
        groups: [],
        minDeviceAbsentMs: Infinity,
        watched: false,
      };
      this.devices.set(deviceId, device);
      this.selectScoped(deviceId, device);
    } else if (device.labelsSeen !== labels) {
      if (!sameLabels(device.labels, device.labelCount, labels)) this.relabel(deviceId, device, labels);
      device.labelsSeen = labels;
    }
    return device.sensors[metric] ?? this.createSensor(deviceId, metric, device);
  }

  /**
   * A valid reading of the sensor (call it first, for each one, in partition order): moves the sensor's
   * event time and resolves its firing absence alerts.
   */
  observe(sensor: Sensor, timestampMs: number): readonly RuleTransition[] {
    const slot = sensor as SensorSlot;
    this.advance(slot, timestampMs);
    const absence = slot.selection.absenceRules;
    let out: RuleTransition[] | undefined;
    if (slot.device.scoped.length > 0) out = this.observeDevice(slot, timestampMs, true);
    for (let k = 0; k < absence.length; k++) {
      const i = absence[k]!;
      const prev = slot.states[i] as AbsenceState;
      const next = absenceOnReading(prev, timestampMs);
      if (next === prev) continue;
      slot.states[i] = next;
      const rule = slot.selection.rules[i] as CompiledAbsenceRule;
      const alert = buildAbsenceAlert({
        rule,
        subject: slot,
        status: 'RESOLVED',
        lastSeenMs: prev.lastSeenMs,
        atMs: timestampMs,
        startsAtMs: prev.sinceMs,
        endsAtMs: next.sinceMs,
      });
      (out ??= []).push({ alert, state: record(rule, slot, next) });
    }
    return out ?? NO_TRANSITIONS;
  }

  /** A replayed reading during warm-up after a restore (see the contract above): event time only, no evaluation. */
  warm(sensor: Sensor, timestampMs: number): void {
    const slot = sensor as SensorSlot;
    this.advance(slot, timestampMs);
    if (slot.device.scoped.length > 0) this.observeDevice(slot, timestampMs, false);
  }

  /** A reading of the device: its newest time, then (evaluate) resolves its firing device and group series. */
  private observeDevice(slot: SensorSlot, timestampMs: number, evaluate: boolean): RuleTransition[] | undefined {
    const device = slot.device;
    if (timestampMs > device.lastSeenMs) device.lastSeenMs = timestampMs;
    if (device.watched) this.nextCheckMs = Math.min(this.nextCheckMs, device.lastSeenMs + device.minDeviceAbsentMs);
    let out: RuleTransition[] | undefined;
    const { scoped } = device;
    for (let i = 0; i < scoped.length; i++) {
      const series = device.groups[i];
      if (series !== undefined) {
        const t = this.groups!.observe(this.member!, series, timestampMs, evaluate);
        if (t) (out ??= []).push(t);
        continue;
      }
      if (!evaluate || scoped[i]!.scope !== 'device') continue;
      const prev = device.deviceStates[i]!;
      const next = absenceOnReading(prev, timestampMs);
      if (next === prev) continue;
      device.deviceStates[i] = next;
      const rule = scoped[i]!;
      const alert = buildAbsenceAlert({
        rule,
        subject: deviceSubject(rule, slot.deviceId, device),
        status: 'RESOLVED',
        lastSeenMs: prev.lastSeenMs,
        atMs: timestampMs,
        startsAtMs: prev.sinceMs,
        endsAtMs: next.sinceMs,
      });
      (out ??= []).push({ alert, state: deviceRecord(rule, slot.deviceId, next) });
    }
    return out;
  }

  /**
   * Evaluates the sensor's threshold rules that use `sensor.windows[windowIndex]`, on that window's stats
   * after the current reading. Event time of the evaluation: `stats.endMs`.
   */
  evaluate(sensor: Sensor, windowIndex: number, stats: WindowStats): readonly RuleTransition[] {
    const slot = sensor as SensorSlot;
    const selection = slot.selection;
    const indexes = selection.rulesByWindow[windowIndex];
    if (indexes === undefined) {
      throw new RangeError(
        `windowIndex ${windowIndex} out of range: sensor ${slot.deviceId}/${slot.metric} has ${selection.windows.length} window(s)`,
      );
    }
    const spec = selection.windows[windowIndex]!;
    if (
      spec.kind === 'time' &&
      spec.hopMs !== undefined &&
      !crossesHopBoundary(slot.prevSeenMs, stats.endMs, spec.hopMs)
    ) {
      return NO_TRANSITIONS; // not the first reading of a new hop
    }
    let out: RuleTransition[] | undefined;
    for (let k = 0; k < indexes.length; k++) {
      const i = indexes[k]!;
      const rule = selection.rules[i] as CompiledThresholdRule;
      const prev = slot.states[i] as ThresholdState;
      const value = statisticOf(stats, rule.statistic);
      const next = evaluateThreshold(prev, rule, value, stats.endMs);
      if (next.status === 'pending' && prev.status !== 'pending' && rule.forMs > 0)
        this.notePending(slot, i, rule, pendingWindowOf(value, stats), next.sinceMs);
      else if (prev.status === 'pending' && next !== prev) this.forgetPending(slot, i);
      if (next === prev) continue;
      slot.states[i] = next;
      const status = alertStatusOf(prev, next);
      const alert =
        status === undefined
          ? undefined
          : buildThresholdAlert({
              rule,
              subject: slot,
              status,
              value,
              stats,
              startsAtMs: status === 'FIRING' ? next.sinceMs : prev.sinceMs,
              endsAtMs: status === 'FIRING' ? null : next.sinceMs,
            });
      (out ??= []).push({ alert, state: record(rule, slot, next) });
    }
    return out ?? NO_TRANSITIONS;
  }

  /**
   * Sets the absence clock to `watermarkMs − graceMs` (watermarkMs: the partition's event clock — the newest
   * timestamp seen on it, or the wall clock while it is idle) and fires the absence alerts of sensors silent
   * for longer than their rule's `absent`. The clock may go back (readings dated behind where an idle span's
   * wall clock got to): nothing resolves by that, and nothing fires until the clock passes a deadline again.
   * The partition's clock is also its share of the group clock. O(1) until some deadline may have passed;
   * then one scan of the sensors with absence rules.
   */
  tick(watermarkMs: number): readonly RuleTransition[] {
    if (this.member) this.member.clockMs = watermarkMs;
    const clockMs = watermarkMs - this.graceMs;
    if (!(clockMs > this.nextCheckMs)) return NO_TRANSITIONS;
    let nextCheckMs = Infinity;
    let out: RuleTransition[] | undefined;
    for (const slot of this.watched) {
      const { rules, absenceRules } = slot.selection;
      for (let k = 0; k < absenceRules.length; k++) {
        const i = absenceRules[k]!;
        const rule = rules[i] as CompiledAbsenceRule;
        const prev = slot.states[i] as AbsenceState;
        const next = absenceOnTick(prev, slot.lastSeenMs, clockMs, rule.absentMs);
        if (next !== prev) {
          slot.states[i] = next;
          const alert = buildAbsenceAlert({
            rule,
            subject: slot,
            status: 'FIRING',
            lastSeenMs: next.lastSeenMs,
            atMs: clockMs,
            startsAtMs: next.sinceMs,
            endsAtMs: null,
          });
          (out ??= []).push({ alert, state: record(rule, slot, next) });
        } else if (prev.status === 'ok' && slot.lastSeenMs !== -Infinity) {
          const deadlineMs = slot.lastSeenMs + rule.absentMs;
          // A deadline at or before the last change cannot fire (that silence was resolved already, seen in a
          // replay): only a newer reading, which lowers the bound in `advance`, can change that.
          if (deadlineMs > prev.sinceMs) nextCheckMs = Math.min(nextCheckMs, deadlineMs);
        }
      }
    }
    for (const device of this.watchedDevices) {
      const { scoped, deviceStates } = device;
      for (let i = 0; i < scoped.length; i++) {
        const rule = scoped[i]!;
        if (rule.scope !== 'device') continue;
        const deviceId = device.deviceId;
        const prev = deviceStates[i]!;
        const next = absenceOnTick(prev, device.lastSeenMs, clockMs, rule.absentMs);
        if (next !== prev) {
          deviceStates[i] = next;
          const alert = buildAbsenceAlert({
            rule,
            subject: deviceSubject(rule, deviceId, device),
            status: 'FIRING',
            lastSeenMs: next.lastSeenMs,
            atMs: clockMs,
            startsAtMs: next.sinceMs,
            endsAtMs: null,
          });
          (out ??= []).push({ alert, state: deviceRecord(rule, deviceId, next) });
        } else if (prev.status === 'ok' && device.lastSeenMs !== -Infinity) {
          const deadlineMs = device.lastSeenMs + rule.absentMs;
          if (deadlineMs > prev.sinceMs) nextCheckMs = Math.min(nextCheckMs, deadlineMs);
        }
      }
    }
    for (const p of this.pendingSeries) {
      const { slot, index, rule } = p;
      const prev = slot.states[index] as ThresholdState;
      if (slot.selection.rules[index] !== rule || prev.status !== 'pending') {
        this.forgetPending(slot, index); // relabelled, or left pending without an evaluation seeing it
        continue;
      }
      const next = pendingOnTick(prev, rule.forMs, clockMs);
      if (next === prev) {
        nextCheckMs = Math.min(nextCheckMs, prev.sinceMs + rule.forMs - 1);
        continue;
      }
      slot.states[index] = next;
      this.forgetPending(slot, index);
      const { value, ...window } = p.window;
      const alert = buildThresholdAlert({
        rule,
        subject: slot,
        status: 'FIRING',
        value,
        stats: { ...window, stddev: Number.NaN },
        startsAtMs: next.sinceMs,
        endsAtMs: null,
      });
      (out ??= []).push({ alert, state: record(rule, slot, next) });
    }
    this.nextCheckMs = nextCheckMs;
    return out ?? NO_TRANSITIONS;
  }

  /** A series became pending (or was restored so): remember its window, and when the clock could fire it. */
  private notePending(
    slot: SensorSlot,
    i: number,
    rule: CompiledThresholdRule,
    window: PendingWindow,
    sinceMs: number,
  ): void {
    this.forgetPending(slot, i);
    const ref: PendingSeries = { slot, index: i, rule, window };
    (slot.pending ??= [])[i] = ref;
    this.pendingSeries.add(ref);
    this.nextCheckMs = Math.min(this.nextCheckMs, sinceMs + rule.forMs - 1);
  }

  private forgetPending(slot: SensorSlot, i: number): void {
    const ref = slot.pending?.[i];
    if (ref === undefined) return;
    slot.pending![i] = undefined;
    this.pendingSeries.delete(ref);
  }

  /**
   * Judges the instance's group and fleet series on the slowest member partition's clock (see
   * GroupAbsenceTracker). Call once per batch and per idle step, after `tick`; none without a tracker.
   */
  tickGroups(): readonly RuleTransition[] {
    if (!this.groups) return NO_TRANSITIONS;
    const out = this.groups.tick();
    return out.length === 0 ? NO_TRANSITIONS : out;
  }

  /** Every series not in its initial state (plus restored ones whose sensor has not appeared), as records. */
  snapshot(): AlertStateRecord[] {
    const records: AlertStateRecord[] = [];
    for (const device of this.devices.values()) {
      for (const slot of Object.values(device.sensors)) {
        slot.selection.rules.forEach((rule, i) => {
          const state = slot.states[i]!;
          if (state.sinceMs !== -Infinity) records.push(record(rule, slot, state));
        });
      }
    }
    for (const [deviceId, device] of this.devices) {
      device.scoped.forEach((rule, i) => {
        const state = device.deviceStates[i]!;
        if (rule.scope === 'device' && state.sinceMs !== -Infinity) records.push(deviceRecord(rule, deviceId, state));
      });
    }
    records.push(...this.pendingRestore.values());
    // the instance's group and fleet series (shared by its partitions' engines)
    if (this.groups) records.push(...this.groups.snapshot());
    return records;
  }

  /** Every sensor held, with its device's labels and newest reading time: what a rules reload carries over. */
  *heldSensors(): IterableIterator<HeldSensor> {
    for (const [deviceId, device] of this.devices) {
      for (const slot of Object.values(device.sensors))
        yield { deviceId, metric: slot.metric, labels: device.labels, lastSeenMs: slot.lastSeenMs };
    }
  }

  /**
   * Puts persisted series states back (see the contract above). Call it on a fresh engine before feeding
   * readings; records for sensors not seen yet are applied when the sensor first appears. Last record per
   * series wins.
   */
  restore(records: Iterable<AlertStateRecord>): RestoreResult {
    let restored = 0;
    const ignored: AlertStateRecord[] = [];
    for (const r of records) {
      const rule = this.rules.byName.get(r.rule);
      const scope = rule?.kind === 'absence' ? rule.scope : 'sensor';
      if (
        !rule ||
        (rule.kind === 'absence' && r.status === 'pending') ||
        (r.scope ?? 'sensor') !== scope ||
        (r.metric !== undefined && rule.metric !== undefined && rule.metric !== r.metric)
      ) {
        ignored.push(r);
        continue;
      }
      if (rule.kind === 'absence' && (scope === 'group' || scope === 'fleet')) {
        if (this.groups?.restore(rule, r)) restored++;
        else ignored.push(r);
        continue;
      }
      if (scope === 'device') {
        const device = this.devices.get(r.deviceId);
        const i = device ? device.scoped.indexOf(rule as CompiledAbsenceRule) : -1;
        if (device && i < 0) ignored.push(r);
        else {
          if (device) this.applyDeviceRecord(device, i, rule as CompiledAbsenceRule, r);
          else this.pendingRestore.set(seriesKey(r.rule, r.deviceId, ''), r);
          restored++;
        }
        continue;
      }
      const slot = this.devices.get(r.deviceId)?.sensors[r.metric!];
      if (slot) {
        const i = slot.selection.rules.indexOf(rule);
        if (i < 0) {
          ignored.push(r);
          continue;
        }
        this.applyRecord(slot, i, rule, r);
      } else {
        this.pendingRestore.set(seriesKey(r.rule, r.deviceId, r.metric!), r);
      }
      restored++;
    }
    return { restored, ignored };
  }

  private advance(slot: SensorSlot, timestampMs: number): void {
    slot.prevSeenMs = slot.lastSeenMs;
    if (timestampMs > slot.lastSeenMs) slot.lastSeenMs = timestampMs;
    // Only lowers the bound for a sensor it did not cover (first reading, firing until now): see tick.
    if (slot.watched) this.nextCheckMs = Math.min(this.nextCheckMs, slot.lastSeenMs + slot.selection.minAbsentMs);
  }

  private createSensor(deviceId: string, metric: Metric, device: DeviceEntry): SensorSlot {
    const selection = this.rules.select(deviceId, metric, device.labels);
    const states = selection.rules.map(initialState);
    const slot = new SensorSlot(device, deviceId, metric, device.labels, selection, states);
    device.sensors[metric] = slot;
    if (this.pendingRestore.size > 0) this.claimRestored(slot);
    this.watch(slot);
    return slot;
  }

  private claimRestored(slot: SensorSlot): void {
    slot.selection.rules.forEach((rule, i) => {
      const key = seriesKey(rule.name, slot.deviceId, slot.metric);
      const r = this.pendingRestore.get(key);
      if (r === undefined) return;
      this.pendingRestore.delete(key);
      this.applyRecord(slot, i, rule, r);
    });
  }

  private applyRecord(slot: SensorSlot, i: number, rule: CompiledRule, r: AlertStateRecord): void {
    if (rule.kind === 'threshold') {
      slot.states[i] = { status: r.status, sinceMs: r.sinceMs };
      if (r.status === 'pending' && r.pendingWindow !== undefined && rule.forMs > 0)
        this.notePending(slot, i, rule, r.pendingWindow, r.sinceMs);
      return;
    }
    const lastSeenMs = r.lastSeenMs ?? (r.status === 'firing' ? r.sinceMs - rule.absentMs : -Infinity);
    slot.states[i] = { status: r.status === 'firing' ? 'firing' : 'ok', sinceMs: r.sinceMs, lastSeenMs };
    if (lastSeenMs > slot.lastSeenMs) slot.lastSeenMs = lastSeenMs;
    if (slot.watched && slot.lastSeenMs !== -Infinity)
      this.nextCheckMs = Math.min(this.nextCheckMs, slot.lastSeenMs + slot.selection.minAbsentMs);
  }

  /** (Re)selects the device's device, group and fleet rules; states of rules that still apply are kept. */
  private selectScoped(deviceId: string, device: DeviceEntry): void {
    const scoped = this.rules.selectDevice(deviceId, device.labels);
    const old = device.scoped;
    const oldStates = device.deviceStates;
    device.scoped = scoped;
    device.deviceStates = scoped.map((rule) => {
      const j = old.indexOf(rule);
      return j >= 0 ? oldStates[j]! : INITIAL_ABSENCE_STATE;
    });
    device.groups = scoped.map((rule) =>
      rule.scope === 'device' || !this.groups ? undefined : this.groups.seriesOf(rule, device.labels),
    );
    device.minDeviceAbsentMs = Math.min(Infinity, ...scoped.filter((r) => r.scope === 'device').map((r) => r.absentMs));
    if (device.minDeviceAbsentMs !== Infinity && !device.watched) {
      device.watched = true;
      this.watchedDevices.push(device);
    }
    if (this.pendingRestore.size > 0) {
      scoped.forEach((rule, i) => {
        const key = seriesKey(rule.name, deviceId, '');
        const r = rule.scope === 'device' ? this.pendingRestore.get(key) : undefined;
        if (r === undefined) return;
        this.pendingRestore.delete(key);
        this.applyDeviceRecord(device, i, rule, r);
      });
    }
    if (device.watched && device.lastSeenMs !== -Infinity)
      this.nextCheckMs = Math.min(this.nextCheckMs, device.lastSeenMs + device.minDeviceAbsentMs);
  }

  private applyDeviceRecord(device: DeviceEntry, i: number, rule: CompiledAbsenceRule, r: AlertStateRecord): void {
    const lastSeenMs = r.lastSeenMs ?? (r.status === 'firing' ? r.sinceMs - rule.absentMs : -Infinity);
    device.deviceStates[i] = { status: r.status === 'firing' ? 'firing' : 'ok', sinceMs: r.sinceMs, lastSeenMs };
    if (lastSeenMs > device.lastSeenMs) device.lastSeenMs = lastSeenMs;
    if (device.watched && device.lastSeenMs !== -Infinity)
      this.nextCheckMs = Math.min(this.nextCheckMs, device.lastSeenMs + device.minDeviceAbsentMs);
  }

  private watch(slot: SensorSlot): void {
    if (slot.watched || slot.selection.absenceRules.length === 0) return;
    slot.watched = true;
    this.watched.push(slot);
    if (slot.lastSeenMs !== -Infinity)
      this.nextCheckMs = Math.min(this.nextCheckMs, slot.lastSeenMs + slot.selection.minAbsentMs);
  }

  private relabel(deviceId: string, device: DeviceEntry, labels: Labels): void {
    device.labels = { ...labels };
    device.labelCount = Object.keys(device.labels).length;
    this.selectScoped(deviceId, device);
    for (const slot of Object.values(device.sensors)) {
      slot.labels = device.labels;
      const selection = this.rules.select(deviceId, slot.metric, device.labels);
      if (selection === slot.selection) continue;
      const old = slot.selection;
      slot.states = selection.rules.map((rule) => {
        const j = old.rules.indexOf(rule);
        return j >= 0 ? slot.states[j]! : initialState(rule);
      });
      slot.selection = selection;
      this.watch(slot);
    }
  }
}

function initialState(rule: CompiledRule): SeriesState {
  return rule.kind === 'threshold' ? INITIAL_THRESHOLD_STATE : INITIAL_ABSENCE_STATE;
}

function record(rule: CompiledRule, slot: SensorSlot, state: SeriesState): AlertStateRecord {
  const i = state.status === 'pending' ? slot.selection.rules.indexOf(rule) : -1;
  const pending = i >= 0 ? slot.pending?.[i] : undefined;
  return {
    v: ALERT_STATE_RECORD_VERSION,
    fingerprint: alertFingerprint(rule.name, slot.deviceId, slot.metric),
    rule: rule.name,
    deviceId: slot.deviceId,
    metric: slot.metric,
    status: state.status,
    sinceMs: state.sinceMs,
    ...('lastSeenMs' in state && state.lastSeenMs !== -Infinity ? { lastSeenMs: state.lastSeenMs } : {}),
    ...(pending !== undefined && pending.rule === rule ? { pendingWindow: pending.window } : {}),
  };
}

function pendingWindowOf(value: number, stats: WindowStats): PendingWindow {
  const { startMs, endMs, count, mean, median, min, max } = stats;
  return { value, startMs, endMs, count, mean, median, min, max };
}

function deviceSubject(rule: CompiledAbsenceRule, deviceId: string, device: DeviceEntry) {
  return { deviceId, metric: '' as const, labels: device.labels, fingerprint: deviceFingerprint(rule.name, deviceId) };
}

function deviceRecord(rule: CompiledAbsenceRule, deviceId: string, state: AbsenceState): AlertStateRecord {
  return {
    v: ALERT_STATE_RECORD_VERSION,
    fingerprint: deviceFingerprint(rule.name, deviceId),
    rule: rule.name,
    deviceId,
    scope: 'device',
    status: state.status,
    sinceMs: state.sinceMs,
    ...(state.lastSeenMs !== -Infinity ? { lastSeenMs: state.lastSeenMs } : {}),
  };
}

function seriesKey(rule: string, deviceId: string, metric: string): string {
  return `${rule}\u0000${deviceId}\u0000${metric}`;
}

/** The rule's statistic from a window's stats. */
export function statisticOf(stats: WindowStats, statistic: Statistic): number {
  switch (statistic) {
    case 'mean':
      return stats.mean;
    case 'median':
      return stats.median;
    case 'min':
      return stats.min;
    case 'max':
      return stats.max;
    case 'count':
      return stats.count;
    case 'stddev':
      return stats.stddev;
  }
}

/** Equal contents, without allocating (the common case: a device's labels do not change). */
function sameLabels(known: Labels, knownCount: number, labels: Labels): boolean {
  let count = 0;
  for (const key in labels) {
    if (known[key] !== labels[key]) return false;
    count++;
  }
  return count === knownCount;
}
