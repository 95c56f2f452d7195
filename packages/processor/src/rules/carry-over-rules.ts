/**
 * A rules reload for one partition's engine, pure: builds an engine of the new rules that carries over what
 * the old one held, and returns the transitions the change itself causes.
 * - A rule whose definition is unchanged (same name, every field equal) keeps its series' state.
 * - A removed or changed rule ends its series: a FIRING one gets a RESOLVED whose summary says so (see
 *   `reloadResolvedAlert`), and a firing or pending one an `ok` state record, so neither a restart nor a later
 *   return of the rule brings the old state back. A changed rule's series go on from that `ok` state; the
 *   series of a removed rule are dropped.
 * - A new rule's series start from the initial state. Every held sensor is carried over (labels, newest
 *   reading time), so absence rules judge silence from the readings already seen; the windows the shell holds
 *   are its business (a held window of the same `heldWindowKey` goes on serving the new rules).
 * When a series ends: at the sensor's newest reading (threshold rules; never before the series' last
 * change), or at `clockMs`, the partition's absence clock (firing absence rules, since the silence lasts).
 */
import type { Metric } from '@sensor-pipeline/shared/core';
import type { AlertStateRecord } from './alert-state-record.js';
import type { AlertSubject } from './build-alert.js';
import type { CompiledRule, CompiledRules } from './compile-rules.js';
import { type ReloadReason, reloadResolvedAlert } from './reload-resolved-alert.js';
import { type HeldSensor, RuleEngine, type RuleTransition } from './rule-engine.js';

/** How the rules of two files compare, by name (file order kept). */
export interface RulesChange {
  readonly added: readonly string[];
  readonly removed: readonly string[];
  readonly changed: readonly string[];
  readonly unchanged: readonly string[];
}

export interface CarryOver {
  /** An engine of the new rules holding what carried over; use it from now on. */
  readonly engine: RuleEngine;
  /** RESOLVED alerts and state records the reload causes: publish them like any other transitions. */
  readonly transitions: readonly RuleTransition[];
  readonly change: RulesChange;
}

/** Compares two compiled rule sets: a rule is unchanged when its whole definition is equal. */
export function diffRules(old: CompiledRules, next: CompiledRules): RulesChange {
  const added: string[] = [];
  const removed: string[] = [];
  const changed: string[] = [];
  const unchanged: string[] = [];
  for (const rule of next.rules) {
    const before = old.byName.get(rule.name);
    if (!before) added.push(rule.name);
    else if (sameDefinition(before, rule)) unchanged.push(rule.name);
    else changed.push(rule.name);
  }
  for (const rule of old.rules) if (!next.byName.has(rule.name)) removed.push(rule.name);
  return { added, removed, changed, unchanged };
}

/**
 * See the module comment. `clockMs`: the partition's absence clock (−Infinity when not known yet);
 * `createEngine`: makes the engine of the new rules (the shell's own options, e.g. shared trackers).
 */
export function carryOverRules(
  old: RuleEngine,
  next: CompiledRules,
  clockMs: number,
  createEngine: (rules: CompiledRules) => RuleEngine = (rules) => new RuleEngine(rules),
): CarryOver {
  const change = diffRules(old.rules, next);
  const ended = new Map<string, ReloadReason>([
    ...change.removed.map((name) => [name, 'removed'] as const),
    ...change.changed.map((name) => [name, 'changed'] as const),
  ]);
  const engine = createEngine(next);
  const held = new Map<string, HeldSensor>();
  /** Each held device's labels (its sensors share them), for the device series that end. */
  const deviceLabels = new Map<string, HeldSensor['labels']>();
  for (const s of old.heldSensors()) {
    const sensor = engine.sensor(s.deviceId, s.metric, s.labels);
    if (s.lastSeenMs !== -Infinity) engine.warm(sensor, s.lastSeenMs);
    held.set(sensorKey(s.deviceId, s.metric), s);
    if (!deviceLabels.has(s.deviceId)) deviceLabels.set(s.deviceId, s.labels);
  }
  const kept: AlertStateRecord[] = [];
  const transitions: RuleTransition[] = [];
  for (const r of old.snapshot()) {
    const reason = ended.get(r.rule);
    if (reason === undefined) {
      kept.push(r);
      continue;
    }
    if (r.status === 'ok') {
      if (reason === 'changed') kept.push(r); // the record in the topic stays as it is: keep them equal
      continue;
    }
    const rule = old.rules.byName.get(r.rule) as CompiledRule;
    const metric = isSensorSeries(r) ? r.metric : undefined;
    const sensor = metric === undefined ? undefined : held.get(sensorKey(r.deviceId, metric));
    const endsAtMs =
      rule.kind === 'absence' && r.status === 'firing'
        ? Math.max(r.sinceMs, clockMs)
        : Math.max(r.sinceMs, sensor?.lastSeenMs ?? -Infinity);
    const state: AlertStateRecord = { ...r, status: 'ok', sinceMs: endsAtMs };
    // device, group and fleet series (absence scopes) are named by their own fingerprint and labels
    const subject: AlertSubject =
      metric !== undefined
        ? { deviceId: r.deviceId, metric, labels: sensor?.labels ?? {} }
        : {
            deviceId: r.deviceId,
            metric: '',
            labels:
              r.scope === 'group'
                ? Object.fromEntries(r.group ?? [])
                : r.scope === 'device'
                  ? (deviceLabels.get(r.deviceId) ?? {})
                  : {},
            fingerprint: r.fingerprint,
          };
    const alert = r.status === 'firing' ? reloadResolvedAlert(rule, subject, r, endsAtMs, reason) : undefined;
    transitions.push({ alert, state });
    if (reason === 'changed') kept.push(state);
  }
  engine.restore(kept);
  return { engine, transitions, change };
}

/** A series of one sensor (deviceId, metric), as opposed to a device, group or fleet series of an absence scope. */
function isSensorSeries(r: AlertStateRecord): r is AlertStateRecord & { readonly metric: Metric } {
  return r.scope === undefined && r.metric !== undefined;
}

function sameDefinition(a: CompiledRule, b: CompiledRule): boolean {
  return stableJson(a.rule) === stableJson(b.rule);
}

/** JSON with object keys sorted, so equal definitions compare equal whatever their key order. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([x], [y]) => (x < y ? -1 : 1)))
      : v,
  );
}

function sensorKey(deviceId: string, metric: string): string {
  return `${deviceId}\u0000${metric}`;
}
