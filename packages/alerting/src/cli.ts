#!/usr/bin/env node
/**
 * The `alerting` command.
 *
 *   alerting [run] [--config FILE] [--metrics-port N]   consume alerts and deliver webhooks (default)
 *   alerting check [--config FILE]                      validate the config and print receivers and routes
 *   alerting redrive [--config FILE] [--receiver NAME] [--since TIME] [--until TIME] [--id EVENT_ID]... [--dry-run]
 *                                                       re-send deliveries DLQ records through the retry topic
 *   alerting silence add --match M [--match M]... --for 2h [--comment TEXT] [--author NAME]
 *   alerting silence list [--all] | alerting silence expire ID
 *                                                       silences, in the silences topic every instance reads
 *   alerting sink [--port 9000] [--host H] [--secret-env SINK_SECRET] [--tolerance 5m] [--json] [--insecure]
 *                                                       a webhook receiver that verifies signatures and prints alerts
 *
 * Built with the shared CLI builder: every command answers --help and --version; each option's environment
 * variable (ALERTING_CONFIG, KAFKA_BOOTSTRAP_SERVERS, METRICS_PORT, SINK_PORT, ...) is shown in its help.
 * Also read: KAFKA_CONFIG_*, the topic variables, LOG_LEVEL. Exit status: 0 done, 1 failure at run time,
 * 2 bad usage or config (before touching Kafka).
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
  durationOption,
  exitStatusOf,
  ignoreReloadSignal,
  isRetriable,
  kafkaSettingsWith,
  metricsPortOption,
  onReloadSignal,
  onShutdown,
  packageVersion,
  parseDuration,
  portNumber,
  type ReadinessReport,
  reloadGauges,
  repeatableOption,
  runCli,
  startOpsServer,
  topicNamesFromEnv,
  UsageError,
} from '@sensor-pipeline/shared';
import type { AlertingConfig } from './config/alerting-config.js';
import { describeReceiver } from './config/describe-receiver.js';
import { loadAlertingConfig } from './config/load-alerting-config.js';
import { writeRetryDelayMs } from './delivery/write-retry-delay.js';
import { redriveDeliveries } from './redrive/redrive-deliveries.js';
import { type RouteSpec, routeReceivers } from './routing/route-tree.js';
import { createAlertingMetrics } from './service/alerting-metrics.js';
import { type AlertingService, startAlertingService } from './service/alerting-service.js';
import { DEFAULT_TOLERANCE_MS } from './signing/verify-webhook.js';
import { parseSilenceMatcher, type Silence, SilenceSet } from './silences/silence-set.js';
import { loadSilences, silencesTopicFromEnv, writeSilence } from './silences/silence-store.js';
import { startWebhookSink } from './sink/webhook-sink.js';

const DEFAULT_CONFIG_FILE = 'config/alerting.yaml';

interface ConfigFlags {
  readonly config: string;
}
interface KafkaFlags {
  readonly bootstrapServers: string;
}

const program: CliCommand = createCliProgram({
  name: 'alerting',
  version: packageVersion(import.meta.url),
  description: 'Routes alerts from Kafka to signed, retried webhooks (run is the default command).',
});
program.defaultSubcommand = 'run';
program.addHelpText(
  'after',
  `
Environment (each command's --help shows which it reads): ALERTING_CONFIG, KAFKA_BOOTSTRAP_SERVERS,
METRICS_PORT (run), SINK_PORT, SINK_HOST, SINK_TOLERANCE, SINK_SECRET (sink); topics ALERTS_TOPIC,
DELIVERIES_DLQ_TOPIC, DELIVERIES_RETRY_TOPIC, SILENCES_TOPIC; Kafka client properties KAFKA_CONFIG_<PROPERTY>;
LOG_LEVEL; receivers' secrets in the variables config/alerting.yaml names.
Exit status: 0 done, 1 failure at run time, 2 bad usage or config (before touching Kafka).`,
);

const configOption = () =>
  cliOption('-c, --config <file>', 'alerting config (receivers, routes, grouping)', {
    env: 'ALERTING_CONFIG',
    default: DEFAULT_CONFIG_FILE,
  });

program
  .command('run')
  .description('consume alerts and deliver webhooks')
  .addOption(configOption())
  .addOption(bootstrapServersOption())
  .addOption(metricsPortOption(9466))
  .action((o: ConfigFlags & KafkaFlags & { metricsPort: number }) => run(o));
program
  .command('check')
  .description('validate the config and print receivers and routes')
  .addOption(configOption())
  .action((o: ConfigFlags) => check(o));
program
  .command('redrive')
  .description('re-send deliveries DLQ records through the retry topic')
  .addOption(configOption())
  .addOption(bootstrapServersOption())
  .option('--receiver <name>', 'only the dead letters of this receiver')
  .option('--since <time>', 'only dead letters from this time: an ISO date (2025-01-15T10:00:00Z) or how long ago (2h)')
  .option('--until <time>', 'only dead letters up to this time (same forms as --since)')
  .addOption(repeatableOption('--id <event-id>', 'only this alert event (repeatable)'))
  .option('--dry-run', 'count what would be redriven, write nothing')
  .action((o: RedriveFlags) => redrive(o));

const silenceCommand = program.command('silence').description('silences, in the silences topic every instance reads');
silenceCommand
  .command('add')
  .description('mute the alerts all the matchers match, for a while')
  .addOption(
    repeatableOption(
      '-m, --match <matcher>',
      'a matcher (repeatable): rule=device-silent, device=site-a/*, severity!=info, device=~"site-(a|b)/.*"',
    ),
  )
  .addOption(durationOption('--for <duration>', 'how long the silence lasts, e.g. 2h', { minMs: 1 }))
  .option('--comment <text>', 'why')
  .option('--author <name>', 'who (default: $USER)')
  .addOption(bootstrapServersOption())
  .action((o: SilenceAddFlags) => silenceAdd(o));
silenceCommand
  .command('list')
  .description('the silences in force (with --all, expired ones too)')
  .option('--all', 'expired silences too')
  .addOption(bootstrapServersOption())
  .action((o: KafkaFlags & { all?: boolean }) => silenceList(o));
silenceCommand
  .command('expire')
  .description('end a silence now')
  .argument('<id>', 'the silence (see alerting silence list --all)')
  .addOption(bootstrapServersOption())
  .action((id: string, o: KafkaFlags) => silenceExpire(id, o));
program
  .command('sink')
  .description('a webhook receiver that verifies signatures and prints alerts')
  .addOption(
    cliOption('-p, --port <port>', 'port to listen on', { env: 'SINK_PORT', default: 9000, parse: portNumber }),
  )
  .addOption(cliOption('--host <host>', 'address to listen on', { env: 'SINK_HOST', default: '127.0.0.1' }))
  .addOption(
    cliOption('--secret-env <name>', 'the environment variable holding the signing secret(s), whsec_<base64>', {
      default: 'SINK_SECRET',
    }),
  )
  .addOption(
    durationOption('--tolerance <duration>', "how far a request's webhook-timestamp may be from now", {
      env: 'SINK_TOLERANCE',
      defaultMs: DEFAULT_TOLERANCE_MS,
    }),
  )
  .option('--json', 'print each alert as a JSON line')
  .option('--insecure', 'accept unsigned requests')
  .action((o: SinkFlags) => sink(o));

async function loadOrExit(file: string): Promise<AlertingConfig> {
  try {
    return await loadAlertingConfig(file);
  } catch (err) {
    if (err instanceof ConfigError || (err as { code?: string }).code === 'CONFIG_INVALID') {
      process.stderr.write(`alerting: invalid configuration\n${(err as Error).message}\n`);
      process.exit(exitStatusOf(err));
    }
    throw err;
  }
}

async function run(flags: ConfigFlags & KafkaFlags & { metricsPort: number }): Promise<number> {
  const file = flags.config;
  const port = flags.metricsPort;
  const config = await loadOrExit(file); // exits 2 on a config error, before any Kafka client exists

  const logger = createLogger({ service: 'alerting' });
  const registry = createMetricsRegistry('alerting');
  const metrics = createAlertingMetrics(registry);
  const shutdown = onShutdown(logger, { timeoutMs: config.shutdown.drainTimeoutMs + 20_000 });
  let service: AlertingService | undefined;
  const ops = await startOpsServer({
    port,
    registry,
    logger,
    readiness: (): ReadinessReport => service?.readiness() ?? { ready: false, details: { reason: 'starting' } },
  });
  shutdown.add('ops-server', () => ops.close());
  // SIGHUP and POST /-/reload read the file again; one that fails validation is refused and the old one stays
  const reloader = configReloader({
    logger,
    gauges: reloadGauges(registry, 'alerting'),
    reload: async () => {
      if (!service) throw new Error('the service is still starting; nothing reloaded');
      return service.reload(await loadAlertingConfig(file));
    },
  });
  ops.setReload(() => reloader.request('http'));
  shutdown.add('reload-signal', onReloadSignal(reloader));
  logger.info(
    {
      config: file,
      receivers: config.receivers.map((r) => ({
        name: r.name,
        ...(r.type === 'alertmanager' ? { type: r.type } : { format: r.format }),
        signed: r.signingKeys.count > 0,
      })),
    },
    'configuration loaded',
  );
  // a broker that is not there yet is waited out with backoff; Ctrl-C still stops at once
  for (let attempt = 1; service === undefined; attempt++) {
    try {
      service = await startAlertingService({
        config,
        kafka: kafkaSettingsWith('alerting', flags.bootstrapServers),
        logger,
        metrics,
      });
    } catch (err) {
      if (shutdown.stopping) return new Promise<number>(() => undefined); // onShutdown exits
      const retriable =
        isRetriable(err) || /timed? ?out|connect|broker|transport/i.test(String((err as Error)?.message));
      if (!retriable) {
        logger.error({ err }, 'starting the alerting service failed');
        await shutdown.shutdown('startup failed', 1);
        return 1;
      }
      const delayMs = writeRetryDelayMs(attempt);
      logger.warn({ err, attempt, delayMs }, 'cannot start yet (is the broker reachable?); retrying');
      const stoppedFirst = await Promise.race([
        shutdown.stopped.then(() => true),
        new Promise<false>((r) => setTimeout(() => r(false), delayMs)),
      ]);
      if (stoppedFirst) return new Promise<number>(() => undefined); // onShutdown exits
    }
  }
  const running = service;
  shutdown.add('alerting', () => running.stop());
  await shutdown.stopped;
  return new Promise<number>(() => undefined); // onShutdown exits the process when its steps are done
}

async function check(flags: ConfigFlags): Promise<number> {
  const file = flags.config;
  const config = await loadOrExit(file);
  const out: string[] = [`${file}: OK`, 'receivers:'];
  for (const r of config.receivers) out.push(describeReceiver(r));
  out.push('routes:');
  const print = (route: RouteSpec, depth: number, inherited?: string): void => {
    const receiver = route.receiver ?? inherited;
    const match = depth === 0 ? 'default' : JSON.stringify(route.match ?? {});
    out.push(`${'  '.repeat(depth + 1)}${match} → ${receiver ?? '?'}${route.continue ? ' (continue)' : ''}`);
    for (const child of route.routes ?? []) print(child, depth + 1, receiver);
  };
  print(config.route, 0);
  const used = new Set(routeReceivers(config.route));
  const unused = config.receivers.filter((r) => !used.has(r.name)).map((r) => r.name);
  if (unused.length > 0) out.push(`warning: receivers no route reaches: ${unused.join(', ')}`);
  process.stdout.write(`${out.join('\n')}\n`);
  return 0;
}

interface RedriveFlags extends ConfigFlags, KafkaFlags {
  readonly receiver?: string;
  readonly since?: string;
  readonly until?: string;
  readonly id?: string[];
  readonly dryRun?: boolean;
}

async function redrive(values: RedriveFlags): Promise<number> {
  const nowMs = Date.now();
  const time = (flag: string, text: string | undefined): number | undefined => {
    if (text === undefined) return undefined;
    if (/^\d{4}-\d{2}-\d{2}/.test(text)) {
      const ms = Date.parse(text);
      if (Number.isNaN(ms)) throw new UsageError(`--${flag}: not a date: "${text}"`);
      return ms;
    }
    try {
      return nowMs - parseDuration(text);
    } catch (err) {
      throw new UsageError(`--${flag}: expected an ISO date or how long ago (e.g. 2h): ${(err as Error).message}`);
    }
  };
  const config = await loadOrExit(values.config);
  if (values.receiver !== undefined && !config.receivers.some((r) => r.name === values.receiver))
    throw new UsageError(
      `--receiver: unknown receiver "${values.receiver}"; expected one of: ${config.receivers.map((r) => r.name).join(', ')}`,
    );
  const sinceMs = time('since', values.since);
  const untilMs = time('until', values.until);
  const names = topicNamesFromEnv();
  const logger = createLogger({ service: 'alerting-redrive', destination: process.stderr as never, level: 'warn' });
  const result = await redriveDeliveries({
    kafka: kafkaSettingsWith('alerting-redrive', values.bootstrapServers),
    logger,
    config,
    topics: { deliveriesDlq: names.deliveriesDlq, deliveriesRetry: names.deliveriesRetry },
    filter: {
      ...(values.receiver !== undefined ? { receiver: values.receiver } : {}),
      ...(sinceMs !== undefined ? { sinceMs } : {}),
      ...(untilMs !== undefined ? { untilMs } : {}),
      ...(values.id ? { eventIds: values.id } : {}),
    },
    dryRun: values.dryRun ?? false,
    onProgress: (p) =>
      process.stderr.write(
        `${names.deliveriesDlq}[${p.partition}]: scanned ${p.scanned}, matched ${p.matched}, ${values.dryRun ? 'would redrive' : 'redriven'} ${p.redriven}\n`,
      ),
  });
  process.stdout.write(
    `${values.dryRun ? 'dry run: ' : ''}scanned ${result.scanned} dead letters, matched ${result.matched}, ${values.dryRun ? 'would write' : 'wrote'} ${result.redriven} to ${names.deliveriesRetry}${result.unknownReceiver > 0 ? `, ${result.unknownReceiver} skipped (receiver no longer configured)` : ''}\n`,
  );
  return 0;
}

interface SilenceAddFlags extends KafkaFlags {
  readonly match?: string[];
  readonly for?: number;
  readonly comment?: string;
  readonly author?: string;
}

/** What every silence command shares: the topic, the client settings, a quiet logger and "now". */
function silenceContext(flags: KafkaFlags) {
  const nowMs = Date.now();
  return {
    topic: silencesTopicFromEnv(),
    kafka: kafkaSettingsWith('alerting-silence', flags.bootstrapServers),
    logger: createLogger({ service: 'alerting-silence', destination: process.stderr as never, level: 'warn' }),
    nowMs,
    describe: (s: Silence): string =>
      `${s.id}  ${s.matchers.join(' ')}  ${new Date(s.startsAt).toISOString()} → ${new Date(s.endsAt).toISOString()}${s.endsAt <= nowMs ? ' (expired)' : ''}  ${s.createdBy}${s.comment ? `: ${s.comment}` : ''}`,
  };
}

