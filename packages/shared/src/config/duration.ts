/**
 * Human durations in config files: `500ms`, `30s`, `5m`, `1h`, `1d`, or compound `1m30s`; a bare number is
 * milliseconds. Everything downstream works in milliseconds (`...Ms` names).
 */
import { z } from 'zod';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;

/** Parses a duration to milliseconds; throws a RangeError saying what was expected. */
export function parseDuration(input: string | number): number {
  if (typeof input === 'number') {
    if (!Number.isFinite(input) || input < 0) throw new RangeError(`expected a non-negative duration, got ${input}`);
    return input;
  }
  const text = input.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
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
  return total;
}

/** Renders milliseconds compactly (60000 → "1m", 1500 → "1500ms"), for window specs and logs. */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1_000],
  ] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/** A zod schema for a duration field: accepts `30s`-style strings or milliseconds, yields milliseconds. */
export function durationMs(options: { min?: number } = {}) {
  const min = options.min ?? 0;
  return z.union([z.number(), z.string()]).transform((value, ctx) => {
    let ms: number;
    try {
      ms = parseDuration(value);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
      return z.NEVER;
    }
    if (ms < min) {
      ctx.addIssue({
        code: 'custom',
        message: `expected a duration of at least ${formatDuration(min)}, got ${formatDuration(ms)}`,
      });
      return z.NEVER;
    }
    return ms;
  });
}
