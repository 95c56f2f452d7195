/**
 * Test helpers for the rules: a naive window (filter, sort, sum) standing in for the window engine, and a
 * driver that feeds readings to a RuleEngine the way the processor's shell does.
 */
import type { Alert, Metric } from '@sensor-pipeline/shared';
import type { RuleEngine, RuleTransition } from '../../src/rules/rule-engine.js';
import type { WindowSpec } from '../../src/rules/window-spec.js';
import type { WindowStats } from '../../src/window/window-stats.js';

export interface TestReading {
  readonly deviceId: string;
  readonly metric: Metric;
  readonly t: number;
  readonly v: number;
  readonly labels?: Readonly<Record<string, string>>;
}

/** Stats of `values` (oldest first) by definition. */
export function statsOf(values: readonly number[], startMs: number, endMs: number): WindowStats {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  const mean = sorted.reduce((s, v) => s + v, 0) / n;
  const median = n % 2 === 1 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
  const stddev = Math.sqrt(sorted.reduce((s, v) => s + (v - mean) ** 2, 0) / n);
  return { count: n, mean, median, min: sorted[0]!, max: sorted[n - 1]!, stddev, startMs, endMs };
}

/** The stats of `spec` over one sensor's readings `history` (in arrival order) right after the last one. */
export function naiveWindow(history: readonly { t: number; v: number }[], spec: WindowSpec): WindowStats {
  const endMs = Math.max(...history.map((r) => r.t));
  if (spec.kind === 'time') {
    const inside = history.filter((r) => r.t > endMs - spec.sizeMs && r.t <= endMs);
    return statsOf(
      inside.map((r) => r.v),
      endMs - spec.sizeMs,
      endMs,
    );
  }
  const inside = history.slice(-spec.size);
  return statsOf(
    inside.map((r) => r.v),
    Math.min(...inside.map((r) => r.t)),
    endMs,
  );
}

export interface Driver {
  /** Processes one reading like the shell (observe, evaluate each window, tick); returns its transitions. */
  process(reading: TestReading): RuleTransition[];
  /** A replayed reading during warm-up: history and event time only. */
  warm(reading: TestReading): void;
}

/** Drives `engine` with naive windows per sensor; ticks with the newest timestamp seen (the watermark). */
export function driver(engine: RuleEngine): Driver {
  const history = new Map<string, { t: number; v: number }[]>();
  let watermarkMs = -Infinity;
  const remember = (r: TestReading) => {
    const key = `${r.deviceId}|${r.metric}`;
    const list = history.get(key) ?? [];
    list.push({ t: r.t, v: r.v });
    history.set(key, list);
    watermarkMs = Math.max(watermarkMs, r.t);
    return list;
  };
  return {
    process(r) {
      const list = remember(r);
      const sensor = engine.sensor(r.deviceId, r.metric, r.labels ?? {});
      const out = [...engine.observe(sensor, r.t)];
      sensor.windows.forEach((spec, i) => {
        out.push(...engine.evaluate(sensor, i, naiveWindow(list, spec)));
      });
      out.push(...engine.tick(watermarkMs));
      return out;
    },
    warm(r) {
      remember(r);
      engine.warm(engine.sensor(r.deviceId, r.metric, r.labels ?? {}), r.t);
    },
  };
}

export function alertsOf(transitions: readonly RuleTransition[]): Alert[] {
  return transitions.flatMap((t) => (t.alert ? [t.alert] : []));
}

/** A compact view of alerts for exact comparisons: `FIRING rule device/metric startsAt[-endsAt]`. */
export function brief(alerts: readonly Alert[]): string[] {
  return alerts.map(
    (a) => `${a.status} ${a.rule} ${a.deviceId}/${a.metric} ${a.startsAt}${a.endsAt === null ? '' : `-${a.endsAt}`}`,
  );
}
