#!/usr/bin/env node
/**
 * `sensor-pipeline` — run and inspect the whole pipeline.
 *
 *   sensor-pipeline up [options]          broker + topics + sink, alerting, processor, simulator; Ctrl-C stops all
 *   sensor-pipeline topics [options]      create the pipeline's topics (compose's one-shot initializer runs this)
 *   sensor-pipeline tail <topic> [...]    print decoded records of alerts | stats | dlq | deliveries-dlq
 *   sensor-pipeline services [--json]     how each service is started (the spec the launcher and compose share)
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  asUsageError,
  createLogger,
  exitStatusOf,
  kafkaSettingsFromEnv,
  parseDuration,
  pipelineTopicSpecs,
  TOPIC_LAYOUT,
  TOPIC_ROLES,
  topicNamesFromEnv,
  UsageError,
} from '@sensor-pipeline/shared';
import { createPipelineTopics } from './create-pipeline-topics.js';
import { plainView, ttyView } from './launcher/live-view.js';
import { runPipeline } from './launcher/run-pipeline.js';
import { parseUpOptions, UP_USAGE } from './launcher/up-options.js';
import { DEFAULT_PORTS, pipelineServices } from './pipeline-services.js';
import { TAIL_TOPICS, type TailTopic } from './tail/record-formatter.js';
import { tailTopic } from './tail/tail-topic.js';

/** The repository root (also /app in the image): infra/dist/.. /.. */
const REPO_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