async function silenceAdd(values: SilenceAddFlags): Promise<number> {
  const matchers = values.match ?? [];
  if (matchers.length === 0) throw new UsageError('silence add: at least one --match, e.g. --match rule=device-silent');
  for (const m of matchers) {
    try {
      parseSilenceMatcher(m);
    } catch (err) {
      throw new UsageError(`--match: ${(err as Error).message}`);
    }
  }
  if (values.for === undefined) throw new UsageError('silence add: --for is required, e.g. --for 2h');
  const { topic, kafka, logger, nowMs } = silenceContext(values);
  const created: Silence = {
    id: `sil_${nowMs.toString(36)}${Math.random().toString(36).slice(2, 8)}`,
    matchers,
    startsAt: nowMs,
    endsAt: nowMs + values.for,
    createdBy: values.author ?? process.env['USER'] ?? 'alerting',
    comment: values.comment ?? '',
  };
  await writeSilence(kafka, logger, topic, created);
  process.stdout.write(`${created.id}\n`);
  return 0;
}

async function silenceList(values: KafkaFlags & { all?: boolean }): Promise<number> {
  const { topic, kafka, nowMs, describe } = silenceContext(values);
  const set = new SilenceSet();
  await loadSilences(kafka, topic, set).catch(() => 0); // no topic yet: no silences
  const list = values.all ? set.all() : set.active(nowMs);
  if (list.length === 0) process.stdout.write(values.all ? 'no silences\n' : 'no active silences\n');
  for (const s of list) process.stdout.write(`${describe(s)}\n`);
  return 0;
}

