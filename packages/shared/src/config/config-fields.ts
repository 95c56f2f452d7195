/**
 * Field schemas shared by every config file (rules, alerting, scenario), so a number, a count, a switch, a
 * choice or a name is read the same way everywhere and every error says what was expected. Values written
 * as `${VAR}` arrive as strings, so numeric and boolean fields also accept their text form. Durations live
 * in `duration.ts` (`durationMs`), globs in `glob-syntax.ts`.
 */
import { z } from 'zod';

/** How an input is named in "got ..." parts of messages. */
export function describeInput(input: unknown): string {
  if (input === undefined) return 'nothing';
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'a list';
  if (typeof input === 'string') return JSON.stringify(input.length > 60 ? `${input.slice(0, 60)}…` : input);
  if (typeof input === 'number') return String(input);
  return typeof input;
}

function toNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '') return Number(value);
  return Number.NaN;
}

export interface NumberFieldOptions {
  readonly min?: number;
  readonly max?: number;
}

/** A finite number (or numeric text), optionally within [min, max]. */
export function numberField(options: NumberFieldOptions = {}) {
  const { min, max } = options;
  return z.unknown().transform((value, ctx) => {
    const n = toNumber(value);
    if (!Number.isFinite(n)) {
      ctx.addIssue({ code: 'custom', message: `expected a finite number, got ${describeInput(value)}` });
      return z.NEVER;
    }
    if ((min !== undefined && n < min) || (max !== undefined && n > max)) {
      const range =
        min !== undefined && max !== undefined
          ? `from ${min} to ${max}`
          : min !== undefined
            ? `of at least ${min}`
            : `of at most ${max}`;
      ctx.addIssue({ code: 'custom', message: `expected a number ${range}, got ${n}` });
      return z.NEVER;
    }
    return n;
  });
}

/** A whole number (or its text) within [min, max]: counts, sizes, limits. */
export function integerField(options: { readonly min: number; readonly max: number }) {
  const { min, max } = options;
  return z.unknown().transform((value, ctx) => {
    const n = toNumber(value);
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      ctx.addIssue({
        code: 'custom',
        message: `expected a whole number from ${min} to ${max}, got ${describeInput(value)}`,
      });
      return z.NEVER;
    }
    return n;
  });
}

/** `true`/`false` (or their text). */
export function booleanField() {
  return z.unknown().transform((value, ctx) => {
    if (value === true || value === 'true') return true;
    if (value === false || value === 'false') return false;
    ctx.addIssue({ code: 'custom', message: `expected true or false, got ${describeInput(value)}` });
    return z.NEVER;
  });
}

/**
 * One of a fixed set of words. With `field`, a missing value says which field is missing and what it may be.
 */
export function enumField<const T extends readonly [string, ...string[]]>(
  values: T,
  options: { readonly field?: string } = {},
) {
  const allowed = values.join(', ');
  return z.enum(values, {
    error: (issue) =>
      issue.input === undefined && options.field !== undefined
        ? `missing required field "${options.field}" (one of ${allowed})`
        : `expected one of ${allowed}, got ${describeInput(issue.input)}`,
  });
}

export interface StringFieldOptions {
  /** Fewest characters (default 0); 1 refuses an empty string. */
  readonly min?: number;
  /** Most characters: every string in a config has a bound. */
  readonly max: number;
  readonly pattern?: RegExp;
  /** What `pattern` allows, e.g. "lowercase letters, digits and dashes". */
  readonly patternMessage?: string;
}

/** Text with a length limit and optionally a pattern; messages say the limit and what is allowed. */
export function stringField(options: StringFieldOptions) {
  const { min = 0, max, pattern, patternMessage } = options;
  return z.string({ error: (issue) => `expected text, got ${describeInput(issue.input)}` }).superRefine((text, ctx) => {
    if (text.length < min) {
      ctx.addIssue({
        code: 'custom',
        message: min === 1 ? 'expected a non-empty text' : `expected at least ${min} characters, got ${text.length}`,
      });
    } else if (text.length > max) {
      ctx.addIssue({ code: 'custom', message: `expected at most ${max} characters, got ${text.length}` });
    } else if (pattern && !pattern.test(text)) {
      ctx.addIssue({ code: 'custom', message: patternMessage ?? `expected text matching ${pattern}` });
    }
  });
}
