#!/usr/bin/env node
/**
 * `processor` — consumes sensor readings, keeps per-sensor sliding windows, evaluates the YAML alert rules
 * and publishes FIRING/RESOLVED alerts. Every flag has an environment variable (flag wins).
 */
import { parseArgs } from 'node:util';
import {
  asUsageError,
  ConfigError,
  createLogger,
  createMetricsRegistry,
  exitStatusOf,
  kafkaSettingsFromEnv,
  type Logger,
  onShutdown,
  parseDuration,
  startOpsServer,
  topicNamesFromEnv,
  UsageError,
} from '@sensor-pipeline/shared';
import { DEFAULT_RULES_FILE, loadRules } from './rules/index.js';
import { type DeliveryMode, ProcessorService } from './service/processor-service.js';
import { DEFAULT_READING_LIMITS, type ReadingLimits } from './service/reading-validation.js';
import { createRulesRuntime } from './service/rules-runtime.js';
import { serveSupervisor, WORKER_INDEX_ENV, WorkerSupervisor } from './service/worker-supervisor.js';

const USAGE = `usage: processor [options]

  --rules FILE              alert rules (env RULES_FILE, default ${DEFAULT_RULES_FILE})
  --bootstrap-servers LIST  Kafka brokers (env KAFKA_BOOTSTRAP_SERVERS, default 127.0.0.1:9092)
  --group-id ID             consumer group (env PROCESSOR_GROUP_ID, default sensor-processor)
  --delivery MODE           at-least-once | exactly-once (env PROCESSOR_DELIVERY, default at-least-once)
  --stats-interval DUR      window stats to the stats topic at most once per DUR of event time per sensor
                            and window, e.g. 10s; 0 = off (env PROCESSOR_STATS_INTERVAL, default 0)
  --commit-interval DUR     how often acknowledged offsets are committed (env PROCESSOR_COMMIT_INTERVAL, default 1s)
  --replay-extra DUR        extra event time replayed on rebuild for lagging device clocks (env PROCESSOR_REPLAY_EXTRA, default 60s)
  --instance-id ID          this instance's slot, stable across restarts (env PROCESSOR_INSTANCE_ID, default 0):
                            the transactional id is <group-id>-<instance-id>, so a restarted instance fences the
                            one it replaces; instances of one group running together need different ids
  --workers N               consumers of the group run by this process, each a worker process with its own
                            Kafka clients and slot <instance-id>-w<i>; /readyz and /metrics cover them all
                            (env PROCESSOR_WORKERS, default 1)
  --static-membership       static group membership, group.instance.id = <group-id>-<instance-id>: a restart
                            within the session timeout keeps its partitions (env PROCESSOR_STATIC_MEMBERSHIP=true)
  --max-future-skew DUR     how far ahead of this machine's clock a reading may be stamped; later ones go to the
                            DLQ (env PROCESSOR_MAX_FUTURE_SKEW, default 5m)
  --max-device-id-bytes N   longest deviceId, UTF-8 bytes (env PROCESSOR_MAX_DEVICE_ID_BYTES, default 128)
  --max-labels N            most labels per reading (env PROCESSOR_MAX_LABELS, default 32)
  --max-label-key-bytes N   longest label key (env PROCESSOR_MAX_LABEL_KEY_BYTES, default 128)
  --max-label-value-bytes N longest label value (env PROCESSOR_MAX_LABEL_VALUE_BYTES, default 256)
  --temperature-range A..B  plausible temperatures, °C; cpu and memory are 0..100 % by the schema
                            (env PROCESSOR_TEMPERATURE_RANGE, default -100..200)
  --allow-any-key           accept readings whose record key is not their deviceId
                            (env PROCESSOR_ALLOW_ANY_KEY=true; default: such readings go to the DLQ)
  --max-sensors N           most sensors (device × metric) this instance holds; readings of new sensors past it
                            go to the DLQ (env PROCESSOR_MAX_SENSORS, default 200000)
  --max-output-record-bytes N
                            largest output record produced; a larger alert or stats record is set aside to the
                            DLQ (env PROCESSOR_MAX_OUTPUT_RECORD_BYTES, default 1000000, librdkafka's message.max.bytes)
  --metrics-port N          /healthz, /readyz, /metrics (env METRICS_PORT, default 9102; 0 = any free port)
  --check                   validate the rules file and exit
  -h, --help

Topics (env): READINGS_TOPIC, ALERTS_TOPIC, STATS_TOPIC, READINGS_DLQ_TOPIC, ALERT_STATE_TOPIC.
Extra librdkafka properties: KAFKA_CONFIG_<PROPERTY> (e.g. KAFKA_CONFIG_SECURITY_PROTOCOL=ssl).`;

