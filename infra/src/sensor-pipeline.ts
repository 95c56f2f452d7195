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
import {
  bootstrapServersOption,
  cliOption,
  createCliProgram,
  createLogger,
  DEFAULT_BOOTSTRAP_SERVERS,
  DEFAULT_TOPICS,
  durationOption,
  kafkaSettingsWith,
  packageVersion,
  pipelineTopicSpecs,
  runCli,
  TOPIC_ENV,
  TOPIC_LAYOUT,
  TOPIC_ROLES,
  topicNamesFromEnv,
  UsageError,
  wholeNumber,
} from '@sensor-pipeline/shared';
import { createPipelineTopics } from './create-pipeline-topics.js';
import { plainView, ttyView } from './launcher/live-view.js';
import { runPipeline } from './launcher/run-pipeline.js';
import { addUpOptions, UP_DESCRIPTION, UP_SUMMARY, upOptionsFrom } from './launcher/up-options.js';
import { DEFAULT_PORTS, pipelineServices } from './pipeline-services.js';
import { TAIL_TOPICS, type TailTopic } from './tail/record-formatter.js';
import { tailTopic } from './tail/tail-topic.js';

/** The repository root (also /app in the image): infra/dist/.. /.. */
const REPO_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

const TOPICS_HELP = `
Topic names (env): ${TOPIC_ROLES.map((role) => `${TOPIC_ENV[role]} (default ${DEFAULT_TOPICS[role]})`).join(', ')}.
Kafka client properties: KAFKA_CONFIG_<PROPERTY>.`;

const program = createCliProgram({
  name: 'sensor-pipeline',
  version: packageVersion(import.meta.url),
  description: 'Run and inspect the whole pipeline.',
});
program.addHelpText('after', TOPICS_HELP);

addUpOptions(program.command('up').summary(UP_SUMMARY).description(UP_DESCRIPTION)).action(async (flags) => {
  const options = upOptionsFrom(flags, process.env, REPO_DIR);
  const tty = process.stdout.isTTY && !options.plain;
  const view = tty ? ttyView(process.stdout) : plainView(process.stdout, options.plainIntervalMs);
  return runPipeline({ ...options, repoDir: REPO_DIR, view, env: process.env });
});

program
  .command('topics')
  .description("create the pipeline's topics (compose's one-shot initializer runs this)")
  .addOption(bootstrapServersOption())
  .addOption(
    cliOption('--replication-factor <n>', 'replication factor of every topic', {
      env: 'TOPIC_REPLICATION_FACTOR',
      default: 1,
      parse: wholeNumber(1, 1_000),
    }),
  )
  .addOption(cliOption('--describe', 'print the topics, partitions and settings; create nothing'))
  .addHelpText('after', TOPICS_HELP)
  .action(async (values: { bootstrapServers: string; replicationFactor: number; describe?: boolean }) => {
    const names = topicNamesFromEnv();
    const specs = pipelineTopicSpecs(names, { replicationFactor: values.replicationFactor });
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
    const settings = kafkaSettingsWith('sensor-pipeline-topics', values.bootstrapServers);
    const report = await createPipelineTopics(settings, specs, names, logger, { timeoutMs: 60_000 });
    logger.info(
      { bootstrapServers: settings.bootstrapServers, created: report.created, existing: report.existing },
      report.created.length ? 'topics created' : 'topics already present',
    );
    for (const warning of report.warnings) logger.warn(warning);
    return 0;
  });

interface TailFlags {
  readonly json?: boolean;
  readonly fromBeginning?: boolean;
  readonly group?: string;
  readonly max?: number;
  readonly idleTimeout?: number;
  readonly readUncommitted?: boolean;
  readonly bootstrapServers: string;
}

program
  .command('tail')
  .description('print decoded records of a pipeline topic')
  .argument('<topic>', `which one: ${Object.keys(TAIL_TOPICS).join(', ')}`)
  .addOption(cliOption('--json', 'one JSON object per line'))
  .addOption(cliOption('--from-beginning', 'from the oldest record kept (default: only new records)'))
  .addOption(
    cliOption('--group <id>', 'read as this consumer group, committing (default: no group, nothing committed)'),
  )
  .addOption(cliOption('--max <n>', 'stop after N records (default: no limit)', { parse: wholeNumber(1) }))
  .addOption(
    durationOption(
      '--idle-timeout <duration>',
      'stop once no record has arrived for this long (default: none, run until Ctrl-C)',
      { env: 'TAIL_IDLE_TIMEOUT', minMs: 1 },
    ),
  )
  .addOption(cliOption('--read-uncommitted', 'also records of transactions not committed (yet)'))
  .addOption(bootstrapServersOption())
  .addHelpText('after', TOPICS_HELP)
  .action(async (kind: string, values: TailFlags) => {
    if (!(kind in TAIL_TOPICS))
      throw new UsageError(`tail: unknown topic "${kind}"; expected one of: ${Object.keys(TAIL_TOPICS).join(', ')}`);
    let stop!: () => void;
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    process.once('SIGINT', () => stop());
    process.once('SIGTERM', () => stop());
    const printed = await tailTopic({
      kind: kind as TailTopic,
      settings: kafkaSettingsWith('sensor-pipeline-tail', values.bootstrapServers),
      topics: topicNamesFromEnv(),
      json: values.json === true,
      fromBeginning: values.fromBeginning === true,
      ...(values.group ? { group: values.group } : {}),
      ...(values.max !== undefined ? { max: values.max } : {}),
      ...(values.idleTimeout !== undefined ? { idleTimeoutMs: values.idleTimeout } : {}),
      readUncommitted: values.readUncommitted === true,
      write: (line) => process.stdout.write(`${line}\n`),
      stop: stopped,
    });
    if (!values.json) process.stderr.write(`${printed} record${printed === 1 ? '' : 's'}\n`);
    return 0;
  });

program
  .command('services')
  .description('how each service is started (command, environment, ops port)')
  .addOption(cliOption('--json', 'as JSON'))
  .action((values: { json?: boolean }) => services(values.json === true));

function services(json: boolean): number {
  const specs = pipelineServices({
    bootstrapServers: process.env['KAFKA_BOOTSTRAP_SERVERS'] || DEFAULT_BOOTSTRAP_SERVERS,
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

await runCli(program);
