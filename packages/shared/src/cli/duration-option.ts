/**
 * A duration option: written with a unit (`30s`, `5m`, `1m30s`; a bare `0` is zero), from the flag or its
 * environment variable, in milliseconds. A bare number is refused ("needs a unit, e.g. 5s") instead of being
 * read as milliseconds, and help shows the default in the same form the user writes (`1s`, not 1000).
 */
import { formatDuration } from '../config/duration.js';
import { type CliOption, cliOption } from './cli-option.js';
import { durationText } from './value-parsers.js';

export interface DurationOptionSpec {
  readonly env?: string;
  /** Default in milliseconds. */
  readonly defaultMs?: number;
  /** Smallest accepted value in milliseconds (default 0). */
  readonly minMs?: number;
  readonly hidden?: boolean;
}

export function durationOption(flags: string, description: string, spec: DurationOptionSpec = {}): CliOption {
  return cliOption(flags, description, {
    parse: durationText(spec.minMs ?? 0),
    ...(spec.env ? { env: spec.env } : {}),
    ...(spec.defaultMs !== undefined
      ? { default: spec.defaultMs, defaultText: spec.defaultMs === 0 ? '0' : formatDuration(spec.defaultMs) }
      : {}),
    ...(spec.hidden ? { hidden: true } : {}),
  });
}
