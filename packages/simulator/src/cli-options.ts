/**
 * The `simulator` command line, built with the shared CLI builder: flags (each with its environment
 * variable, flag wins) checked and turned into run options — or a `UsageError` that says which flag (or
 * variable) is wrong and what it expects (exit status 2, before anything touches Kafka). Pure: the
 * environment comes in as an argument, and help or `--version` come back as text to print.
 */
import {
  bootstrapServersOption,
  type CliCommand,
  cliOption,
  createCliProgram,
  DEFAULT_BOOTSTRAP_SERVERS,
  DEFAULT_TOPICS,
  packageVersion,
  parseCliSync,
  parseDuration,
  topicNamesFromEnv,
  UsageError,
} from '@sensor-pipeline/shared';
import type { PaceMode } from './kafka/simulation.js';
import type { ProducerTuning } from './kafka/simulator-producer.js';

export { UsageError };

const DESCRIPTION = 'A fleet of simulated devices producing Avro sensor readings to Kafka.';

const AFTER_HELP = `
Modes (default: real time, until stopped or the scenario's duration): --realtime; --count N (as fast as
possible, then exit); --duration D (event time to cover; as fast as possible unless --realtime or --rate);
--rate R (R readings per second). A fast run's event time ends at now (it starts at now minus what it
covers), unless --start-time or the scenario says otherwise.
Also read: KAFKA_CONFIG_<PROPERTY> (librdkafka properties), LOG_LEVEL.
Exit status: 0 when every produced reading was acknowledged; 1 when some were not (or the run failed);
2 for bad flags or a bad scenario file.`;

/** The program (flags, environment variables, help); `parseCliArgs` runs it on a command line. */
export function simulatorProgram(env: Readonly<Record<string, string | undefined>> = process.env): CliCommand {
  const program = createCliProgram({
    name: 'simulator',
    version: packageVersion(import.meta.url),
    description: DESCRIPTION,
    env,
  });
  const option = (flags: string, description: string, envName: string) =>
    program.addOption(cliOption(flags, description, { env: envName }));
  option('--realtime', 'each reading at its event time (1x speed from the start time)', 'SIMULATOR_REALTIME');
  option('--count <n>', 'as fast as possible, N readings (poison included), then exit', 'SIMULATOR_COUNT');
  option(
    '--duration <duration>',
    'event time to cover (e.g. 90s, 10m); as fast as possible unless --realtime/--rate',
    'SIMULATOR_DURATION',
  );
  option(
    '--rate <r>',
    'R readings per second across the fleet (event time still advances by the interval)',
    'SIMULATOR_RATE',
  );
  option(
    '--scenario <file>',
    'scenario YAML (fleet, interval, faults); default: 100 healthy devices on 2 sites',
    'SIMULATOR_SCENARIO',
  );
  option(
    '--seed <s>',
    "seed of every random choice (default: the scenario's seed, else 1); the same seed, scenario, count and start time give the same bytes",
    'SIMULATOR_SEED',
  );
  option(
    '--start-time <time>',
    "event time of the first report (ISO 8601 or epoch ms); default: the scenario's, else now in real-time mode, else so that the run ends at now",
    'SIMULATOR_START_TIME',
  );
  option(
    '--poison-rate <p>',
    'share of readings replaced by bad records, 0..1 (default 0): random bytes, truncated Avro, NaN values, timestamps far in the future',
    'SIMULATOR_POISON_RATE',
  );
  program.addOption(
    cliOption('--topic <name>', 'readings topic', { env: 'READINGS_TOPIC', default: DEFAULT_TOPICS.readings }),
  );
  program.addOption(bootstrapServersOption());
  option(
    '--create-topic',
    'create the topic if it does not exist (with --partitions, default 6)',
    'SIMULATOR_CREATE_TOPIC',
  );
  option('--partitions <n>', 'partitions for --create-topic', 'SIMULATOR_PARTITIONS');
  option(
    '--metrics-port <port>',
    'serve /healthz, /readyz and /metrics on this port (0 picks one; default: none)',
    'METRICS_PORT',
  );
  option('--batch-size <n>', 'messages per send (default 1000)', 'SIMULATOR_BATCH_SIZE');
  option(
    '--max-in-flight <n>',
    'messages produced but not yet acknowledged (default 50000)',
    'SIMULATOR_MAX_IN_FLIGHT',
  );
  option('--linger-ms <ms>', 'producer linger.ms (default 20)', 'SIMULATOR_LINGER_MS');
  option('--compression <codec>', 'none, gzip, snappy, lz4 (default) or zstd', 'SIMULATOR_COMPRESSION');
  option(
    '--delivery-timeout <duration>',
    'how long a reading may take to be acknowledged, retries included (default 2m)',
    'SIMULATOR_DELIVERY_TIMEOUT',
  );
  option('--no-progress', 'no progress line / progress logs', 'SIMULATOR_PROGRESS');
  program.addHelpText('after', AFTER_HELP);
  return program;
}

