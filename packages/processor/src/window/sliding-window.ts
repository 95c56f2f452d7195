/**
 * `slidingWindow(options)`: the RxJS operator that keeps one {@link SensorWindow} per sensor key and turns
 * readings into window events. The math lives in the pure core; this file only routes readings by key,
 * decides when to emit, drops idle sensors and releases everything when the subscription ends.
 *
 * Emissions (in input order, synchronously, one per reading at most):
 * - `stats`: for every accepted reading — or, with `hopMs`, only for an accepted reading that moves its
 *   sensor's window end t across a hop boundary: a multiple k × hopMs with t_before < k × hopMs <= t_after
 *   ({@link crossesHopBoundary}, shared with the rule engine's hop windows).
 *   A sensor's first reading (fresh window) always emits; out-of-order readings and readings that do not
 *   advance t never do in hop mode. The stats describe the window after the reading (endMs = its timestamp,
 *   not the boundary).
 * - `late`: the reading was not placed (reason `beyond-grace` / `outside-window`); route it to the late topic.
 * - `invalid`: NaN/±Infinity value or impossible timestamp; dead-letter it.
 *
 * Idle sensors (`idleEvictMs`): the watermark is the newest timestamp accepted across all sensors. After an
 * accepted reading raises the watermark at least idleEvictMs / 2 past the previous sweep's, a sweep drops
 * every sensor whose newest timestamp is more than idleEvictMs behind the watermark. A silent sensor is thus
 * gone once it is between 1 and 1.5 × idleEvictMs behind; a sweep costs O(sensors) at most once per
 * idleEvictMs / 2 of event time. A dropped sensor that reports again starts with an empty window, and its
 * lateness is judged against that window. Choose idleEvictMs well above sizeMs + graceMs plus the event-time
 * skew between the partitions one consumer reads.
 *
 * State (the windows) is created per subscription and released on unsubscribe, complete and error; the
 * returned operator's `windowsHeld` reports how many windows its live subscriptions hold (for a gauge).
 */
import { Observable, type OperatorFunction } from 'rxjs';
import type { InvalidReason, LateReason } from './add-result.js';
import { checkReading } from './check-reading.js';
import { crossesHopBoundary } from './crosses-hop-boundary.js';
import { SensorWindow } from './sensor-window.js';
import { parseWindowOptions, type WindowOptions } from './window-options.js';
import { WindowOptionsError } from './window-options-error.js';
import type { WindowStats } from './window-stats.js';

/** The reading shape the operator reads without accessors. */
export interface WindowInput {
  /** The sensor: one (deviceId, metric) stream, e.g. `dev-1/temperature`. */
  readonly key: string;
  readonly timestampMs: number;
  readonly value: number;
}

/** How to read key, timestamp and value from another reading type. */
export interface WindowAccessors<T> {
  key(reading: T): string;
  timestampMs(reading: T): number;
  value(reading: T): number;
}

export type SlidingWindowOptions = WindowOptions & {
  /** Emit stats only when a sensor's window end crosses a multiple of hopMs (see the file comment). */
  readonly hopMs?: number;
  /** Drop sensors whose newest timestamp is this far behind the newest seen overall (see the file comment). */
  readonly idleEvictMs?: number;
};

export interface WindowStatsEvent<T> {
  readonly kind: 'stats';
  readonly key: string;
  readonly reading: T;
  readonly stats: WindowStats;
  /** Readings this sensor's time window evicted at `maxSamples` since its previous stats event. */
  readonly capacityEvicted: number;
}
export interface WindowLateEvent<T> {
  readonly kind: 'late';
  readonly key: string;
  readonly reading: T;
  readonly reason: LateReason;
}
export interface WindowInvalidEvent<T> {
  readonly kind: 'invalid';
  readonly key: string;
  readonly reading: T;
  readonly reason: InvalidReason;
}
export type WindowEvent<T> = WindowStatsEvent<T> | WindowLateEvent<T> | WindowInvalidEvent<T>;

export interface SlidingWindowOperator<T> extends OperatorFunction<T, WindowEvent<T>> {
  /** Sensor windows held by all live subscriptions of this operator. */
  readonly windowsHeld: number;
}

interface HeldWindow {
  readonly window: SensorWindow;
  reportedEvictions: number;
}

const inputAccessors: WindowAccessors<WindowInput> = {
  key: (reading) => reading.key,
  timestampMs: (reading) => reading.timestampMs,
  value: (reading) => reading.value,
};