async function silenceExpire(id: string, values: KafkaFlags): Promise<number> {
  const { topic, kafka, logger, nowMs } = silenceContext(values);
  const set = new SilenceSet();
  await loadSilences(kafka, topic, set).catch(() => 0);
  const found = set.get(id);
  if (!found) throw new UsageError(`silence expire: no silence ${id} (see alerting silence list --all)`);
  await writeSilence(kafka, logger, topic, { ...found, endsAt: Math.min(found.endsAt, nowMs) });
  process.stdout.write(`expired ${id}\n`);
  return 0;
}

interface SinkFlags {
  readonly port: number;
  readonly host: string;
  readonly secretEnv: string;
  readonly tolerance: number;
  readonly json?: boolean;
  readonly insecure?: boolean;
}

async function sink(values: SinkFlags): Promise<number> {
  const port = values.port;
  const secretEnv = values.secretEnv;
  const secrets = process.env[secretEnv];
  if (!secrets && !values.insecure)
    throw new UsageError(
      `the sink verifies signatures with the secret in $${secretEnv}; set it (whsec_<base64>) or pass --insecure to accept unsigned requests`,
    );
  const toleranceMs = values.tolerance;
  const logger = createLogger({ service: 'alerting-sink', destination: process.stderr as never });
  ignoreReloadSignal(logger.child({ component: 'cli' })); // nothing to reload; survives the launcher's SIGHUP
  let server;
  try {
    server = await startWebhookSink({
      port,
      host: values.host,
      ...(secrets && !values.insecure ? { secrets } : {}),
      toleranceMs,
      output: values.json ? 'json' : 'human',
      print: (line) => process.stdout.write(`${line}\n`),
      logger,
      keep: 1_000,
    });
  } catch (err) {
    if (err instanceof RangeError) throw new UsageError(`$${secretEnv}: ${err.message}`);
    throw err;
  }
  const running = server;
  process.stderr.write(
    `webhook sink on ${running.url} (POST any path; GET /healthz, /stats)${secrets && !values.insecure ? ', verifying signatures' : ', NOT verifying signatures'}\n`,
  );
  const shutdown = onShutdown(logger, { timeoutMs: 5_000 });
  shutdown.add('sink', async () => {
    await running.close();
    process.stderr.write(`sink stopped: ${JSON.stringify(running.counts())}\n`);
  });
  await shutdown.stopped;
  return new Promise<number>(() => undefined);
}

await runCli(program);