const USAGE = `usage: sensor-pipeline <command> [options]

  up                      start the whole pipeline with a live view (sensor-pipeline up --help)
  topics                  create the pipeline's topics: [--bootstrap-servers H:P] [--replication-factor N] [--describe]
  tail <topic>            print decoded records; <topic> is alerts, stats, dlq or deliveries-dlq:
                          [--json] [--from-beginning] [--group G] [--max N] [--idle-timeout 10s] [--bootstrap-servers H:P]
  services                how each service is started (command, environment, ops port): [--json]

Kafka: KAFKA_BOOTSTRAP_SERVERS (default 127.0.0.1:9092) and KAFKA_CONFIG_* properties; topic names from
READINGS_TOPIC, ALERTS_TOPIC, STATS_TOPIC, READINGS_DLQ_TOPIC, ALERT_STATE_TOPIC, DELIVERIES_DLQ_TOPIC.`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'up':
      return up(rest);
    case 'topics':
      return topics(rest);
    case 'tail':
      return tail(rest);
    case 'services':
      return services(rest);
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      console.log(USAGE);
      return command === undefined ? 2 : 0;
    default:
      console.error(`unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

async function up(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(UP_USAGE);
    return 0;
  }
  const options = parseUpOptions(argv, process.env, REPO_DIR);
  const tty = process.stdout.isTTY && !options.plain;
  const view = tty ? ttyView(process.stdout) : plainView(process.stdout, options.plainIntervalMs);
  return runPipeline({ ...options, repoDir: REPO_DIR, view, env: process.env });
}

function kafkaSettings(bootstrapServers: string | undefined, clientId: string) {
  const settings = kafkaSettingsFromEnv(clientId);
  return bootstrapServers ? { ...settings, bootstrapServers } : settings;
}

async function topics(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'bootstrap-servers': { type: 'string' },
      'replication-factor': { type: 'string', default: process.env['TOPIC_REPLICATION_FACTOR'] ?? '1' },
      describe: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log('usage: sensor-pipeline topics [--bootstrap-servers H:P] [--replication-factor N] [--describe]');
    return 0;
  }
  const names = topicNamesFromEnv();
  const replicationFactor = Number(values['replication-factor']);
  if (!Number.isInteger(replicationFactor) || replicationFactor < 1)
    throw new UsageError(`--replication-factor expects a positive integer, got "${values['replication-factor']}"`);
  const specs = pipelineTopicSpecs(names, { replicationFactor });
  if (values.describe) {
    for (const role of TOPIC_ROLES) {
      const spec = specs.find((s) => s.topic === names[role])!;
      console.log(
        `${spec.topic.padEnd(24)} ${String(spec.numPartitions).padStart(2)} partitions  ${Object.entries(
          spec.config ?? {},
        )
          .map(([k, v]) => `${k}=${v}`)
          .join(' ')}  — ${TOPIC_LAYOUT[role].purpose}`,
      );
    }
    return 0;
  }
  const logger = createLogger({ service: 'sensor-pipeline-topics' });
  const settings = kafkaSettings(values['bootstrap-servers'], 'sensor-pipeline-topics');
  const report = await createPipelineTopics(settings, specs, names, logger, { timeoutMs: 60_000 });
  logger.info(
    { bootstrapServers: settings.bootstrapServers, created: report.created, existing: report.existing },
    report.created.length ? 'topics created' : 'topics already present',
  );
  for (const warning of report.warnings) logger.warn(warning);
  return 0;
}

async function tail(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      'from-beginning': { type: 'boolean', default: false },
      group: { type: 'string' },
      max: { type: 'string' },
      'idle-timeout': { type: 'string' },
      'read-uncommitted': { type: 'boolean', default: false },
      'bootstrap-servers': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const kind = positionals[0];
  if (values.help || !kind || !(kind in TAIL_TOPICS)) {
    console.error(
      `usage: sensor-pipeline tail <${Object.keys(TAIL_TOPICS).join('|')}> [--json] [--from-beginning] [--group G] [--max N] [--idle-timeout 10s] [--read-uncommitted]`,
    );
    return values.help ? 0 : 2;
  }
  const max = values.max === undefined ? undefined : Number(values.max);
  if (max !== undefined && (!Number.isInteger(max) || max < 1))
    throw new UsageError(`--max expects a positive integer, got "${values.max}"`);
  let idleTimeoutMs: number | undefined;
  try {
    idleTimeoutMs = values['idle-timeout'] === undefined ? undefined : parseDuration(values['idle-timeout']);
  } catch (err) {
    throw new UsageError(`--idle-timeout: ${(err as Error).message}`, { cause: err });
  }
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  process.once('SIGINT', () => stop());
  process.once('SIGTERM', () => stop());
  const printed = await tailTopic({
    kind: kind as TailTopic,
    settings: kafkaSettings(values['bootstrap-servers'], 'sensor-pipeline-tail'),
    topics: topicNamesFromEnv(),
    json: values.json,
    fromBeginning: values['from-beginning'],
    ...(values.group ? { group: values.group } : {}),
    ...(max !== undefined ? { max } : {}),
    ...(idleTimeoutMs !== undefined ? { idleTimeoutMs } : {}),
    readUncommitted: values['read-uncommitted'],
    write: (line) => process.stdout.write(`${line}\n`),
    stop: stopped,
  });
  if (!values.json) process.stderr.write(`${printed} record${printed === 1 ? '' : 's'}\n`);
  return 0;
}

function services(argv: string[]): number {
  const json = argv.includes('--json');
  const specs = pipelineServices({
    bootstrapServers: process.env['KAFKA_BOOTSTRAP_SERVERS'] || '127.0.0.1:9092',
    topics: topicNamesFromEnv(),
    ports: DEFAULT_PORTS,
    hostOf: () => '127.0.0.1',
    listenHost: '127.0.0.1',
    sinkSecret: '${SINK_SECRET}',
  });
  if (json) {
    console.log(JSON.stringify(specs, null, 2));
    return 0;
  }
  for (const spec of specs) {
    console.log(
      `${spec.name} — ${spec.description}\n  ${spec.command.join(' ')}\n  ${Object.entries(spec.env)
        .map(([k, v]) => `${k}=${v}`)
        .join(
          ' ',
        )}\n  ready: http://127.0.0.1:${spec.opsPort}${spec.readyPath}${spec.metrics ? `, metrics: http://127.0.0.1:${spec.opsPort}/metrics` : ''}\n`,
    );
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`sensor-pipeline: ${(asUsageError(err) ?? (err as Error)).message}`);
    process.exit(exitStatusOf(err));
  },
);
