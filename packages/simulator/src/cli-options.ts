/**
 * The `simulator` command line: flags parsed with node's `util.parseArgs`, checked, and turned into run
 * options — or a `UsageError` that says which flag is wrong and what it expects (exit status 2, before
 * anything touches Kafka). Pure: the environment comes in as an argument.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_BOOTSTRAP_SERVERS, parseDuration, topicNamesFromEnv, UsageError } from '@sensor-pipeline/shared';
import type { PaceMode } from './kafka/simulation.js';
import type { ProducerTuning } from './kafka/simulator-producer.js';

export { UsageError };

export const USAGE = `simulator — a fleet of simulated devices producing Avro sensor readings to Kafka

Usage: simulator [--scenario FILE] [--seed S] [mode] [options]

Modes (default: real time, until stopped or the scenario's duration):
  --realtime               each reading at its event time (1x speed from the start time)
  --count N                as fast as possible, N readings (poison included), then exit
  --duration D             event time to cover (e.g. 90s, 10m); as fast as possible unless --realtime/--rate
  --rate R                 R readings per second across the fleet (event time still advances by the interval)

Options:
  --scenario FILE          scenario YAML (fleet, interval, faults); default: 100 healthy devices on 2 sites
  --seed S                 seed of every random choice (default: the scenario's seed, else 1);
                           the same seed, scenario and count give the same bytes
  --start-time T           event time of the first report (ISO 8601 or epoch ms); default: the scenario's,
                           else now in real-time mode, else 2024-01-01T00:00:00Z
  --poison-rate P          share of readings replaced by bad records, 0..1 (default 0): random bytes,
                           truncated Avro, NaN values, timestamps far in the future
  --topic NAME             readings topic (default: READINGS_TOPIC or sensor.readings)
  --bootstrap-servers L    Kafka brokers (default: KAFKA_BOOTSTRAP_SERVERS or ${DEFAULT_BOOTSTRAP_SERVERS})
  --create-topic           create the topic if it does not exist (with --partitions, default 6)
  --partitions N           partitions for --create-topic
  --metrics-port P         serve /healthz, /readyz and /metrics on port P (0 picks one)
  --batch-size N           messages per send (default 1000)
  --max-in-flight N        messages produced but not yet acknowledged (default 50000)
  --linger-ms MS           producer linger.ms (default 20)
  --compression C          none, gzip, snappy, lz4 (default) or zstd
  --delivery-timeout D     how long a reading may take to be acknowledged, retries included (default 2m)
  --no-progress            no progress line / progress logs
  -h, --help               this help

Exit status: 0 when every produced reading was acknowledged; 1 when some were not (or the run failed);
2 for bad flags or a bad scenario file.
Environment: KAFKA_BOOTSTRAP_SERVERS, KAFKA_CONFIG_<PROPERTY> (librdkafka properties), READINGS_TOPIC, LOG_LEVEL.
`;

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

export type CliCommand = { readonly kind: 'help' } | { readonly kind: 'run'; readonly options: CliOptions };

const COMPRESSIONS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;

export function parseCliArgs(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = process.env,
): CliCommand {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        scenario: { type: 'string' },
        seed: { type: 'string' },
        count: { type: 'string' },
        duration: { type: 'string' },
        rate: { type: 'string' },
        realtime: { type: 'boolean' },
        'start-time': { type: 'string' },
        'poison-rate': { type: 'string' },
        topic: { type: 'string' },
        'bootstrap-servers': { type: 'string' },
        'create-topic': { type: 'boolean' },
        partitions: { type: 'string' },
        'metrics-port': { type: 'string' },
        'batch-size': { type: 'string' },
        'max-in-flight': { type: 'string' },
        'linger-ms': { type: 'string' },
        compression: { type: 'string' },
        'delivery-timeout': { type: 'string' },
        'no-progress': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new UsageError(`${(err as Error).message.split('\n')[0]} (see --help)`, { cause: err });
  }
  const v = parsed.values;
  if (v.help) return { kind: 'help' };

  const count = v.count === undefined ? undefined : integer('--count', v.count, 1);
  const durationMs = v.duration === undefined ? undefined : duration('--duration', v.duration);
  const rate = v.rate === undefined ? undefined : positiveNumber('--rate', v.rate);
  const realtime = v.realtime ?? false;
  if (realtime && rate !== undefined)
    throw new UsageError('--realtime and --rate are different paces: give one of them');
  const pace: PaceMode =
    rate !== undefined
      ? { kind: 'rate', perSecond: rate }
      : realtime || (count === undefined && durationMs === undefined)
        ? { kind: 'realtime' }
        : { kind: 'fast' };

  const poisonRate = v['poison-rate'] === undefined ? 0 : fraction('--poison-rate', v['poison-rate']);
  const partitions = v.partitions === undefined ? undefined : integer('--partitions', v.partitions, 1);
  if (partitions !== undefined && !v['create-topic'])
    throw new UsageError('--partitions only applies with --create-topic');
  const compression = v.compression;
  if (compression !== undefined && !(COMPRESSIONS as readonly string[]).includes(compression)) {
    throw new UsageError(`--compression: expected one of ${COMPRESSIONS.join(', ')}, got "${compression}"`);
  }
  const batchSize = v['batch-size'] === undefined ? undefined : integer('--batch-size', v['batch-size'], 1);
  const maxInFlight = v['max-in-flight'] === undefined ? undefined : integer('--max-in-flight', v['max-in-flight'], 1);
  if (batchSize !== undefined && maxInFlight !== undefined && maxInFlight < batchSize) {
    throw new UsageError(`--max-in-flight (${maxInFlight}) must be at least --batch-size (${batchSize})`);
  }
  const seed = v.seed;
  if (seed !== undefined && seed.trim() === '')
    throw new UsageError('--seed: expected a number or a word, got nothing');
  const topic = v.topic ?? topicNamesFromEnv(env).readings;
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
      startTimeMs: v['start-time'] === undefined ? undefined : startTime(v['start-time']),
      poisonRate,
      topic,
      bootstrapServers: v['bootstrap-servers'] ?? (env['KAFKA_BOOTSTRAP_SERVERS'] || DEFAULT_BOOTSTRAP_SERVERS),
      createTopic: v['create-topic'] ? { partitions: partitions ?? 6 } : undefined,
      metricsPort:
        v['metrics-port'] === undefined ? undefined : integer('--metrics-port', v['metrics-port'], 0, 65_535),
      batchSize,
      maxInFlight,
      tuning: {
        ...(v['linger-ms'] === undefined ? {} : { lingerMs: integer('--linger-ms', v['linger-ms'], 0, 900_000) }),
        ...(compression === undefined ? {} : { compression: compression as (typeof COMPRESSIONS)[number] }),
        ...(v['delivery-timeout'] === undefined
          ? {}
          : { deliveryTimeoutMs: duration('--delivery-timeout', v['delivery-timeout']) }),
        ...(maxInFlight !== undefined && maxInFlight >= 1_000_000
          ? { queueMessages: Math.min(2_147_483_647, maxInFlight * 2) }
          : {}),
      },
      progress: !v['no-progress'],
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
