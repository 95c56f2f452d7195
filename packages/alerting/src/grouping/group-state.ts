/**
 * Alertmanager's aggregation groups as a pure state machine, time passed in: alerts routed to a receiver
 * are grouped by the values of its `group_by` labels (`['...']`: every label, so each series is its own
 * group; `[]`: one group for everything). A new group is notified `group_wait` after its first alert; from
 * then on it is looked at every `group_interval` and notified when something changed since the last
 * notification (a new firing alert, or one resolved) or, while alerts still fire, once `repeat_interval`
 * has passed. A notification carries every alert of the group; resolved alerts leave the group once they
 * were notified, and an empty group is gone.
 *
 * The shell calls `add` for each alert and `due(now)` when `nextDueMs()` comes. After a restart it puts
 * back what was already notified with `restore` (from the state topic, like Alertmanager's notification
 * log), so a replayed alert that was notified is recognised (`isNotified`), a group still firing repeats
 * on its old schedule, and only what changed is notified. `drop` forgets a series whose partition went to
 * another instance.
 */
import type { Alert } from '@sensor-pipeline/shared';
import { labelSetString } from '../format/format-alertmanager.js';

export interface GroupPolicy {
  /** Label names the groups are made of; `['...']` = all labels, `[]` = one group. */
  readonly by: readonly string[];
  readonly waitMs: number;
  readonly intervalMs: number;
  readonly repeatMs: number;
}

export interface GroupNotification {
  /** Alertmanager's `groupKey`: `{}:{label="value", ...}`. */
  readonly key: string;
  readonly labels: Readonly<Record<string, string>>;
  /**
   * Every alert of the group: firing first, then the newly resolved, each sorted by label set (as
   * Alertmanager sorts a group's alerts), so a notification's order does not depend on arrival or restart.
   */
  readonly alerts: readonly Alert[];
  /** Event ids this notification is the first to carry (their records finish with it). */
  readonly newEventIds: readonly string[];
  readonly atMs: number;
}

interface Group {
  readonly key: string;
  readonly labels: Record<string, string>;
  /** Latest alert per fingerprint. */
  readonly alerts: Map<string, Alert>;
  /** Event ids added since the last notification, with their fingerprints. */
  pending: { readonly eventId: string; readonly fingerprint: string }[];
  nextFlushMs: number;
  /** Fingerprints that were firing in the last notification, and when it went out. */
  notifiedFiring: Set<string>;
  notifiedAtMs: number | undefined;
}

/** The labels an alert is grouped by: its own labels plus alertname, severity, device, metric. */
export function groupingLabels(alert: Alert): Record<string, string> {
  return {
    ...alert.labels,
    alertname: alert.rule,
    severity: alert.severity,
    device: alert.deviceId,
    metric: alert.metric,
  };
}

export function groupKeyOf(labels: Readonly<Record<string, string>>): string {
  return `{}:${labelSetString(labels)}`;
}

export class GroupState {
  private readonly policy: GroupPolicy;
  private readonly groups = new Map<string, Group>();

  constructor(policy: GroupPolicy) {
    for (const [name, ms] of [
      ['waitMs', policy.waitMs],
      ['intervalMs', policy.intervalMs],
      ['repeatMs', policy.repeatMs],
    ] as const)
      if (!(ms >= 0)) throw new RangeError(`${name} must be ≥ 0, got ${ms}`);
    this.policy = policy;
  }

  get size(): number {
    return this.groups.size;
  }

  /** The key of the group `alert` belongs to, and that group's labels. */
  groupOf(alert: Alert): { readonly key: string; readonly labels: Record<string, string> } {
    const all = groupingLabels(alert);
    const labels: Record<string, string> = {};
    // an empty value is no label (a site or fleet alert has no device and no metric)
    const names = this.policy.by.includes('...') ? Object.keys(all) : this.policy.by;
    for (const name of names) if (all[name] !== undefined && all[name] !== '') labels[name] = all[name];
    return { key: groupKeyOf(labels), labels };
  }

  /** True when exactly this alert (same event id) is in its group and was notified already. */
  isNotified(alert: Alert): boolean {
    const group = this.groups.get(this.groupOf(alert).key);
    if (!group || group.alerts.get(alert.fingerprint)?.eventId !== alert.eventId) return false;
    return group.notifiedFiring.has(alert.fingerprint) && !group.pending.some((p) => p.eventId === alert.eventId);
  }

