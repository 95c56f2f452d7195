/**
 * Absence of a label group of devices (`by: [site]`) or of the whole fleet (`scope: fleet`), judged over every
 * readings partition a processor instance owns: a site's devices hash to several partitions, so no one
 * partition's engine can tell that all of them went quiet. Pure; one tracker per instance, shared by the
 * partitions' rule engines (each joins as a {@link GroupMember} and leaves when its partition is revoked).
 *
 * - A group's newest reading is the newest of any of its devices on any member partition. A member that
 *   leaves takes its devices' readings with it (another instance now watches them).
 * - The clock is the slowest member's event clock minus `grace` — like a Flink watermark over several
 *   inputs: a partition still catching up on a backlog (or being rebuilt, at −∞ until its first live
 *   reading) holds every group back, so a catch-up never makes a group look silent. Idle partitions advance
 *   their clocks with the wall clock (the shell decides when), so a silent fleet is reported while it lasts;
 *   when readings resume dated behind that, the partition's clock is their event time again (see
 *   PartitionPipeline), so a fast run or a backfill on one partition is not judged on another's wall clock.
 * - FIRING when clock − newest > absent; startsAt = newest + absent, so the event id depends on the readings
 *   only, never on when the check ran. RESOLVED by the group's next reading (never a FIRING at that moment:
 *   the reading is counted before any check). Both go out with the partition whose check or reading caused
 *   them, and their state record goes to that partition's state topic partition; `restore` merges the
 *   records found in any member's state partition (the newest change of a series wins).
 * - Not rebuilt by a rewind: when an exactly-once transaction aborts, its partitions' engines are rebuilt
 *   from Kafka, but a series here keeps the state the aborted transaction gave it.
 */
import type { Alert } from '@sensor-pipeline/shared/core';
import { absenceOnReading, absenceOnTick } from './absence-state-machine.js';
import { groupFingerprint } from './alert-ids.js';
import { type AbsenceState, INITIAL_ABSENCE_STATE } from './alert-state.js';
import { ALERT_STATE_RECORD_VERSION, type AlertStateRecord } from './alert-state-record.js';
import { buildAbsenceAlert } from './build-alert.js';
import type { CompiledAbsenceRule } from './compile-rules.js';

type Labels = Readonly<Record<string, string>>;

/** One state change of a group or fleet series (the same shape as the engine's `RuleTransition`). */
export interface GroupTransition {
  readonly alert: Alert | undefined;
  readonly state: AlertStateRecord;
}

/** A partition's share of the tracker: its event clock, and the devices' readings it has seen. */
export class GroupMember {
  /**
   * The partition's event clock (its readings' watermark, or the wall clock while idle); −∞ until known. It goes
   * back when readings resume behind where the idle clock got to, and holds the groups back with it.
   */
  clockMs = -Infinity;
}

/** One group (or the fleet) of one rule. */
export class GroupSeries {
  state: AbsenceState = INITIAL_ABSENCE_STATE;
  /** Newest reading per member partition. */
  readonly seen = new Map<GroupMember, number>();

  constructor(
    readonly rule: CompiledAbsenceRule,
    readonly fingerprint: string,
    /** The group's labels in `by` order (empty for the fleet). */
    readonly group: readonly (readonly [string, string])[],
    readonly labels: Labels,
  ) {}

  /** Newest reading of any device of the group on an active member; −∞ when none. */
  get lastSeenMs(): number {
    let newest = -Infinity;
    for (const ms of this.seen.values()) if (ms > newest) newest = ms;
    return newest;
  }
}

export class GroupAbsenceTracker {
  private readonly members = new Set<GroupMember>();
  private readonly series = new Map<string, GroupSeries>();

  constructor(readonly graceMs: number) {}

  /** A partition's engine joins (on assignment, before it restores or replays). */
  join(): GroupMember {
    const member = new GroupMember();
    this.members.add(member);
    return member;
  }

  /** The partition was revoked (or dropped to be rebuilt): its clock and its devices' readings no longer count. */
  leave(member: GroupMember): void {
    if (!this.members.delete(member)) return;
    for (const s of this.series.values()) s.seen.delete(member);
  }

  /** The series of `rule` the device (with these labels) belongs to; undefined when it lacks a `by` label. */
  seriesOf(rule: CompiledAbsenceRule, labels: Labels): GroupSeries | undefined {
    const group: [string, string][] = [];
    for (const label of rule.by) {
      const value = labels[label];
      if (value === undefined) return undefined;
      group.push([label, value]);
    }
    const scope = rule.scope === 'fleet' ? 'fleet' : 'group';
    const fingerprint = groupFingerprint(rule.name, scope, group);
    let s = this.series.get(fingerprint);
    if (s === undefined) {
      s = new GroupSeries(rule, fingerprint, group, Object.fromEntries(group));
      this.series.set(fingerprint, s);
    }
    return s;
  }

