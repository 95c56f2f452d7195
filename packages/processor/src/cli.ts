#!/usr/bin/env node
/**
 * `processor` — consumes sensor readings, keeps per-sensor sliding windows, evaluates the YAML alert rules
 * and publishes FIRING/RESOLVED alerts. Every flag has an environment variable (flag wins); the command line
 * is built with the shared CLI builder (`createCliProgram`), so subcommands are added to `program` below.
 */
import {
  bootstrapServersOption,
  type CliCommand,
  ConfigError,
  cliOption,
  configReloader,
  createCliProgram,
  createLogger,
  createMetricsRegistry,
  DEFAULT_TOPICS,
  durationOption,
  kafkaSettingsWith,
  type Logger,
  metricsPortOption,
  onReloadSignal,
  onShutdown,
  packageVersion,
  reloadGauges,
  runCli,
  startOpsServer,
  TOPIC_ENV,
  topicNamesFromEnv,
  UsageError,
  wholeNumber,
} from '@sensor-pipeline/shared';
import { type BacktestFlags, backtestCommand } from './backtest/backtest-command.js';
import { DEFAULT_RULES_FILE, loadRules } from './rules/index.js';
import { testRulesCommand } from './rules-testing/test-rules-command.js';
import { type DeliveryMode, ProcessorService } from './service/processor-service.js';
import { DEFAULT_READING_LIMITS, type ReadingLimits } from './service/reading-validation.js';
import { rulesReloadFunction } from './service/rules-reload.js';
import { createRulesRuntime } from './service/rules-runtime.js';
import {
  joinWhenSiblingsAre,
  serveSupervisor,
  WORKER_INDEX_ENV,
  WorkerSupervisor,
} from './service/worker-supervisor.js';

/** What the processor's own command (no subcommand) takes, after the environment and defaults are applied. */
export interface ProcessorCliOptions {
  readonly rules: string;
  readonly bootstrapServers: string;
  readonly groupId: string;
  readonly delivery: DeliveryMode;
  readonly statsInterval: number;
  readonly commitInterval: number;
  readonly replayExtra: number;
  readonly idleAdvanceAfter: number;
  readonly instanceId: string | undefined;
  readonly workers: number;
  readonly staticMembership?: boolean;
  readonly maxFutureSkew: number;
  readonly maxDeviceIdBytes: number;
  readonly maxLabels: number;
  readonly maxLabelKeyBytes: number;
  readonly maxLabelValueBytes: number;
  readonly temperatureRange: readonly [number, number];
  readonly allowAnyKey?: boolean;
  readonly maxSensors: number;
  readonly maxOutputRecordBytes: number;
  readonly metricsPort: number;
  readonly check?: boolean;
}

const program: CliCommand = createCliProgram({
  name: 'processor',
  version: packageVersion(import.meta.url),
  description:
    'Consumes sensor readings, keeps per-sensor sliding windows, evaluates the YAML alert rules and publishes FIRING/RESOLVED alerts.',
});