  /**
   * Puts back a firing alert that a notification at `notifiedAtMs` carried (read from the state topic after
   * a restart). A group made by it is looked at once `group_wait` has passed from `nowMs`, and not before
   * one `group_interval` after that notification; it repeats `repeat_interval` after it.
   */
  restore(alert: Alert, notifiedAtMs: number, nowMs: number): void {
    if (alert.status === 'RESOLVED') return;
    const { key, labels } = this.groupOf(alert);
    let group = this.groups.get(key);
    if (!group) {
      group = {
        key,
        labels,
        alerts: new Map(),
        pending: [],
        nextFlushMs: Math.max(notifiedAtMs + this.policy.intervalMs, nowMs + this.policy.waitMs),
        notifiedFiring: new Set(),
        notifiedAtMs,
      };
      this.groups.set(key, group);
    } else if (group.notifiedAtMs === undefined || notifiedAtMs > group.notifiedAtMs) {
      group.notifiedAtMs = notifiedAtMs;
    }
    if (group.alerts.has(alert.fingerprint)) return; // a newer alert of the series is here already
    group.alerts.set(alert.fingerprint, alert);
    group.notifiedFiring.add(alert.fingerprint);
  }

  /** Forgets a series (its partition moved to another instance); returns the event ids it had pending. */
  drop(fingerprint: string): string[] {
    const dropped: string[] = [];
    for (const group of [...this.groups.values()]) {
      if (!group.alerts.delete(fingerprint)) continue;
      group.notifiedFiring.delete(fingerprint);
      for (const p of group.pending) if (p.fingerprint === fingerprint) dropped.push(p.eventId);
      group.pending = group.pending.filter((p) => p.fingerprint !== fingerprint);
      if (group.alerts.size === 0) this.groups.delete(group.key);
    }
    return dropped;
  }

  /** Adds (or updates) an alert; returns its group's key. */
  add(alert: Alert, nowMs: number): string {
    const { key, labels } = this.groupOf(alert);
    let group = this.groups.get(key);
    if (!group) {
      group = {
        key,
        labels,
        alerts: new Map(),
        pending: [],
        nextFlushMs: nowMs + this.policy.waitMs,
        notifiedFiring: new Set(),
        notifiedAtMs: undefined,
      };
      this.groups.set(key, group);
    }
    group.alerts.set(alert.fingerprint, alert);
    group.pending.push({ eventId: alert.eventId, fingerprint: alert.fingerprint });
    return key;
  }

  /** When the next group is due (epoch ms), or undefined with no groups. */
  nextDueMs(): number | undefined {
    let next: number | undefined;
    for (const g of this.groups.values()) if (next === undefined || g.nextFlushMs < next) next = g.nextFlushMs;
    return next;
  }

  /** The notifications due at `nowMs`; each due group's next look is one group_interval later. */
  due(nowMs: number): GroupNotification[] {
    const out: GroupNotification[] = [];
    for (const group of [...this.groups.values()]) {
      if (group.nextFlushMs > nowMs) continue;
      group.nextFlushMs = nowMs + this.policy.intervalMs;
      const sorted = sortByLabels([...group.alerts.values()]);
      const firing = sorted.filter((a) => a.status !== 'RESOLVED');
      const resolved = sorted.filter((a) => a.status === 'RESOLVED');
      const pendingIds = new Set(group.pending.map((p) => p.eventId)); // a site outage resolves hundreds at once
      const changed =
        firing.some((a) => !group.notifiedFiring.has(a.fingerprint)) ||
        resolved.some((a) => group.notifiedFiring.has(a.fingerprint) || pendingIds.has(a.eventId));
      const repeat =
        firing.length > 0 && group.notifiedAtMs !== undefined && nowMs - group.notifiedAtMs >= this.policy.repeatMs;
      if (changed || repeat || group.pending.length > 0) {
        out.push({
          key: group.key,
          labels: { ...group.labels },
          alerts: [...firing, ...resolved],
          newEventIds: group.pending.map((p) => p.eventId),
          atMs: nowMs,
        });
        group.pending = [];
        group.notifiedFiring = new Set(firing.map((a) => a.fingerprint));
        group.notifiedAtMs = nowMs;
      }
      for (const a of resolved) group.alerts.delete(a.fingerprint);
      if (group.alerts.size === 0) this.groups.delete(group.key);
    }
    return out;
  }
}

/** Alerts in the order of their label sets (`{a="1", b="2"}` strings), stable. */
function sortByLabels(alerts: readonly Alert[]): Alert[] {
  const keyed = alerts.map((alert) => ({ alert, key: labelSetString(groupingLabels(alert)) }));
  keyed.sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
  return keyed.map((k) => k.alert);
}
