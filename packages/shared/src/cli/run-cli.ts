/**
 * Runs a CLI built with `createCliProgram` and ends the process the product's way: help and `--version` exit
 * 0; a command-line mistake (unknown flag or command, bad value, missing argument, `UsageError`) prints
 * `<name>: <what is wrong>` and a pointer to `--help` on stderr and exits 2; a config error exits 2 with its
 * file:line:column message; anything else exits 1 (`exitStatusOf`). An action's returned number is the exit
 * status; an action that returns nothing leaves the process running (a service stops on a signal).
 */
import { type Command, CommanderError } from 'commander';
import { exitStatusOf } from '../errors/exit-status.js';
import { PipelineError } from '../errors/pipeline-error.js';
import { asUsageError, UsageError } from '../errors/usage-error.js';
import { type CliCommand, rootOf } from './cli-program.js';

/** Parses `argv` (the arguments after the script) and runs the action; resolves with an exit status or undefined. */
export async function parseCli(program: CliCommand, argv: readonly string[]): Promise<number | undefined> {
  const args = [...argv];
  const first = args[0];
  if (
    program.defaultSubcommand &&
    (first === undefined || (first.startsWith('-') && !['-h', '--help', '--version'].includes(first)))
  )
    args.unshift(program.defaultSubcommand);
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.exitCode === 0) return 0; // --help, --version
      if (err.code === 'commander.help') return 2; // no command given: help went to stderr
      throw new UsageError(commanderMessage(err), { cause: err });
    }
    throw err;
  }
  return program.exitStatus;
}

/**
 * Parses synchronously, in process, with nothing written: the text of `--help` or `--version` is returned
 * (to print, exit 0), undefined when the action ran; a command-line mistake throws `UsageError`. For pure
 * command-line parsers and their tests (actions must be synchronous).
 */
export function parseCliSync(program: CliCommand, argv: readonly string[]): string | undefined {
  let printed = '';
  const capture = (command: Command): void => {
    command.configureOutput({ writeOut: (text) => (printed += text), writeErr: (text) => (printed += text) });
    for (const sub of command.commands) capture(sub);
  };
  capture(program); // subcommands copied the output settings when they were made
  try {
    program.parse([...argv], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.exitCode === 0) return printed;
      throw new UsageError(commanderMessage(err), { cause: err });
    }
    throw err;
  }
  return undefined;
}

/** `parseCli`, then exits as described above; never returns when the action finished with a status. */
export async function runCli(program: CliCommand, argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  let status: number | undefined;
  try {
    status = await parseCli(program, argv);
  } catch (err) {
    process.stderr.write(describeCliError(program, err));
    process.exit(exitStatusOf(err));
  }
  if (status !== undefined) process.exit(status);
}

/** What a CLI prints for an error that ends it: the message, and for a usage mistake where to find help. */
export function describeCliError(program: CliCommand, err: unknown): string {
  const name = program.name();
  const usage = asUsageError(err);
  if (usage) {
    const failed = rootOf(program).failedCommand as CliCommand | undefined;
    const path = failed && typeof failed.commandPath === 'function' ? failed.commandPath() : name;
    return `${name}: ${usage.message}\nsee '${path} --help'\n`;
  }
  // errors the product throws on purpose say what went wrong; anything else is a bug: its stack helps
  if (err instanceof PipelineError) return `${name}: ${err.message}\n`;
  return `${name}: ${(err as Error)?.stack ?? String(err)}\n`;
}

/** commander's "error: unknown option '--fo'\n(Did you mean --foo?)" as one line in the product's voice. */
function commanderMessage(err: CommanderError): string {
  return err.message
    .replace(/^error: /, '')
    .replace(/\n\(Did you mean (.*)\?\)/, ' (did you mean $1?)')
    .replace(/\n/g, ' ');
}