program
  .addOption(cliOption('--rules <file>', 'alert rules', { env: 'RULES_FILE', default: DEFAULT_RULES_FILE }))
  .addOption(bootstrapServersOption())
  .addOption(cliOption('--group-id <id>', 'consumer group', { env: 'PROCESSOR_GROUP_ID', default: 'sensor-processor' }))
  .addOption(
    cliOption('--delivery <mode>', 'delivery guarantee', {
      env: 'PROCESSOR_DELIVERY',
      default: 'at-least-once',
      choices: ['at-least-once', 'exactly-once'],
    }),
  )
  .addOption(
    durationOption(
      '--stats-interval <duration>',
      'window stats to the stats topic at most once per this much event time per sensor and window; 0 = off',
      { env: 'PROCESSOR_STATS_INTERVAL', defaultMs: 0 },
    ),
  )
  .addOption(
    durationOption('--commit-interval <duration>', 'how often acknowledged offsets are committed', {
      env: 'PROCESSOR_COMMIT_INTERVAL',
      defaultMs: 1_000,
    }),
  )
  .addOption(
    durationOption('--replay-extra <duration>', 'extra event time replayed on rebuild for lagging device clocks', {
      env: 'PROCESSOR_REPLAY_EXTRA',
      defaultMs: 60_000,
    }),
  )
  .addOption(
    durationOption(
      '--idle-advance-after <duration>',
      'a partition caught up with the broker that received nothing for this long has its event clock advanced with the wall clock, so absence alerts fire during an outage (never during a backlog); 0 = off',
      { env: 'PROCESSOR_IDLE_ADVANCE_AFTER', defaultMs: 5_000 },
    ),
  )
  .addOption(
    cliOption(
      '--instance-id <id>',
      "this instance's slot, stable across restarts (default 0): the transactional id is <group-id>-<instance-id>, so a restarted instance fences the one it replaces; instances of one group running together need different ids",
      { env: 'PROCESSOR_INSTANCE_ID' },
    ),
  )
  .addOption(
    cliOption(
      '--workers <n>',
      'consumers of the group run by this process, each a worker process with its own Kafka clients and slot <instance-id>-w<i>; /readyz and /metrics cover them all',
      { env: 'PROCESSOR_WORKERS', default: 1, parse: wholeNumber(1, 64) },
    ),
  )
  .addOption(
    cliOption(
      '--static-membership',
      'static group membership, group.instance.id = <group-id>-<instance-id>: a restart within the session timeout keeps its partitions',
      { env: 'PROCESSOR_STATIC_MEMBERSHIP' },
    ),
  )
  .addOption(
    durationOption(
      '--max-future-skew <duration>',
      "how far ahead of this machine's clock a reading may be stamped; later ones go to the DLQ",
      { env: 'PROCESSOR_MAX_FUTURE_SKEW', defaultMs: 300_000, minMs: 1 },
    ),
  )
  .addOption(
    cliOption('--max-device-id-bytes <n>', 'longest deviceId, UTF-8 bytes', {
      env: 'PROCESSOR_MAX_DEVICE_ID_BYTES',
      default: 128,
      parse: wholeNumber(1, 1_000_000),
    }),
  )
  .addOption(
    cliOption('--max-labels <n>', 'most labels per reading', {
      env: 'PROCESSOR_MAX_LABELS',
      default: 32,
      parse: wholeNumber(0, 100_000),
    }),
  )
  .addOption(
    cliOption('--max-label-key-bytes <n>', 'longest label key', {
      env: 'PROCESSOR_MAX_LABEL_KEY_BYTES',
      default: 128,
      parse: wholeNumber(1, 1_000_000),
    }),
  )
  .addOption(
    cliOption('--max-label-value-bytes <n>', 'longest label value', {
      env: 'PROCESSOR_MAX_LABEL_VALUE_BYTES',
      default: 256,
      parse: wholeNumber(1, 1_000_000),
    }),
  )
  .addOption(
    cliOption(
      '--temperature-range <min..max>',
      'plausible temperatures, °C; cpu and memory are 0..100 % by the schema',
      {
        env: 'PROCESSOR_TEMPERATURE_RANGE',
        default: [-100, 200] as const,
        defaultText: '-100..200',
        parse: temperatureRange,
      },
    ),
  )
  .addOption(
    cliOption('--allow-any-key', 'accept readings whose record key is not their deviceId (without it: to the DLQ)', {
      env: 'PROCESSOR_ALLOW_ANY_KEY',
    }),
  )
  .addOption(
    cliOption(
      '--max-sensors <n>',
      'most sensors (device × metric) this instance holds; readings of new sensors past it go to the DLQ',
      { env: 'PROCESSOR_MAX_SENSORS', default: 200_000, parse: wholeNumber(1, 100_000_000) },
    ),
  )
  .addOption(
    cliOption(
      '--max-output-record-bytes <n>',
      "largest output record produced; a larger alert or stats record is set aside to the DLQ (librdkafka's message.max.bytes)",
      { env: 'PROCESSOR_MAX_OUTPUT_RECORD_BYTES', default: 1_000_000, parse: wholeNumber(1_024, 1_000_000_000) },
    ),
  )
  .addOption(metricsPortOption(9102))
  .addOption(cliOption('--check', 'validate the rules file and exit'))
  .addHelpText(
    'after',
    `
Topics (env): ${(['readings', 'alerts', 'stats', 'readingsDlq', 'alertState'] as const)
      .map((role) => `${TOPIC_ENV[role]} (default ${DEFAULT_TOPICS[role]})`)
      .join(', ')}.
Extra librdkafka properties: KAFKA_CONFIG_<PROPERTY> (e.g. KAFKA_CONFIG_SECURITY_PROTOCOL=ssl). Logs: LOG_LEVEL.
Exit status: 0 stopped by a signal (or --check passed), 1 failure at run time, 2 bad usage or rules file.`,
  )
  .action((options: ProcessorCliOptions) => runProcessor(options));

program
  .command('test-rules')
  .description(
    'run rules unit tests: input series in a compact notation, the alerts expected at given times (see README)',
  )
  .argument('<file...>', 'rules test files (YAML)')
  .action((files: string[]) => testRulesCommand(files, process.stdout, process.stderr));

program
  .command('backtest')
  .description(
    'replay recorded readings through a rules file, publishing nothing: the alerts it would have published (with --compare: how they differ from those published)',
  )
  .addOption(cliOption('--rules <file>', 'the rules to try', { default: DEFAULT_RULES_FILE }))
  .option('--from <time>', 'span start: an RFC 3339 time (2026-11-30T20:00:00Z) or how long ago (2h)')
  .option('--to <time>', 'span end, same forms (default: now)')
  .option('--from-offsets <partition:offset,...>', 'span start as offsets per partition, instead of --from')
  .option('--to-offsets <partition:offset,...>', 'span end as offsets per partition (exclusive), instead of --to')
  .option('--compare', 'also read the alerts topic over the span and show what differs (exit 1 when something does)')
  .option('--json', 'one JSON object per alert on stdout (the summary goes to stderr)')
  .addOption(bootstrapServersOption())
  .action((flags: BacktestFlags) => backtestCommand(flags, { stdout: process.stdout, stderr: process.stderr }));

