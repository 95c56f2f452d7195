/**
 * A naive, obviously-correct evaluator of the default alert rules (as the processor is specified to apply
 * them), for checking offline which alerts a generated stream should raise: per sensor, a time window
 * (t − W, t] on event time with t the newest timestamp seen, the mean compared with a threshold, hysteresis
 * on clearing, an optional `for` duration, and a silence rule on the fleet's event-time clock.
 */
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
  readonly clear: number;
  readonly forMs: number;
}

export interface AlertEvent {
  readonly rule: string;
  readonly deviceId: string;
  readonly status: 'FIRING' | 'RESOLVED';
  readonly atMs: number;
}

export const DEFAULT_RULES: readonly ThresholdRule[] = [
  {
    name: 'temperature-high',
    metric: 'temperature',
    windowMs: 30_000,
    op: 'above',
    threshold: 80,
    clear: 75,
    forMs: 10_000,
  },
  { name: 'temperature-low', metric: 'temperature', windowMs: 30_000, op: 'below', threshold: 10, clear: 12, forMs: 0 },
  { name: 'cpu-high', metric: 'cpu', windowMs: 30_000, op: 'above', threshold: 90, clear: 80, forMs: 20_000 },
  { name: 'memory-high', metric: 'memory', windowMs: 60_000, op: 'above', threshold: 85, clear: 80, forMs: 0 },
];
export const SILENCE_MS = 30_000;

interface RuleState {
  firing: boolean;
  pendingSinceMs: number | undefined;
}

export function evaluateRules(
  readings: Iterable<Reading>,
  rules: readonly ThresholdRule[] = DEFAULT_RULES,
): AlertEvent[] {
  const events: AlertEvent[] = [];
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
      const clears = rule.op === 'above' ? mean < rule.clear : mean > rule.clear;
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
    while (window.length > 0 && window[0]!.timestamp <= t - 60_000) window.shift();
  }
  return events;
}
