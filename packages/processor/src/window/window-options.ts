/**
 * What a per-sensor window is (time or count, grace for out-of-order readings, memory cap) and the one
 * place those options are checked. Durations are milliseconds here; config files go through the shared
 * `parseDuration` / `durationMs` first, so there is a single duration syntax in the project.
 */
import { WindowOptionsError } from './window-options-error.js';

/** Default cap on the readings a time window holds (memory bound per sensor). */
export const DEFAULT_MAX_SAMPLES = 10_000;
/** Largest count window / sample cap accepted; beyond this a per-sensor window is not a sensible design. */
export const MAX_WINDOW_SAMPLES = 1 << 24;

/** Readings with timestamp in (t − sizeMs, t], t = the newest timestamp accepted for the sensor. */
export interface TimeWindowOptions {
  readonly kind: 'time';
  readonly sizeMs: number;
  /** How far behind t an out-of-order reading may be and still be placed; default 0 (none). */
  readonly graceMs?: number;
  /** At most this many readings are held; beyond it the oldest are evicted and counted. Default 10_000. */
  readonly maxSamples?: number;
}

/** The last `size` readings in timestamp order (a `deque(maxlen=size)` when input is in order). */
export interface CountWindowOptions {
  readonly kind: 'count';
  readonly size: number;
  /** How far behind t an out-of-order reading may be and still be placed; default 0 (none). */
  readonly graceMs?: number;
}

export type WindowOptions = TimeWindowOptions | CountWindowOptions;

export type ResolvedTimeWindowOptions = Readonly<Required<TimeWindowOptions>>;
export type ResolvedCountWindowOptions = Readonly<Required<CountWindowOptions>>;
/** Options after validation, defaults filled in, frozen. */
export type ResolvedWindowOptions = ResolvedTimeWindowOptions | ResolvedCountWindowOptions;

const resolved = new WeakSet<object>();

/**
 * Validates window options and fills in defaults; throws a {@link WindowOptionsError} naming the field and
 * saying what was expected. Passing an object this function returned is free (it is recognised, not re-checked).
 */
export function parseWindowOptions(options: WindowOptions): ResolvedWindowOptions {
  if (typeof options === 'object' && options !== null && resolved.has(options)) {
    return options as ResolvedWindowOptions;
  }
  if (typeof options !== 'object' || options === null) {
    throw new WindowOptionsError(
      'window',
      `expected an object like { kind: 'time', sizeMs: 60_000 }, got ${String(options)}`,
    );
  }
  const graceMs = optionalNumber(options.graceMs, 'graceMs', 0);
  if (!Number.isFinite(graceMs) || graceMs < 0) {
    throw new WindowOptionsError(
      'graceMs',
      `expected a finite number of milliseconds >= 0, got ${String(options.graceMs)}`,
    );
  }
  let result: ResolvedWindowOptions;
  if (options.kind === 'time') {
    const { sizeMs } = options;
    if (typeof sizeMs !== 'number' || !Number.isFinite(sizeMs) || sizeMs <= 0) {
      throw new WindowOptionsError('sizeMs', `expected a finite number of milliseconds > 0, got ${String(sizeMs)}`);
    }
    const maxSamples = optionalNumber(options.maxSamples, 'maxSamples', DEFAULT_MAX_SAMPLES);
    checkSampleCount('maxSamples', maxSamples);
    result = Object.freeze({ kind: 'time', sizeMs, graceMs, maxSamples });
  } else if (options.kind === 'count') {
    const { size } = options;
    if (typeof size !== 'number') {
      throw new WindowOptionsError('size', `expected an integer number of readings >= 1, got ${String(size)}`);
    }
    checkSampleCount('size', size);
    result = Object.freeze({ kind: 'count', size, graceMs });
  } else {
    const kind: unknown = (options as { kind?: unknown }).kind;
    throw new WindowOptionsError('kind', `expected 'time' or 'count', got ${JSON.stringify(kind) ?? 'undefined'}`);
  }
  resolved.add(result);
  return result;
}

function optionalNumber(value: unknown, field: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number') {
    throw new WindowOptionsError(field, `expected a number, got ${typeof value} ${JSON.stringify(value)}`);
  }
  return value;
}

function checkSampleCount(field: string, value: number): void {
  if (!Number.isInteger(value) || value < 1 || value > MAX_WINDOW_SAMPLES) {
    throw new WindowOptionsError(field, `expected an integer from 1 to ${MAX_WINDOW_SAMPLES}, got ${value}`);
  }
}
