/**
 * The one way the product's CLIs are built: a commander program (`createCliProgram`) whose every command and
 * subcommand answers `-h/--help` and `--version`, refuses an unknown flag with a "did you mean" suggestion,
 * reads each option's environment variable (see `cliOption`) and is run by `runCli`, which turns every
 * command-line mistake into the shared `UsageError` semantics: the message on stderr, exit status 2, before
 * anything touches Kafka.
 *
 * A package adds its own subcommands to a program with commander's ordinary API; settings, `--version` and
 * the environment handling come along by themselves:
 *
 * ```ts
 * const program = createCliProgram({ name: 'processor', version, description: '...' });
 * program.addOption(cliOption('--rules <file>', 'alert rules', { env: 'RULES_FILE', default: 'config/rules.yaml' }));
 * program.action(async (options) => { ... });            // the command itself (`processor --rules x`)
 * program
 *   .command('test-rules')                               // a subcommand: also --help, --version, env, suggestions
 *   .argument('<file...>', 'rule test files')
 *   .addOption(durationOption('--timeout <duration>', 'how long', { default: 30_000, env: 'X_TIMEOUT' }))
 *   .action(async (files, options) => 0);                // a number returned is the exit status
 * await runCli(program);
 * ```
 *
 * Options are positional: a program's own options come before a subcommand's name, so a subcommand may have
 * an option of the same name (`processor backtest --rules FILE`). An action may throw `UsageError` for a
 * value that only it can check; a returned number becomes the exit status, `undefined` leaves the process to
 * end by itself (services keep running until a signal).
 */
import { Command, Help } from 'commander';
import { UsageError } from '../errors/usage-error.js';
import { CliOption, parseBooleanText } from './cli-option.js';

export type CliEnv = Readonly<Record<string, string | undefined>>;

export interface CliProgramOptions {
  /** The command's name, as the user types it. */
  readonly name: string;
  /** The package's version, printed by `--version` (see `packageVersion`). */
  readonly version: string;
  readonly description: string;
  /** Where environment variables come from (default `process.env`; tests pass their own). */
  readonly env?: CliEnv;
}

export class CliCommand extends Command {
  /** Environment the options' variables are read from. */
  cliEnv: CliEnv = process.env;
  cliVersion = '0.0.0';
  /** The subcommand run when the first argument is an option or there is none (`alerting --config x` = `alerting run ...`). */
  defaultSubcommand: string | undefined;
  /** The exit status an action returned. */
  exitStatus: number | undefined;
  /** The command whose arguments failed (or whose action runs), for the "see --help" hint. */
  failedCommand: Command | undefined;

  override createCommand(name?: string): CliCommand {
    const command = new CliCommand(name);
    setUp(command, this.cliEnv, this.cliVersion);
    return command;
  }

  // biome-ignore lint/suspicious/noExplicitAny: commander hands actions their arguments untyped, as its own signature does
  override action(fn: (...args: any[]) => unknown): this {
    return super.action(async (...args: unknown[]) => {
      const status = await fn.apply(this, args);
      if (typeof status === 'number') rootOf(this).exitStatus = status;
    });
  }

  override error(message: string, errorOptions?: { code?: string; exitCode?: number }): never {
    rootOf(this).failedCommand = this;
    return super.error(message, errorOptions);
  }

  /** The command path as typed: `alerting silence add`. */
  commandPath(): string {
    const names: string[] = [];
    for (let c: Command | null = this; c; c = c.parent) names.unshift(c.name());
    return names.join(' ');
  }
}

/**
 * A command with an action of its own and subcommands (`processor` and `processor test-rules`) takes no
 * operands, so a stray word is a mistyped subcommand: say so, with a suggestion, not "too many arguments".
 */
const commanderInternals = Command.prototype as unknown as {
  _excessArguments(this: Command, received: string[]): void;
  unknownCommand(this: Command): void;
};
const excessArguments = commanderInternals._excessArguments;
(CliCommand.prototype as unknown as typeof commanderInternals)._excessArguments = function (received) {
  if (this.commands.length > 0 && this.registeredArguments.length === 0)
    return commanderInternals.unknownCommand.call(this);
  return excessArguments.call(this, received);
};

/** A program with the product's CLI conventions; add options with `cliOption` and subcommands with `.command()`. */
export function createCliProgram(options: CliProgramOptions): CliCommand {
  const program = new CliCommand(options.name);
  program.description(options.description);
  setUp(program, options.env ?? process.env, options.version);
  program.enablePositionalOptions();
  program.configureOutput({
    writeOut: (text) => process.stdout.write(text),
    writeErr: (text) => process.stderr.write(text),
    outputError: () => undefined, // runCli prints the error once, in the product's words
  });
  program.exitOverride();
  program.showSuggestionAfterError(true);
  program.configureHelp({
    optionDescription(this: Help, option) {
      const base = Help.prototype.optionDescription.call(this, option);
      const env = option instanceof CliOption ? option.envName : undefined;
      if (!env) return base;
      return base.endsWith(')') && /\((default|choices|preset): /.test(base)
        ? `${base.slice(0, -1)}, env: ${env})`
        : `${base} (env: ${env})`;
    },
  });
  return program;
}

function setUp(command: CliCommand, env: CliEnv, version: string): void {
  command.cliEnv = env;
  command.cliVersion = version;
  command.version(version, '--version', 'print the version and exit');
  command.helpOption('-h, --help', 'show this help and exit');
  command.hook('preAction', (thisCommand, actionCommand) => {
    rootOf(thisCommand).failedCommand = actionCommand; // a UsageError from the action points at its help
    applyEnv(thisCommand as CliCommand);
  });
}

/** Fills every option not given on the command line from its environment variable, through its parser. */
function applyEnv(command: CliCommand): void {
  for (const option of command.options) {
    if (!(option instanceof CliOption) || !option.envName) continue;
    const key = option.attributeName();
    const source = command.getOptionValueSource(key);
    if (source !== undefined && source !== 'default' && source !== 'implied') continue; // the flag wins
    const raw = command.cliEnv[option.envName];
    if (raw === undefined || raw === '') continue;
    let value: unknown;
    try {
      if (option.required || option.optional) {
        if (option.argChoices && !option.argChoices.includes(raw))
          throw new RangeError(`expected one of ${option.argChoices.join(', ')}`);
        value = option.parseArg ? option.parseArg(raw, undefined) : raw;
      } else {
        value = parseBooleanText(raw);
      }
    } catch (err) {
      rootOf(command).failedCommand = command;
      throw new UsageError(`${option.envName}="${raw}" (for ${option.long}): ${(err as Error).message}`, {
        cause: err,
      });
    }
    command.setOptionValueWithSource(key, value, 'env');
  }
}

export function rootOf(command: Command): CliCommand {
  let c = command;
  while (c.parent) c = c.parent;
  return c as CliCommand;
}
