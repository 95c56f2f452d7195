/**
 * A flag that may be given more than once (`--match a --match b`); its value is the list in command-line
 * order, undefined when it is not given. Repeatable flags have no environment variable.
 */
import { CliOption } from './cli-option.js';

export function repeatableOption(flags: string, description: string): CliOption {
  return new CliOption(flags, description).argParser((value: string, previous: string[] | undefined) => [
    ...(previous ?? []),
    value,
  ]);
}
