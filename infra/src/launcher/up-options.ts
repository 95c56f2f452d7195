/**
 * `sensor-pipeline up` options: flags first, then environment variables, then defaults. Invalid values
 * fail with a message that names the flag and what it expects.
 */
import { parseArgs } from 'node:util';
import { parseDuration, UsageError } from '@sensor-pipeline/shared';
import { DEFAULT_PORTS, portsFrom } from '../pipeline-services.js';
import type { LauncherOptions } from './run-pipeline.js';
import { splitArgs } from './split-args.js';

export const UP_USAGE = `usage: sensor-pipeline up [options]

Starts the whole pipeline: the local Kafka broker (unless one is given), the topics, the demo webhook sink,
the alerting service, the processor and the simulator on the demo scenario, with a live view. Ctrl-C stops
everything in order. Logs go to <run-dir>/logs/.

  --no-broker                 do not start the local broker; use KAFKA_BOOTSTRAP_SERVERS (or 127.0.0.1:9092)
  --bootstrap-servers H:P     use this broker (same as KAFKA_BOOTSTRAP_SERVERS; implies --no-broker)
  --kafka-port N              the local broker's port (default 9092, or LOCAL_KAFKA_PORT)
  --port-base N               ports from N: sink webhook N, ops ports N+1..N+3, console N+4 (default: 9000, 9464-9466, 9400)
  --fast                      run the simulator as fast as it can instead of in real time
  --simulator-args "..."      extra simulator arguments, e.g. "--duration 3m" (or SIMULATOR_ARGS)
  --run-dir DIR               logs and run state (default .run)
  --ready-timeout 90s         how long each service may take to answer /readyz
  --stop-timeout 40s          how long each service may take to stop before it is killed
  --drain-timeout 10s         how long a consumer may take to catch up before it is stopped
  --replication-factor N      for the topics (default 1)
  --plain                     plain log lines even on a terminal
  --interval 1s               refresh interval of the live view (plain lines: every 10 s)
Environment: KAFKA_BOOTSTRAP_SERVERS, SINK_SECRET (default: a generated demo secret), READINGS_TOPIC and the
other topic variables, PROCESSOR_GROUP_ID (default sensor-processor), LOG_LEVEL.`;

export type UpOptions = Omit<LauncherOptions, 'view' | 'env' | 'repoDir'> & {
  readonly plain: boolean;
  readonly plainIntervalMs: number;
};

export { UsageError };

/** `--simulator-args "--duration 3m"`: a value that starts with a dash is taken as the value, not an option. */
function joinDashValues(argv: readonly string[], flags: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (flags.includes(arg) && i + 1 < argv.length) out.push(`${arg}=${argv[++i]}`);
    else out.push(arg);
  }
  return out;
}

export function parseUpOptions(argv: readonly string[], env: NodeJS.ProcessEnv, repoDir: string): UpOptions {
  const { values } = parseArgs({
    args: joinDashValues(argv, ['--simulator-args']),
    allowPositionals: false,
    options: {
      'no-broker': { type: 'boolean', default: false },
      'bootstrap-servers': { type: 'string' },
      'kafka-port': { type: 'string' },
      'port-base': { type: 'string' },
      fast: { type: 'boolean', default: false },
      'simulator-args': { type: 'string' },
      'run-dir': { type: 'string' },
      'ready-timeout': { type: 'string', default: '90s' },
      'stop-timeout': { type: 'string', default: '40s' },
      'drain-timeout': { type: 'string', default: '10s' },
      'replication-factor': { type: 'string', default: '1' },
      plain: { type: 'boolean', default: false },
      interval: { type: 'string', default: '1s' },
    },
  });
  const int = (flag: string, text: string, min: number, max: number): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new UsageError(`--${flag} expects an integer from ${min} to ${max}, got "${text}"`);
    return n;
  };
  const duration = (flag: string, text: string): number => {
    try {
      return parseDuration(text);
    } catch (err) {
      throw new UsageError(`--${flag}: ${(err as Error).message}`);
    }
  };
  const given =
    values['bootstrap-servers'] ||
    (values['no-broker'] || env['KAFKA_BOOTSTRAP_SERVERS']
      ? env['KAFKA_BOOTSTRAP_SERVERS'] || '127.0.0.1:9092'
      : undefined);
  let simulatorArgs: string[];
  try {
    simulatorArgs = splitArgs(values['simulator-args'] ?? env['SIMULATOR_ARGS'] ?? '');
  } catch (err) {
    throw new UsageError(`--simulator-args: ${(err as Error).message}`);
  }
  return {
    runDir: values['run-dir'] ?? `${repoDir}/.run`,
    ...(given ? { bootstrapServers: given } : {}),
    kafkaPort: int('kafka-port', values['kafka-port'] ?? env['LOCAL_KAFKA_PORT'] ?? '9092', 1, 65_534),
    ports: values['port-base'] ? portsFrom(int('port-base', values['port-base'], 1, 65_530)) : DEFAULT_PORTS,
    realtime: !values.fast,
    simulatorArgs,
    readyTimeoutMs: duration('ready-timeout', values['ready-timeout']),
    stopTimeoutMs: duration('stop-timeout', values['stop-timeout']),
    drainTimeoutMs: duration('drain-timeout', values['drain-timeout']),
    replicationFactor: int('replication-factor', values['replication-factor'], 1, 10),
    tickMs: Math.max(200, duration('interval', values.interval)),
    plain: values.plain,
    plainIntervalMs: 10_000,
  };
}
