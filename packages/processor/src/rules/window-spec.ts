/**
 * The window a rule evaluates, normalized from the rules file: a time window of `sizeMs` (optionally
 * evaluated once per `hopMs`) or the last `size` readings. `windowSpecKey` gives its canonical string
 * (`time:30s`, `time:30s,hop:5s`, `count:10`), which alerts carry in `window.spec`. `heldWindowKey` identifies
 * the window a shell keeps per sensor: the spec without its hop, because a hop changes when a rule looks at
 * the window, not what the window holds — so `time:30s` and `time:30s,hop:5s` share one window per sensor.
 */
import { formatDuration } from '@sensor-pipeline/shared/core';
import type { WindowOptions } from '../window/window-options.js';

export interface TimeWindowSpec {
  readonly kind: 'time';
  /** Readings with timestamp in (t − sizeMs, t], t = the sensor's newest timestamp. */
  readonly sizeMs: number;
  /**
   * Evaluate the rule once per hop instead of on every reading: on the first reading that moves the
   * sensor's event time into a new interval [k·hopMs, (k+1)·hopMs) (epoch-aligned). Absent: every reading.
   */
  readonly hopMs?: number;
}

export interface CountWindowSpec {
  readonly kind: 'count';
  /** The last `size` readings. */
  readonly size: number;
}

export type WindowSpec = TimeWindowSpec | CountWindowSpec;

/** `time:30s`, `time:30s,hop:5s`, `count:10`. Equal specs give equal keys. */
export function windowSpecKey(spec: WindowSpec): string {
  if (spec.kind === 'count') return `count:${spec.size}`;
  const size = `time:${formatDuration(spec.sizeMs)}`;
  return spec.hopMs === undefined ? size : `${size},hop:${formatDuration(spec.hopMs)}`;
}

/** `time:30s` for both `time:30s` and `time:30s,hop:5s`; `count:10`. Specs that hold the same readings give equal keys. */
export function heldWindowKey(spec: WindowSpec): string {
  return spec.kind === 'count' ? `count:${spec.size}` : `time:${formatDuration(spec.sizeMs)}`;
}

/**
 * What to configure the window engine with for this spec. The hop is not a window-engine option: the window
 * keeps sliding per reading and the rule engine evaluates once per hop.
 */
export function toWindowOptions(spec: WindowSpec, graceMs: number): WindowOptions {
  return spec.kind === 'time'
    ? { kind: 'time', sizeMs: spec.sizeMs, graceMs }
    : { kind: 'count', size: spec.size, graceMs };
}
