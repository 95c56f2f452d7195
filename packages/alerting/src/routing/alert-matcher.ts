/**
 * A route's `match` block compiled to a predicate, pure. Every field is a glob or a list of globs
 * (picomatch; `*` stops at `/`, `**` crosses it, so `site-a/*` selects the devices of site a); a field
 * matches when any of its patterns matches, and the block matches when every given field does. An empty
 * block matches every alert. A label pattern never matches an alert without that label.
 */

import type { Alert } from '@sensor-pipeline/shared';
import picomatch from 'picomatch';

export interface AlertMatch {
  readonly severity?: readonly string[];
  /** FIRING or RESOLVED. */
  readonly status?: readonly string[];
  readonly rule?: readonly string[];
  readonly device?: readonly string[];
  readonly metric?: readonly string[];
  readonly labels?: Readonly<Record<string, readonly string[]>>;
}

export type AlertPredicate = (alert: Alert) => boolean;

const GLOB_OPTIONS = { dot: true, nocase: false } as const;

/** Throws a RangeError naming the bad pattern when a glob does not compile. */
export function compileMatch(match: AlertMatch): AlertPredicate {
  const checks: AlertPredicate[] = [];
  const field = (patterns: readonly string[] | undefined, read: (alert: Alert) => string): void => {
    if (!patterns || patterns.length === 0) return;
    const test = glob(patterns);
    checks.push((alert) => test(read(alert)));
  };
  field(match.severity, (a) => a.severity);
  field(
    match.status?.map((s) => s.toUpperCase()),
    (a) => a.status,
  );
  field(match.rule, (a) => a.rule);
  field(match.device, (a) => a.deviceId);
  field(match.metric, (a) => a.metric);
  for (const [name, patterns] of Object.entries(match.labels ?? {})) {
    const test = glob(patterns);
    checks.push((alert) => {
      const value = alert.labels[name];
      return value !== undefined && test(value);
    });
  }
  if (checks.length === 0) return () => true;
  return (alert) => checks.every((check) => check(alert));
}

/** A matcher for one or more globs; exposed for config validation. */
export function glob(patterns: readonly string[]): (value: string) => boolean {
  for (const pattern of patterns) {
    try {
      picomatch.makeRe(pattern, GLOB_OPTIONS);
    } catch (err) {
      throw new RangeError(`invalid glob "${pattern}": ${(err as Error).message}`);
    }
  }
  const literal = patterns.every((p) => !/[*?[\]{}()!+@]/.test(p));
  if (literal) {
    const set = new Set(patterns);
    return (value) => set.has(value);
  }
  const isMatch = picomatch([...patterns], GLOB_OPTIONS);
  return (value) => isMatch(value);
}
