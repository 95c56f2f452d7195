/**
 * Glob syntax checks for config files. picomatch compiles almost anything — `site-[a/**` becomes a pattern
 * with a literal `[` that silently matches nothing — so a selector with an unclosed bracket, brace or
 * extglob parenthesis is refused here, with the character at fault, before a service starts with it.
 */
import { z } from 'zod';

/** Longest glob a config file may hold. */
export const MAX_GLOB_LENGTH = 1_000;

/** What is wrong with `pattern` as a glob, or undefined when it is well formed. */
export function checkGlob(pattern: string): string | undefined {
  if (pattern.length === 0) return 'a glob cannot be empty';
  if (pattern.length > MAX_GLOB_LENGTH) return `a glob of at most ${MAX_GLOB_LENGTH} characters, got ${pattern.length}`;
  const open: { char: string; at: number }[] = [];
  const closing: Record<string, string> = { '{': '}', '(': ')' };
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\') {
      if (i === pattern.length - 1) return `ends with a lone "\\" (write "\\\\" for a literal backslash)`;
      i++;
    } else if (c === '[') {
      const end = classEnd(pattern, i);
      if (end < 0) return `"[" at character ${i + 1} is never closed by "]" (write "\\[" for a literal bracket)`;
      i = end;
    } else if (c === '{' || c === '(') {
      open.push({ char: c, at: i });
    } else if (c === '}' || c === ')') {
      const last = open.pop();
      if (!last || closing[last.char] !== c) {
        return `"${c}" at character ${i + 1} closes nothing${last ? ` (the "${last.char}" at character ${last.at + 1} needs "${closing[last.char]}")` : ''} (write "\\${c}" for a literal one)`;
      }
    }
  }
  const unclosed = open.pop();
  if (unclosed) {
    return `"${unclosed.char}" at character ${unclosed.at + 1} is never closed by "${closing[unclosed.char]}" (write "\\${unclosed.char}" for a literal one)`;
  }
  return undefined;
}

/** Index of the `]` closing the class opened at `start`, or -1. A `]` right after `[`, `[!` or `[^` is literal. */
function classEnd(pattern: string, start: number): number {
  let i = start + 1;
  if (pattern[i] === '!' || pattern[i] === '^') i++;
  if (pattern[i] === ']') i++;
  for (; i < pattern.length; i++) {
    if (pattern[i] === '\\') i++;
    else if (pattern[i] === ']') return i;
  }
  return -1;
}

/** A zod schema for one glob: a non-empty, well-formed pattern. */
export function globField() {
  return z.string().superRefine((pattern, ctx) => {
    const problem = checkGlob(pattern);
    if (problem) ctx.addIssue({ code: 'custom', message: `invalid glob ${JSON.stringify(pattern)}: ${problem}` });
  });
}

/** A zod schema for a glob or a non-empty list of globs (any may match); yields a list. */
export function globList() {
  return z
    .union([z.string(), z.array(z.string())], {
      error: (issue) =>
        `expected a glob or a list of globs, got ${issue.input === null ? 'null' : Array.isArray(issue.input) ? 'a list' : typeof issue.input}`,
    })
    .transform((value, ctx) => {
      const list = typeof value === 'string' ? [value] : value;
      if (list.length === 0) {
        ctx.addIssue({ code: 'custom', message: 'an empty list of globs: give at least one, or remove the field' });
        return z.NEVER;
      }
      let ok = true;
      list.forEach((pattern, i) => {
        const problem = checkGlob(pattern);
        if (!problem) return;
        ok = false;
        ctx.addIssue({
          code: 'custom',
          path: typeof value === 'string' ? [] : [i],
          message: `invalid glob ${JSON.stringify(pattern)}: ${problem}`,
        });
      });
      return ok ? list : z.NEVER;
    });
}