/** Per-sensor sliding windows for readings shaped like {@link WindowInput}. Throws on bad options. */
export function slidingWindow<T extends WindowInput>(
  options: SlidingWindowOptions & { readonly accessors?: undefined },
): SlidingWindowOperator<T>;
/** Per-sensor sliding windows for any reading type, read through `accessors`. Throws on bad options. */
export function slidingWindow<T>(
  options: SlidingWindowOptions & { readonly accessors: WindowAccessors<T> },
): SlidingWindowOperator<T>;
export function slidingWindow<T>(
  options: SlidingWindowOptions & { readonly accessors?: WindowAccessors<T> | undefined },
): SlidingWindowOperator<T> {
  const windowOptions = parseWindowOptions(options);
  const hopMs = optionalPositive(options.hopMs, 'hopMs');
  const idleEvictMs = optionalPositive(options.idleEvictMs, 'idleEvictMs');
  const accessors = (options.accessors ?? inputAccessors) as WindowAccessors<T>;
  for (const name of ['key', 'timestampMs', 'value'] as const) {
    if (typeof accessors[name] !== 'function') {
      throw new WindowOptionsError(`accessors.${name}`, `expected a function, got ${typeof accessors[name]}`);
    }
  }
  const keyOf = accessors.key;
  const timestampOf = accessors.timestampMs;
  const valueOfItem = accessors.value;
  const sweepEveryMs = (idleEvictMs ?? 0) / 2;
  const live = new Set<Map<string, HeldWindow>>();

  const operator = (source: Observable<T>): Observable<WindowEvent<T>> =>
    new Observable<WindowEvent<T>>((subscriber) => {
      const windows = new Map<string, HeldWindow>();
      let watermarkMs = -Infinity;
      let lastSweepMs = -Infinity;
      live.add(windows);
      subscriber.add(() => {
        windows.clear();
        live.delete(windows);
      });

      const sweep = (limitMs: number): void => {
        lastSweepMs = watermarkMs;
        for (const [key, held] of windows) {
          if (watermarkMs - held.window.endMs > limitMs) windows.delete(key);
        }
      };

      return source.subscribe({
        next(reading) {
          if (subscriber.closed) return; // a synchronous source after an accessor error
          let key: string;
          let timestampMs: number;
          let value: number;
          try {
            key = keyOf(reading);
            timestampMs = timestampOf(reading);
            value = valueOfItem(reading);
          } catch (err) {
            subscriber.error(err);
            return;
          }
          let held = windows.get(key);
          if (held === undefined) {
            const invalid = checkReading(timestampMs, value);
            if (invalid !== undefined) {
              subscriber.next({ kind: 'invalid', key, reading, reason: invalid.reason });
              return;
            }
            held = { window: new SensorWindow(windowOptions), reportedEvictions: 0 };
            windows.set(key, held);
          }
          const window = held.window;
          const previousEndMs = window.endMs; // NaN for a fresh window
          const result = window.add(timestampMs, value);
          if (result.status === 'late') {
            subscriber.next({ kind: 'late', key, reading, reason: result.reason });
            return;
          }
          if (result.status === 'invalid') {
            subscriber.next({ kind: 'invalid', key, reading, reason: result.reason });
            return;
          }
          if (hopMs === undefined || crossesHopBoundary(previousEndMs, timestampMs, hopMs)) {
            const evictions = window.capacityEvictions;
            const capacityEvicted = evictions - held.reportedEvictions;
            held.reportedEvictions = evictions;
            subscriber.next({ kind: 'stats', key, reading, stats: window.stats(), capacityEvicted });
          }
          if (timestampMs > watermarkMs) {
            watermarkMs = timestampMs;
            if (idleEvictMs !== undefined && watermarkMs - lastSweepMs >= sweepEveryMs) sweep(idleEvictMs);
          }
        },
        error(err: unknown) {
          subscriber.error(err);
        },
        complete() {
          subscriber.complete();
        },
      });
    });

  Object.defineProperty(operator, 'windowsHeld', {
    enumerable: true,
    get(): number {
      let held = 0;
      for (const windows of live) held += windows.size;
      return held;
    },
  });
  return operator as SlidingWindowOperator<T>;
}

function optionalPositive(value: unknown, field: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new WindowOptionsError(field, `expected a finite number of milliseconds > 0, got ${String(value)}`);
  }
  return value;
}
