/**
 * `sensor-pipeline up` options, on the shared CLI builder: flags first, then environment variables, then
 * defaults. Invalid values fail with a message that names the flag (or variable) and what it expects. Pure:
 * the environment comes in as an argument; `upCommand` adds the same options to the real program.
 */
import {
  bootstrapServerList,
  type CliCommand,
  cliOption,
  createCliProgram,
  durationOption,
  parseCliSync,
  UsageError,
  wholeNumber,
} from '@sensor-pipeline/shared';
import { DEFAULT_PORTS, portsFrom } from '../pipeline-services.js';
import type { LauncherOptions } from './run-pipeline.js';
import { splitArgs } from './split-args.js';

export const UP_SUMMARY = 'start the whole pipeline with a live view';
export const UP_DESCRIPTION =
  'Starts the whole pipeline: the local Kafka broker (unless one is given), the topics, the demo webhook sink, the alerting service, the processor, the web console and the simulator on the demo scenario, with a live view. Ctrl-C stops everything in order; SIGHUP is passed on to every service (processor and alerting reload their config). Logs go to <run-dir>/logs/.';

const AFTER_HELP = `
Also read: SINK_SECRET (default: a generated demo secret), READINGS_TOPIC and the other topic variables,
PROCESSOR_GROUP_ID (default sensor-processor), LOG_LEVEL.`;

export type UpOptions = Omit<LauncherOptions, 'view' | 'env' | 'repoDir'> & {
  readonly plain: boolean;
  readonly plainIntervalMs: number;
};

export { UsageError };

interface UpFlags {
  readonly broker: boolean;
  readonly bootstrapServers?: string;
  readonly kafkaPort: number;
  readonly portBase?: number;
  readonly fast?: boolean;
  readonly simulatorArgs?: string;
  readonly runDir?: string;
  readonly readyTimeout: number;
  readonly stopTimeout: number;
  readonly drainTimeout: number;
  readonly replicationFactor: number;
  readonly plain?: boolean;
  readonly interval: number;
}

/** Adds `up`'s options to `command` (the `up` subcommand, or a program of its own in tests). */
export function addUpOptions(command: CliCommand): CliCommand {
  return command
    .addOption(
      cliOption('--no-broker', 'do not start the local broker; use KAFKA_BOOTSTRAP_SERVERS (or 127.0.0.1:9092)'),
    )
    .addOption(
      cliOption(
        '--bootstrap-servers <host:port,...>',
        'use this broker instead of starting one (implies --no-broker)',
        {
          env: 'KAFKA_BOOTSTRAP_SERVERS',
          parse: bootstrapServerList,
        },
      ),
    )
    .addOption(
      cliOption('--kafka-port <n>', "the local broker's port", {
        env: 'LOCAL_KAFKA_PORT',
        default: 9092,
        parse: wholeNumber(1, 65_534),
      }),
    )
    .addOption(
      cliOption(
        '--port-base <n>',
        'ports from N: sink webhook N, ops ports N+1..N+3, console N+4 (default: 9000, 9464-9466, 9400)',
        { env: 'PIPELINE_PORT_BASE', parse: wholeNumber(1, 65_530) },
      ),
    )
    .addOption(
      cliOption('--fast', 'run the simulator as fast as it can instead of in real time (its event time ends at now)', {
        env: 'PIPELINE_FAST',
      }),
    )
    .addOption(
      cliOption('--simulator-args <args>', 'extra simulator arguments, e.g. "--duration 3m"', {
        env: 'SIMULATOR_ARGS',
      }),
    )
    .addOption(cliOption('--run-dir <dir>', 'logs and run state (default: .run)', { env: 'PIPELINE_RUN_DIR' }))
    .addOption(
      durationOption('--ready-timeout <duration>', 'how long each service may take to answer /readyz', {
        env: 'PIPELINE_READY_TIMEOUT',
        defaultMs: 90_000,
      }),
    )
    .addOption(
      durationOption('--stop-timeout <duration>', 'how long each service may take to stop before it is killed', {
        env: 'PIPELINE_STOP_TIMEOUT',
        defaultMs: 40_000,
      }),
    )
    .addOption(
      durationOption('--drain-timeout <duration>', 'how long a consumer may take to catch up before it is stopped', {
        env: 'PIPELINE_DRAIN_TIMEOUT',
        defaultMs: 10_000,
      }),
    )
    .addOption(
      cliOption('--replication-factor <n>', 'for the topics', {
        env: 'TOPIC_REPLICATION_FACTOR',
        default: 1,
        parse: wholeNumber(1, 10),
      }),
    )
    .addOption(cliOption('--plain', 'plain log lines even on a terminal', { env: 'PIPELINE_PLAIN' }))
    .addOption(
      durationOption('--interval <duration>', 'refresh interval of the live view (plain lines: every 10 s)', {
        env: 'PIPELINE_INTERVAL',
        defaultMs: 1_000,
      }),
    )
    .addHelpText('after', AFTER_HELP);
}

/** The options an `up` command line and environment give; throws `UsageError` naming what is wrong. */
export function upOptionsFrom(flags: UpFlags, env: NodeJS.ProcessEnv, repoDir: string): UpOptions {
  const given =
    flags.bootstrapServers ||
    (!flags.broker || env['KAFKA_BOOTSTRAP_SERVERS'] ? env['KAFKA_BOOTSTRAP_SERVERS'] || '127.0.0.1:9092' : undefined);
  let simulatorArgs: string[];
  try {
    simulatorArgs = splitArgs(flags.simulatorArgs ?? '');
  } catch (err) {
    throw new UsageError(`--simulator-args: ${(err as Error).message}`);
  }
  return {
    runDir: flags.runDir ?? `${repoDir}/.run`,
    ...(given ? { bootstrapServers: given } : {}),
    kafkaPort: flags.kafkaPort,
    ports: flags.portBase !== undefined ? portsFrom(flags.portBase) : DEFAULT_PORTS,
    realtime: flags.fast !== true,
    simulatorArgs,
    readyTimeoutMs: flags.readyTimeout,
    stopTimeoutMs: flags.stopTimeout,
    drainTimeoutMs: flags.drainTimeout,
    replicationFactor: flags.replicationFactor,
    tickMs: Math.max(200, flags.interval),
    plain: flags.plain === true,
    plainIntervalMs: 10_000,
  };
}

/** Parses `up`'s arguments in process (tests, and anything that starts the launcher from code). */
export function parseUpOptions(argv: readonly string[], env: NodeJS.ProcessEnv, repoDir: string): UpOptions {
  const command = addUpOptions(
    createCliProgram({ name: 'sensor-pipeline up', version: '0.0.0', description: UP_DESCRIPTION, env }),
  );
  let flags: UpFlags | undefined;
  command.action((f: UpFlags) => {
    flags = f;
  });
  const printed = parseCliSync(command, argv);
  if (printed !== undefined || !flags) throw new UsageError('nothing to start (--help or --version)');
  return upOptionsFrom(flags, env, repoDir);
}