  /** A reading of a device of the series, on `member`'s partition: resolves a firing series (evaluate: true). */
  observe(member: GroupMember, s: GroupSeries, timestampMs: number, evaluate: boolean): GroupTransition | undefined {
    const prev = s.seen.get(member);
    if (prev === undefined || timestampMs > prev) s.seen.set(member, timestampMs);
    if (!evaluate) return undefined;
    const before = s.state;
    const next = absenceOnReading(before, timestampMs);
    if (next === before) return undefined;
    s.state = next;
    return {
      alert: buildAbsenceAlert({
        rule: s.rule,
        subject: this.subject(s),
        status: 'RESOLVED',
        lastSeenMs: before.lastSeenMs,
        atMs: timestampMs,
        startsAtMs: before.sinceMs,
        endsAtMs: next.sinceMs,
      }),
      state: this.record(s),
    };
  }

  /** The slowest active member's clock minus grace: the event time every member has reached. */
  clockMs(): number {
    let slowest = Infinity;
    for (const m of this.members) if (m.clockMs < slowest) slowest = m.clockMs;
    return slowest === Infinity ? -Infinity : slowest - this.graceMs;
  }

  /**
   * Fires the series silent for longer than their `absent` on the instance's clock. Only series with a device
   * seen on an active member are judged (a restored series nobody reports for is not tracked, like a sensor).
   * O(series); called once per batch and per idle step, not per reading.
   */
  tick(): GroupTransition[] {
    const clockMs = this.clockMs();
    const out: GroupTransition[] = [];
    if (clockMs === -Infinity) return out;
    for (const s of this.series.values()) {
      if (s.seen.size === 0) continue;
      const lastSeenMs = s.lastSeenMs;
      const prev = s.state;
      const next = absenceOnTick(prev, lastSeenMs, clockMs, s.rule.absentMs);
      if (next === prev) continue;
      s.state = next;
      out.push({
        alert: buildAbsenceAlert({
          rule: s.rule,
          subject: this.subject(s),
          status: 'FIRING',
          lastSeenMs,
          atMs: clockMs,
          startsAtMs: next.sinceMs,
          endsAtMs: null,
        }),
        state: this.record(s),
      });
    }
    return out;
  }

  /**
   * Puts a persisted group or fleet record back (from any member's state partition). The series' newest
   * change wins: a series changes at increasing event times, and at equal times `ok` is the later change.
   * Returns false when the record does not fit the rule (then the caller reports it ignored).
   */
  restore(rule: CompiledAbsenceRule, r: AlertStateRecord): boolean {
    if (r.status === 'pending' || (r.scope ?? 'sensor') !== rule.scope) return false;
    const group = r.group ?? [];
    if (group.length !== rule.by.length || group.some(([label], i) => label !== rule.by[i])) return false;
    const s = this.seriesOf(rule, Object.fromEntries(group));
    if (s === undefined || s.fingerprint !== r.fingerprint) return false;
    const newer = r.sinceMs > s.state.sinceMs || (r.sinceMs === s.state.sinceMs && r.status === 'ok');
    if (newer) {
      const lastSeenMs = r.lastSeenMs ?? (r.status === 'firing' ? r.sinceMs - rule.absentMs : -Infinity);
      s.state = { status: r.status === 'firing' ? 'firing' : 'ok', sinceMs: r.sinceMs, lastSeenMs };
    }
    return true;
  }

  /** Every group or fleet series not in its initial state, as records. */
  snapshot(): AlertStateRecord[] {
    const records: AlertStateRecord[] = [];
    for (const s of this.series.values()) if (s.state.sinceMs !== -Infinity) records.push(this.record(s));
    return records;
  }

  /** Series firing now, by rule. */
  firingByRule(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const s of this.series.values()) {
      if (s.state.status === 'firing') counts.set(s.rule.name, (counts.get(s.rule.name) ?? 0) + 1);
    }
    return counts;
  }

  private subject(s: GroupSeries) {
    return { deviceId: '', metric: '' as const, labels: s.labels, fingerprint: s.fingerprint };
  }

  private record(s: GroupSeries): AlertStateRecord {
    const { state } = s;
    return {
      v: ALERT_STATE_RECORD_VERSION,
      fingerprint: s.fingerprint,
      rule: s.rule.name,
      deviceId: '',
      scope: s.rule.scope === 'fleet' ? 'fleet' : 'group',
      ...(s.rule.scope === 'group' ? { group: s.group } : {}),
      status: state.status,
      sinceMs: state.sinceMs,
      ...(state.lastSeenMs !== -Infinity ? { lastSeenMs: state.lastSeenMs } : {}),
    };
  }
}
