/**
 * A naive, obviously-correct evaluator of the default alert rules (as the processor is specified to apply
 * them), for checking offline which alerts a generated stream should raise: per sensor, a time window
 * (t − W, t] on event time with t the newest timestamp seen, the mean compared with a threshold, hysteresis
 * on clearing, an optional `for` duration, and a silence rule on the fleet's event-time clock. The rules and
 * their thresholds come from config/rules.yaml, parsed here with the `yaml` package (the simulator does not
 * depend on the processor, whose loader would otherwise read it).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseDuration } from '@sensor-pipeline/shared';
import { parse } from 'yaml';

export interface Reading {
  readonly deviceId: string;
  readonly metric: string;
  readonly value: number;
  readonly timestamp: number;
}

export interface ThresholdRule {
  readonly name: string;
  readonly metric: string;
  readonly windowMs: number;
  readonly op: 'above' | 'below';
  readonly threshold: number;
  /** Once firing, resolves only past this (hysteresis); undefined: as soon as the condition stops holding. */
  readonly clear: number | undefined;
  readonly forMs: number;
}

export interface AlertEvent {
  readonly rule: string;
  readonly deviceId: string;
  readonly status: 'FIRING' | 'RESOLVED';
  readonly atMs: number;
}

const RULES_FILE = fileURLToPath(new URL('../../../../config/rules.yaml', import.meta.url));

/** A rule of config/rules.yaml as written there (the fields this reference reads). */
interface RuleEntry {
  readonly name?: unknown;
  readonly metric?: unknown;
  readonly window?: unknown;
  readonly statistic?: unknown;
  readonly above?: unknown;
  readonly below?: unknown;
  readonly clear?: unknown;
  readonly for?: unknown;
  readonly absent?: unknown;
  readonly scope?: unknown;
  readonly by?: unknown;
  readonly devices?: unknown;
}

/**
 * The default rules, read from config/rules.yaml itself (the file the processor runs with), so a change of
 * a threshold there is a change here too. Throws on a rule this reference cannot evaluate (another statistic,
 * a count or hopping window, a device selector), rather than checking the stream against something else.
 */
export function loadDefaultRules(file = RULES_FILE): { rules: ThresholdRule[]; silenceMs: number } {
  const doc = parse(readFileSync(file, 'utf8')) as { rules?: RuleEntry[] };
  const rules: ThresholdRule[] = [];
  const silences: number[] = [];
  for (const entry of doc.rules ?? []) {
    const name = String(entry.name);
    const refuse = (why: string): never => {
      throw new Error(`${file}: rule ${name}: ${why} — the reference evaluator in test/support cannot model it`);
    };
    if (entry.devices !== undefined) refuse('a device selector');
    if (entry.absent !== undefined) {
      if (entry.metric !== undefined) refuse('an absence rule for one metric');
      // a whole site or fleet silent: not modelled here (checked against the processor itself instead);
      // device silence is this reference's per-sensor silence collapsed per device
      if (entry.by !== undefined || entry.scope === 'group' || entry.scope === 'fleet') continue;
      silences.push(parseDuration(entry.absent as string));
      continue;
    }
    if (entry.statistic !== 'mean') refuse(`statistic ${String(entry.statistic)}`);
    if (typeof entry.window !== 'string') refuse('a count or hopping window');
    const op = entry.above !== undefined ? 'above' : 'below';
    const threshold = Number(entry[op]);
    rules.push({
      name,
      metric: String(entry.metric),
      windowMs: parseDuration(entry.window as string),
      op,
      threshold,
      clear: entry.clear === undefined ? undefined : Number(entry.clear),
      forMs: entry.for === undefined ? 0 : parseDuration(entry.for as string),
    });
  }
  if (silences.length !== 1) throw new Error(`${file}: expected exactly one absence rule, found ${silences.length}`);
  return { rules, silenceMs: silences[0]! };
}

const defaults = loadDefaultRules();
export const DEFAULT_RULES: readonly ThresholdRule[] = defaults.rules;
export const SILENCE_MS = defaults.silenceMs;

interface RuleState {
  firing: boolean;
  pendingSinceMs: number | undefined;
}

export function evaluateRules(
  readings: Iterable<Reading>,
  rules: readonly ThresholdRule[] = DEFAULT_RULES,
): AlertEvent[] {
  const events: AlertEvent[] = [];
  const longestMs = Math.max(0, ...rules.map((rule) => rule.windowMs));
  const windows = new Map<string, Reading[]>();
  const states = new Map<string, RuleState>();
  const lastSeen = new Map<string, number>(); // sensor -> newest timestamp
  const silent = new Set<string>();
  let clock = -Infinity;

  for (const r of readings) {
    const sensor = `${r.deviceId}|${r.metric}`;
    // silence: checked on the fleet clock before this reading counts
    clock = Math.max(clock, r.timestamp);
    for (const [s, last] of lastSeen) {
      if (!silent.has(s) && clock - last > SILENCE_MS) {
        silent.add(s);
        events.push({ rule: 'device-silent', deviceId: s.split('|')[0]!, status: 'FIRING', atMs: clock });
      }
    }
    if (silent.has(sensor)) {
      silent.delete(sensor);
      events.push({ rule: 'device-silent', deviceId: r.deviceId, status: 'RESOLVED', atMs: r.timestamp });
    }
    lastSeen.set(sensor, Math.max(lastSeen.get(sensor) ?? -Infinity, r.timestamp));

    const window = windows.get(sensor) ?? [];
    windows.set(sensor, window);
    window.push(r);
    const t = lastSeen.get(sensor)!;
    for (const rule of rules) {
      if (rule.metric !== r.metric) continue;
      const inWindow = window.filter((w) => w.timestamp > t - rule.windowMs && w.timestamp <= t);
      const mean = inWindow.reduce((sum, w) => sum + w.value, 0) / inWindow.length;
      const key = `${rule.name}|${sensor}`;
      const state = states.get(key) ?? { firing: false, pendingSinceMs: undefined };
      states.set(key, state);
      const holds = rule.op === 'above' ? mean > rule.threshold : mean < rule.threshold;
      const clears = rule.clear === undefined ? !holds : rule.op === 'above' ? mean < rule.clear : mean > rule.clear;
      if (!state.firing) {
        if (!holds) state.pendingSinceMs = undefined;
        else {
          state.pendingSinceMs ??= t;
          if (t - state.pendingSinceMs >= rule.forMs) {
            state.firing = true;
            state.pendingSinceMs = undefined;
            events.push({ rule: rule.name, deviceId: r.deviceId, status: 'FIRING', atMs: t });
          }
        }
      } else if (clears) {
        state.firing = false;
        events.push({ rule: rule.name, deviceId: r.deviceId, status: 'RESOLVED', atMs: t });
      }
    }
    // keep windows bounded by the longest rule window
    while (window.length > 0 && window[0]!.timestamp <= t - longestMs) window.shift();
  }
  return events;
}