/** The help text, as `simulator --help` prints it. */
export const USAGE: string = simulatorProgram({}).helpInformation() + AFTER_HELP.slice(1);

export interface CliOptions {
  readonly scenarioFile: string | undefined;
  readonly seed: string | undefined;
  readonly pace: PaceMode;
  readonly realtime: boolean;
  readonly count: number | undefined;
  readonly durationMs: number | undefined;
  readonly startTimeMs: number | undefined;
  readonly poisonRate: number;
  readonly topic: string;
  readonly bootstrapServers: string;
  readonly createTopic: { readonly partitions: number } | undefined;
  readonly metricsPort: number | undefined;
  readonly batchSize: number | undefined;
  readonly maxInFlight: number | undefined;
  readonly tuning: ProducerTuning;
  readonly progress: boolean;
}

/** `help` carries the text of `--help` or `--version`, to print with exit status 0. */
export type CliRequest =
  | { readonly kind: 'help'; readonly text: string }
  | { readonly kind: 'run'; readonly options: CliOptions };

const COMPRESSIONS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;

interface RawFlags {
  scenario?: string;
  seed?: string;
  count?: string;
  duration?: string;
  rate?: string;
  realtime?: boolean;
  startTime?: string;
  poisonRate?: string;
  topic: string;
  bootstrapServers: string;
  createTopic?: boolean;
  partitions?: string;
  metricsPort?: string;
  batchSize?: string;
  maxInFlight?: string;
  lingerMs?: string;
  compression?: string;
  deliveryTimeout?: string;
  progress: boolean;
}

