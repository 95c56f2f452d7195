/**
 * An option of a product CLI: a commander `Option` that also knows its environment variable. Help shows the
 * variable and the true default; the value comes from the flag, else the variable, else the default (flag
 * wins), and both pass through the same parser, so `--commit-interval 5` and `PROCESSOR_COMMIT_INTERVAL=5`
 * are refused alike. Boolean flags read `true/false/1/0/yes/no/on/off` from their variable (commander's own
 * `Option.env` sets a boolean whenever the variable exists, even to `false`, and reads only `process.env`).
 */
import { InvalidArgumentError, Option } from 'commander';

export interface CliOptionSpec<T> {
  /** Environment variable read when the flag is not given. */
  readonly env?: string;
  /** The value used when neither the flag nor the variable is given, already parsed. */
  readonly default?: T;
  /** How help shows the default when it differs from the value (e.g. `1s` for 1000 ms). */
  readonly defaultText?: string;
  /** Turns the text of the flag or variable into the value; a thrown error's message becomes the usage error. */
  readonly parse?: (text: string) => T;
  /** The only values accepted (help lists them). */
  readonly choices?: readonly string[];
  /** Left out of help (for flags kept only so that older command lines go on working). */
  readonly hidden?: boolean;
}

export class CliOption extends Option {
  /** The environment variable of this option, if any. */
  envName: string | undefined;
}

/** An option with its environment variable, default and parser; add it with `command.addOption(...)`. */
export function cliOption<T = string>(flags: string, description: string, spec: CliOptionSpec<T> = {}): CliOption {
  const option = new CliOption(flags, description);
  option.envName = spec.env;
  if (spec.choices) option.choices(spec.choices);
  if (spec.parse) {
    const parse = spec.parse;
    option.argParser((text: string) => {
      try {
        return parse(text);
      } catch (err) {
        throw new InvalidArgumentError((err as Error).message);
      }
    });
  }
  if (spec.default !== undefined) option.default(spec.default, spec.defaultText);
  if (spec.hidden) option.hideHelp();
  return option;
}

const TRUE = new Set(['true', '1', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'no', 'off']);

/** A boolean from an environment variable's text; throws a RangeError naming what is accepted. */
export function parseBooleanText(text: string): boolean {
  const t = text.trim().toLowerCase();
  if (TRUE.has(t)) return true;
  if (FALSE.has(t)) return false;
  throw new RangeError(`expected true or false, got "${text}"`);
}
