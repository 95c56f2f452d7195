/**
 * Human durations: `500ms`, `30s`, `5m`, `1h`, `1d`, or compound `1m30s`. Everything downstream works in
 * milliseconds (`...Ms` names).
 *
 * Two entry points with one grammar: `parseDuration` for command-line flags and environment variables, and
 * the `durationMs` schema for config files (which adds an upper bound per field). Both refuse a bare number
 * (except 0) because `--commit-interval 5` or `window: 5` reads as five seconds or minutes to most people:
 * the message says it needs a unit.
 */
import { z } from 'zod';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;
const BARE_NUMBER = /^\d+(\.\d+)?$/;

/** What a config file may write for a duration; used in error messages. */
export const DURATION_UNITS_HINT = 'a number with a unit: ms, s, m, h or d (e.g. 500ms, 30s, 5m, 1h, 1d, 1m30s)';

/**
 * Parses a duration text to milliseconds (a number is taken as milliseconds already); a bare number in text
 * is refused unless it is 0. Throws a RangeError saying what was expected.
 */
export function parseDuration(input: string | number): number {
  if (typeof input === 'number') {
    if (!Number.isFinite(input) || input < 0) throw new RangeError(`expected a non-negative duration, got ${input}`);
    return input;
  }
  const text = input.trim();
  if (BARE_NUMBER.test(text)) {
    if (Number(text) === 0) return 0;
    throw new RangeError(`"${text}" needs a unit, e.g. ${text}s or ${text}ms (units: ms, s, m, h, d)`);
  }
  let total = 0;
  let consumed = 0;
  PART.lastIndex = 0;
  for (let m = PART.exec(text); m; m = PART.exec(text)) {
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    consumed = PART.lastIndex;
  }
  if (consumed === 0 || consumed !== text.length) {
    throw new RangeError(`expected a duration like 500ms, 30s, 5m, 1h or 1m30s, got "${input}"`);
  }
  if (!Number.isFinite(total)) throw new RangeError(`duration "${input}" is too large`);
  return total;
}

/** Renders milliseconds compactly (60000 → "1m", 1500 → "1500ms"), for window specs and logs. */
export function formatDuration(ms: number): string {
  const sign = ms < 0 ? '-' : '';
  const abs = Math.abs(ms);
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1_000],
  ] as const) {
    if (abs >= size && abs % size === 0) return `${sign}${abs / size}${unit}`;
  }
  return `${sign}${abs}ms`;
}

export interface DurationFieldOptions {
  /** Smallest accepted value, in milliseconds (default 0; for signed fields, the bound is on the magnitude). */
  readonly min?: number;
  /** Largest accepted value (magnitude for signed fields), in milliseconds. Every duration in a config has one. */
  readonly max: number;
  /** A leading `-` or `+` gives a direction (clock offsets); the result may be negative. */
  readonly signed?: boolean;
}

/**
 * A zod schema for a duration field of a config file: `30s`-style strings (or 0), bounded, yielding
 * milliseconds. Messages say what was expected: the units for a bare number, the bound when out of range.
 */
export function durationMs(options: DurationFieldOptions) {
  const min = options.min ?? 0;
  const { max } = options;
  const signedHint = options.signed ? ' (a leading - or + gives the direction)' : '';
  return z.union([z.number(), z.string()], { error: durationTypeMessage }).transform((value, ctx) => {
    const fail = (message: string) => {
      ctx.addIssue({ code: 'custom', message });
      return z.NEVER;
    };
    let text = typeof value === 'number' ? String(value) : value.trim();
    let sign = 1;
    if (options.signed && /^[+-]/.test(text)) {
      sign = text.startsWith('-') ? -1 : 1;
      text = text.slice(1).trim();
    }
    if (typeof value === 'number' && value < 0 && !options.signed) {
      return fail(`expected a non-negative duration, got ${value}`);
    }
    let ms: number;
    if (BARE_NUMBER.test(text) || typeof value === 'number') {
      if (Number(text) !== 0)
        return fail(
          `a bare number is not a duration: got ${typeof value === 'number' ? value : JSON.stringify(value)}, write it with a unit — ms, s, m, h or d (e.g. ${text}s or ${text}ms)${signedHint}`,
        );
      ms = 0; // the same in every unit
    } else {
      try {
        ms = parseDuration(text);
      } catch {
        return fail(`expected a duration like 500ms, 30s, 5m, 1h or 1m30s, got ${JSON.stringify(value)}${signedHint}`);
      }
    }
    if (ms > max) return fail(`expected a duration of at most ${formatDuration(max)}, got ${formatDuration(ms)}`);
    if (ms < min) return fail(`expected a duration of at least ${formatDuration(min)}, got ${formatDuration(ms)}`);
    return ms === 0 ? 0 : sign * ms;
  });
}

function durationTypeMessage(issue: { input?: unknown }): string {
  const input = issue.input;
  const got =
    input === undefined ? 'nothing' : input === null ? 'null' : Array.isArray(input) ? 'a list' : typeof input;
  return `expected a duration (${DURATION_UNITS_HINT}), got ${got}`;
}