export function parseCliArgs(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = process.env,
): CliRequest {
  const program = simulatorProgram(env);
  let raw: RawFlags | undefined;
  program.action((flags: RawFlags) => {
    raw = flags;
  });
  let printed: string | undefined;
  try {
    printed = parseCliSync(program, argv);
  } catch (err) {
    if (err instanceof UsageError) throw new UsageError(`${err.message}\nsee 'simulator --help'`, { cause: err });
    throw err;
  }
  if (printed !== undefined) return { kind: 'help', text: printed };
  if (!raw) throw new UsageError('nothing to run (see --help)');
  const v = raw;
  /** The flag, or the variable when the value came from the environment, for messages. */
  const from = (key: keyof RawFlags, flag: string, envName: string) =>
    program.getOptionValueSource(key) === 'env' ? envName : flag;

  const count = v.count === undefined ? undefined : integer(from('count', '--count', 'SIMULATOR_COUNT'), v.count, 1);
  const durationMs =
    v.duration === undefined ? undefined : duration(from('duration', '--duration', 'SIMULATOR_DURATION'), v.duration);
  const rate = v.rate === undefined ? undefined : positiveNumber(from('rate', '--rate', 'SIMULATOR_RATE'), v.rate);
  const realtime = v.realtime ?? false;
  if (realtime && rate !== undefined)
    throw new UsageError('--realtime and --rate are different paces: give one of them');
  const pace: PaceMode =
    rate !== undefined
      ? { kind: 'rate', perSecond: rate }
      : realtime || (count === undefined && durationMs === undefined)
        ? { kind: 'realtime' }
        : { kind: 'fast' };

  const poisonRate =
    v.poisonRate === undefined
      ? 0
      : fraction(from('poisonRate', '--poison-rate', 'SIMULATOR_POISON_RATE'), v.poisonRate);
  const partitions =
    v.partitions === undefined
      ? undefined
      : integer(from('partitions', '--partitions', 'SIMULATOR_PARTITIONS'), v.partitions, 1);
  if (partitions !== undefined && !v.createTopic) throw new UsageError('--partitions only applies with --create-topic');
  const compression = v.compression;
  if (compression !== undefined && !(COMPRESSIONS as readonly string[]).includes(compression)) {
    throw new UsageError(
      `${from('compression', '--compression', 'SIMULATOR_COMPRESSION')}: expected one of ${COMPRESSIONS.join(', ')}, got "${compression}"`,
    );
  }
  const batchSize =
    v.batchSize === undefined
      ? undefined
      : integer(from('batchSize', '--batch-size', 'SIMULATOR_BATCH_SIZE'), v.batchSize, 1);
  const maxInFlight =
    v.maxInFlight === undefined
      ? undefined
      : integer(from('maxInFlight', '--max-in-flight', 'SIMULATOR_MAX_IN_FLIGHT'), v.maxInFlight, 1);
  if (batchSize !== undefined && maxInFlight !== undefined && maxInFlight < batchSize) {
    throw new UsageError(`--max-in-flight (${maxInFlight}) must be at least --batch-size (${batchSize})`);
  }
  const seed = v.seed;
  if (seed !== undefined && seed.trim() === '')
    throw new UsageError('--seed: expected a number or a word, got nothing');
  const topic = v.topic || topicNamesFromEnv(env).readings;
  if (!/^[A-Za-z0-9._-]{1,249}$/.test(topic))
    throw new UsageError(`--topic: "${topic}" is not a valid Kafka topic name (letters, digits, ".", "_", "-")`);

  return {
    kind: 'run',
    options: {
      scenarioFile: v.scenario,
      seed,
      pace,
      realtime: pace.kind === 'realtime',
      count,
      durationMs,
      startTimeMs: v.startTime === undefined ? undefined : startTime(v.startTime),
      poisonRate,
      topic,
      bootstrapServers: v.bootstrapServers || DEFAULT_BOOTSTRAP_SERVERS,
      createTopic: v.createTopic ? { partitions: partitions ?? 6 } : undefined,
      metricsPort:
        v.metricsPort === undefined
          ? undefined
          : integer(from('metricsPort', '--metrics-port', 'METRICS_PORT'), v.metricsPort, 0, 65_535),
      batchSize,
      maxInFlight,
      tuning: {
        ...(v.lingerMs === undefined
          ? {}
          : { lingerMs: integer(from('lingerMs', '--linger-ms', 'SIMULATOR_LINGER_MS'), v.lingerMs, 0, 900_000) }),
        ...(compression === undefined ? {} : { compression: compression as (typeof COMPRESSIONS)[number] }),
        ...(v.deliveryTimeout === undefined
          ? {}
          : {
              deliveryTimeoutMs: duration(
                from('deliveryTimeout', '--delivery-timeout', 'SIMULATOR_DELIVERY_TIMEOUT'),
                v.deliveryTimeout,
              ),
            }),
        ...(maxInFlight !== undefined && maxInFlight >= 1_000_000
          ? { queueMessages: Math.min(2_147_483_647, maxInFlight * 2) }
          : {}),
      },
      progress: v.progress !== false,
    },
  };
}

function integer(flag: string, text: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(text.replaceAll('_', ''));
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(
      `${flag}: expected a whole number${max === Number.MAX_SAFE_INTEGER ? ` of at least ${min}` : ` from ${min} to ${max}`}, got "${text}"`,
    );
  }
  return n;
}

function positiveNumber(flag: string, text: string): number {
  const n = Number(text.replaceAll('_', ''));
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${flag}: expected a positive number, got "${text}"`);
  return n;
}

function fraction(flag: string, text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1)
    throw new UsageError(`${flag}: expected a share from 0 to 1 (0.01 is 1%), got "${text}"`);
  return n;
}

function duration(flag: string, text: string): number {
  let ms: number;
  try {
    ms = parseDuration(text);
  } catch (err) {
    throw new UsageError(`${flag}: ${(err as Error).message}`);
  }
  if (ms <= 0) throw new UsageError(`${flag}: expected a positive duration, got "${text}"`);
  return ms;
}

function startTime(text: string): number {
  const ms = /^\d+$/.test(text.trim()) ? Number(text) : Date.parse(text);
  if (!Number.isSafeInteger(ms) || ms < 0)
    throw new UsageError(
      `--start-time: expected an ISO 8601 time like 2024-01-01T00:00:00Z or epoch milliseconds, got "${text}"`,
    );
  return ms;
}