function main(): void {
  const env = process.env;
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        rules: { type: 'string', default: env['RULES_FILE'] ?? DEFAULT_RULES_FILE },
        'bootstrap-servers': { type: 'string' },
        'group-id': { type: 'string', default: env['PROCESSOR_GROUP_ID'] ?? 'sensor-processor' },
        delivery: { type: 'string', default: env['PROCESSOR_DELIVERY'] ?? 'at-least-once' },
        'stats-interval': { type: 'string', default: env['PROCESSOR_STATS_INTERVAL'] ?? '0' },
        'commit-interval': { type: 'string', default: env['PROCESSOR_COMMIT_INTERVAL'] ?? '1s' },
        'replay-extra': { type: 'string', default: env['PROCESSOR_REPLAY_EXTRA'] ?? '60s' },
        'instance-id': { type: 'string', default: env['PROCESSOR_INSTANCE_ID'] },
        workers: { type: 'string', default: env['PROCESSOR_WORKERS'] ?? '1' },
        'static-membership': { type: 'boolean', default: env['PROCESSOR_STATIC_MEMBERSHIP'] === 'true' },
        'max-future-skew': { type: 'string', default: env['PROCESSOR_MAX_FUTURE_SKEW'] ?? '5m' },
        'max-device-id-bytes': { type: 'string', default: env['PROCESSOR_MAX_DEVICE_ID_BYTES'] ?? '128' },
        'max-labels': { type: 'string', default: env['PROCESSOR_MAX_LABELS'] ?? '32' },
        'max-label-key-bytes': { type: 'string', default: env['PROCESSOR_MAX_LABEL_KEY_BYTES'] ?? '128' },
        'max-label-value-bytes': { type: 'string', default: env['PROCESSOR_MAX_LABEL_VALUE_BYTES'] ?? '256' },
        'temperature-range': { type: 'string', default: env['PROCESSOR_TEMPERATURE_RANGE'] ?? '-100..200' },
        'allow-any-key': { type: 'boolean', default: env['PROCESSOR_ALLOW_ANY_KEY'] === 'true' },
        'max-sensors': { type: 'string', default: env['PROCESSOR_MAX_SENSORS'] ?? '200000' },
        'max-output-record-bytes': { type: 'string', default: env['PROCESSOR_MAX_OUTPUT_RECORD_BYTES'] ?? '1000000' },
        'metrics-port': { type: 'string', default: env['METRICS_PORT'] ?? '9102' },
        check: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (err) {
    usageError((err as Error).message);
  }
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const delivery = values.delivery as DeliveryMode;
  if (delivery !== 'at-least-once' && delivery !== 'exactly-once')
    usageError(`--delivery must be at-least-once or exactly-once, got "${values.delivery}"`);
  const durations = Object.fromEntries(
    (['stats-interval', 'commit-interval', 'replay-extra'] as const).map((flag) => {
      try {
        return [flag, parseDuration(values[flag]!)];
      } catch (err) {
        return usageError(`--${flag}: ${(err as Error).message}`);
      }
    }),
  ) as Record<'stats-interval' | 'commit-interval' | 'replay-extra', number>;
  const readingLimits = readingLimitsFrom(values);
  const maxSensors = wholeNumber(values, 'max-sensors', 1, 100_000_000);
  const maxOutputRecordBytes = wholeNumber(values, 'max-output-record-bytes', 1_024, 1_000_000_000);
  const metricsPort = Number(values['metrics-port']);
  if (!Number.isInteger(metricsPort) || metricsPort < 0 || metricsPort > 65_535)
    usageError(`--metrics-port must be a port number, got "${values['metrics-port']}"`);

  // the rules are checked before anything touches Kafka
  let rulesConfig;
  try {
    rulesConfig = loadRules(values.rules!);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`processor: invalid rules file\n${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  if (values.check) {
    console.log(`${values.rules}: ${rulesConfig.rules.length} rules OK`);
    process.exit(0);
  }

  const workers = Number(values.workers);
  if (!Number.isInteger(workers) || workers < 1 || workers > 64)
    usageError(`--workers must be a whole number from 1 to 64, got "${values.workers}"`);

  const logger = createLogger({ service: 'processor' });
  if (workers > 1 && env[WORKER_INDEX_ENV] === undefined) {
    superviseWorkers(workers, values['instance-id'] ?? '0', metricsPort, logger);
    return;
  }
  const kafka = {
    ...kafkaSettingsFromEnv('processor'),
    ...(values['bootstrap-servers'] ? { bootstrapServers: values['bootstrap-servers'] } : {}),
  };
  const registry = createMetricsRegistry('processor');
  const shutdown = onShutdown(logger, { timeoutMs: 30_000 });
  const service = new ProcessorService({
    kafka,
    topics: topicNamesFromEnv(env),
    groupId: values['group-id']!,
    rules: createRulesRuntime(rulesConfig),
    logger,
    registry,
    delivery,
    statsIntervalMs: durations['stats-interval'],
    commitIntervalMs: durations['commit-interval'],
    replayExtraMs: durations['replay-extra'],
    limits: readingLimits,
    maxSensors,
    maxOutputRecordBytes,
    ...(values['instance-id'] ? { instanceId: values['instance-id'] } : {}),
    staticMembership: values['static-membership'],
    onFatal: () => void shutdown.shutdown('fatal error', 1),
  });
  logger.info(
    { rulesFile: values.rules, rules: rulesConfig.rules.map((r) => r.name), bootstrapServers: kafka.bootstrapServers },
    'rules loaded',
  );

  void (async () => {
    if (env[WORKER_INDEX_ENV] !== undefined) {
      // a worker: its supervisor serves /readyz and /metrics and asks it over IPC
      serveSupervisor(() => service.readiness(), registry);
    } else {
      const ops = await startOpsServer({ port: metricsPort, registry, logger, readiness: () => service.readiness() });
      shutdown.add('ops server', () => ops.close());
    }
    shutdown.add('processor', () => service.stop());
    await service.start();
  })().catch((err: unknown) => {
    logger.error({ err }, 'processor failed to start');
    void shutdown.shutdown('start failed', 1);
  });
}

/** Runs `workers` copies of this command as worker processes and serves the ops endpoints for all of them. */
function superviseWorkers(workers: number, instanceId: string, metricsPort: number, logger: Logger): void {
  const args: string[] = [];
  const own = new Set(['--workers', '--metrics-port', '--instance-id']);
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const name = arg.split('=')[0]!;
    if (own.has(name)) {
      if (!arg.includes('=')) i++; // skip the value too
      continue;
    }
    args.push(arg);
  }
  const supervisor = new WorkerSupervisor({ workers, script: process.argv[1]!, args, instanceId, logger });
  const shutdown = onShutdown(logger, { timeoutMs: 40_000 });
  void (async () => {
    const ops = await startOpsServer({
      port: metricsPort,
      registry: supervisor.registry(),
      logger,
      readiness: () => supervisor.readiness(),
    });
    shutdown.add('ops server', () => ops.close());
    shutdown.add('workers', () => supervisor.stop());
    supervisor.start();
    logger.info({ workers }, 'processor workers started');
  })().catch((err: unknown) => {
    logger.error({ err }, 'processor failed to start');
    void shutdown.shutdown('start failed', 1);
  });
}

type Flags = Readonly<Record<string, string | boolean | undefined>>;

/** The reading limits from their flags; a value that cannot work is a usage error naming the flag. */
function readingLimitsFrom(values: Flags): ReadingLimits {
  let maxFutureSkewMs: number;
  try {
    maxFutureSkewMs = parseDuration(String(values['max-future-skew']));
  } catch (err) {
    return usageError(`--max-future-skew: ${(err as Error).message}`);
  }
  if (maxFutureSkewMs < 1) usageError(`--max-future-skew must be above 0, got "${values['max-future-skew']}"`);
  const range = /^(-?\d+(?:\.\d+)?)\.\.(-?\d+(?:\.\d+)?)$/.exec(String(values['temperature-range']));
  const [minT, maxT] = range ? [Number(range[1]), Number(range[2])] : [Number.NaN, Number.NaN];
  if (!range || !(minT < maxT))
    usageError(
      `--temperature-range must be MIN..MAX with MIN < MAX, e.g. -40..85, got "${values['temperature-range']}"`,
    );
  return {
    ...DEFAULT_READING_LIMITS,
    maxFutureSkewMs,
    maxDeviceIdBytes: wholeNumber(values, 'max-device-id-bytes', 1, 1_000_000),
    maxLabels: wholeNumber(values, 'max-labels', 0, 100_000),
    maxLabelKeyBytes: wholeNumber(values, 'max-label-key-bytes', 1, 1_000_000),
    maxLabelValueBytes: wholeNumber(values, 'max-label-value-bytes', 1, 1_000_000),
    minTemperatureCelsius: minT,
    maxTemperatureCelsius: maxT,
    requireKeyMatch: values['allow-any-key'] !== true,
  };
}

function wholeNumber(values: Flags, flag: string, min: number, max: number): number {
  const text = String(values[flag]);
  const n = Number(text.replaceAll('_', ''));
  if (!/^\d[\d_]*$/.test(text) || !Number.isSafeInteger(n) || n < min || n > max)
    usageError(`--${flag} must be a whole number from ${min} to ${max}, got "${text}"`);
  return n;
}

function usageError(message: string): never {
  throw new UsageError(message);
}

try {
  main();
} catch (err) {
  const usage = asUsageError(err);
  if (!usage) throw err;
  console.error(`processor: ${usage.message}\n\n${USAGE}`);
  process.exit(exitStatusOf(usage));
}