function runProcessor(values: ProcessorCliOptions): number | undefined {
  const env = process.env;
  // the rules are checked before anything touches Kafka
  let rulesConfig;
  try {
    rulesConfig = loadRules(values.rules);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`processor: invalid rules file\n${err.message}\n`);
      return 2;
    }
    throw err;
  }
  if (values.check) {
    process.stdout.write(`${values.rules}: ${rulesConfig.rules.length} rules OK\n`);
    return 0;
  }

  const logger = createLogger({ service: 'processor' });
  if (values.workers > 1 && env[WORKER_INDEX_ENV] === undefined) {
    superviseWorkers(values.workers, values.instanceId ?? '0', values.metricsPort, logger);
    return undefined;
  }
  const kafka = kafkaSettingsWith('processor', values.bootstrapServers);
  const registry = createMetricsRegistry('processor');
  const shutdown = onShutdown(logger, { timeoutMs: 30_000 });
  const rules = createRulesRuntime(rulesConfig);
  // SIGHUP and POST /-/reload read the rules file again; a file that does not load is refused, the rules stay
  const reloader = configReloader({
    reload: rulesReloadFunction(values.rules, rules),
    logger,
    gauges: reloadGauges(registry, 'processor'),
  });
  onReloadSignal(reloader);
  const service = new ProcessorService({
    kafka,
    topics: topicNamesFromEnv(env),
    groupId: values.groupId,
    rules,
    logger,
    registry,
    delivery: values.delivery,
    statsIntervalMs: values.statsInterval,
    commitIntervalMs: values.commitInterval,
    replayExtraMs: values.replayExtra,
    idleAdvanceAfterMs: values.idleAdvanceAfter,
    limits: readingLimitsFrom(values),
    maxSensors: values.maxSensors,
    maxOutputRecordBytes: values.maxOutputRecordBytes,
    ...(values.instanceId ? { instanceId: values.instanceId } : {}),
    staticMembership: values.staticMembership === true,
    onFatal: () => void shutdown.shutdown('fatal error', 1),
    ...(env[WORKER_INDEX_ENV] !== undefined ? { beforeJoin: () => joinWhenSiblingsAre() } : {}),
  });
  logger.info(
    { rulesFile: values.rules, rules: rulesConfig.rules.map((r) => r.name), bootstrapServers: kafka.bootstrapServers },
    'rules loaded',
  );

  void (async () => {
    if (env[WORKER_INDEX_ENV] !== undefined) {
      // a worker: its supervisor serves /readyz and /metrics and asks it over IPC
      serveSupervisor(
        () => service.readiness(),
        registry,
        () => reloader.request('supervisor'),
      );
    } else {
      const ops = await startOpsServer({
        port: values.metricsPort,
        registry,
        logger,
        readiness: () => service.readiness(),
        reload: () => reloader.request('http'),
      });
      shutdown.add('ops server', () => ops.close());
    }
    shutdown.add('processor', () => service.stop());
    await service.start();
  })().catch((err: unknown) => {
    logger.error({ err }, 'processor failed to start');
    void shutdown.shutdown('start failed', 1);
  });
  return undefined;
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
  // a reload is passed on to every worker: each reads the rules file, refuses it or puts it in force, and
  // exports the reload gauges (the supervisor's /metrics shows their minimum)
  const reloader = configReloader({ reload: () => supervisor.reload(), logger });
  onReloadSignal(reloader);
  void (async () => {
    const ops = await startOpsServer({
      port: metricsPort,
      registry: supervisor.registry(),
      logger,
      readiness: () => supervisor.readiness(),
      reload: () => reloader.request('http'),
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

/** `-40..85` → [-40, 85]; MIN must be below MAX. */
function temperatureRange(text: string): readonly [number, number] {
  const range = /^(-?\d+(?:\.\d+)?)\.\.(-?\d+(?:\.\d+)?)$/.exec(text.trim());
  const [minT, maxT] = range ? [Number(range[1]), Number(range[2])] : [Number.NaN, Number.NaN];
  if (!range || !(minT < maxT)) throw new UsageError(`expected MIN..MAX with MIN < MAX, e.g. -40..85, got "${text}"`);
  return [minT, maxT];
}

/** The reading limits from their flags. */
function readingLimitsFrom(values: ProcessorCliOptions): ReadingLimits {
  return {
    ...DEFAULT_READING_LIMITS,
    maxFutureSkewMs: values.maxFutureSkew,
    maxDeviceIdBytes: values.maxDeviceIdBytes,
    maxLabels: values.maxLabels,
    maxLabelKeyBytes: values.maxLabelKeyBytes,
    maxLabelValueBytes: values.maxLabelValueBytes,
    minTemperatureCelsius: values.temperatureRange[0],
    maxTemperatureCelsius: values.temperatureRange[1],
    requireKeyMatch: values.allowAnyKey !== true,
  };
}

await runCli(program);
