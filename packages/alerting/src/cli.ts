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
 * Environment: ALERTING_CONFIG (default config/alerting.yaml), KAFKA_BOOTSTRAP_SERVERS, KAFKA_CONFIG_*,
 * ALERTS_TOPIC, DELIVERIES_DLQ_TOPIC, METRICS_PORT (default 9466), LOG_LEVEL; for the sink SINK_PORT,
 * SINK_SECRET. Exit status: 0 done, 1 failure at run time, 2 bad usage or config (before touching Kafka).
 */
import { parseArgs } from 'node:util';
import {
  asUsageError,
  ConfigError,
  createLogger,
  createMetricsRegistry,
  exitStatusOf,
  isRetriable,
  kafkaSettingsFromEnv,
  onShutdown,
  parseDuration,
  type ReadinessReport,
  startOpsServer,
  topicNamesFromEnv,
  UsageError,
} from '@sensor-pipeline/shared';
import type { AlertingConfig } from './config/alerting-config.js';
import { loadAlertingConfig } from './config/load-alerting-config.js';
import { redriveDeliveries } from './redrive/redrive-deliveries.js';
import { type RouteSpec, routeReceivers } from './routing/route-tree.js';
import { createAlertingMetrics } from './service/alerting-metrics.js';
import { type AlertingService, startAlertingService } from './service/alerting-service.js';
import { parseSilenceMatcher, type Silence, SilenceSet } from './silences/silence-set.js';
import { loadSilences, silencesTopicFromEnv, writeSilence } from './silences/silence-store.js';
import { startWebhookSink } from './sink/webhook-sink.js';

const USAGE = `usage:
  alerting [run] [--config FILE] [--metrics-port N]
  alerting check [--config FILE]
  alerting redrive [--config FILE] [--receiver NAME] [--since TIME] [--until TIME] [--id EVENT_ID]... [--dry-run]
      TIME: an ISO date (2025-01-15T10:00:00Z) or how long ago (2h)
  alerting silence add --match M [--match M]... --for 2h [--comment TEXT] [--author NAME]
      M: rule=device-silent, device=site-a/*, severity!=info, device=~"site-(a|b)/.*"
  alerting silence list [--all]
  alerting silence expire ID
  alerting sink [--port 9000] [--host 127.0.0.1] [--secret-env SINK_SECRET] [--tolerance 5m] [--json] [--insecure]
`;

async function main(argv: string[]): Promise<number> {
  const command = argv[0] && !argv[0].startsWith('-') ? argv[0] : 'run';
  const rest = argv[0] && !argv[0].startsWith('-') ? argv.slice(1) : argv;
  switch (command) {
    case 'run':
      return run(rest);
    case 'check':
      return check(rest);
    case 'sink':
      return sink(rest);
    case 'redrive':
      return redrive(rest);
    case 'silence':
      return silence(rest);
    case 'help':
      process.stdout.write(USAGE);
      return 0;
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

function configFlags(args: string[]) {
  const { values } = parseArgs({
    args,
    options: { config: { type: 'string', short: 'c' }, 'metrics-port': { type: 'string' } },
    strict: true,
  });
  return {
    file: values.config ?? process.env['ALERTING_CONFIG'] ?? 'config/alerting.yaml',
    metricsPort: values['metrics-port'] ?? process.env['METRICS_PORT'] ?? '9466',
  };
}

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

async function run(args: string[]): Promise<number> {
  const { file, metricsPort } = configFlags(args);
  const port = Number(metricsPort);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new UsageError(`--metrics-port must be a port number, got "${metricsPort}"`);
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
  logger.info(
    {
      config: file,
      receivers: config.receivers.map((r) => ({ name: r.name, format: r.format, signed: r.signingKeys.count > 0 })),
    },
    'configuration loaded',
  );
  // a broker that is not there yet is waited out with backoff; Ctrl-C still stops at once
  for (let attempt = 1; service === undefined; attempt++) {
    try {
      service = await startAlertingService({ config, kafka: kafkaSettingsFromEnv('alerting'), logger, metrics });
    } catch (err) {
      if (shutdown.stopping) return new Promise<number>(() => undefined); // onShutdown exits
      const retriable =
        isRetriable(err) || /timed? ?out|connect|broker|transport/i.test(String((err as Error)?.message));
      if (!retriable) {
        logger.error({ err }, 'starting the alerting service failed');
        await shutdown.shutdown('startup failed', 1);
        return 1;
      }
      const delayMs = Math.min(30_000, 1_000 * 2 ** Math.min(attempt - 1, 5));
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

async function check(args: string[]): Promise<number> {
  const { file } = configFlags(args);
  const config = await loadOrExit(file);
  const out: string[] = [`${file}: OK`, 'receivers:'];
  for (const r of config.receivers) {
    out.push(
      `  ${r.name}: ${r.format} → ${new URL(r.url).origin}${new URL(r.url).pathname} (${r.signingKeys.count > 0 ? `signed, ${r.signingKeys.count} key${r.signingKeys.count === 1 ? '' : 's'}` : 'unsigned'}, timeout ${r.timeoutMs} ms, concurrency ${r.concurrency}, ${r.retry.maxAttempts} attempts${r.allowPrivateNetwork ? ', private network allowed' : ''})`,
    );
  }
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

async function redrive(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      config: { type: 'string', short: 'c' },
      receiver: { type: 'string' },
      since: { type: 'string' },
      until: { type: 'string' },
      id: { type: 'string', multiple: true },
      'dry-run': { type: 'boolean' },
    },
    strict: true,
  });
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
  const file = values.config ?? process.env['ALERTING_CONFIG'] ?? 'config/alerting.yaml';
  const config = await loadOrExit(file);
  if (values.receiver !== undefined && !config.receivers.some((r) => r.name === values.receiver))
    throw new UsageError(
      `--receiver: unknown receiver "${values.receiver}"; expected one of: ${config.receivers.map((r) => r.name).join(', ')}`,
    );
  const sinceMs = time('since', values.since);
  const untilMs = time('until', values.until);
  const names = topicNamesFromEnv();
  const logger = createLogger({ service: 'alerting-redrive', destination: process.stderr as never, level: 'warn' });
  const result = await redriveDeliveries({
    kafka: kafkaSettingsFromEnv('alerting-redrive'),
    logger,
    config,
    topics: { deliveriesDlq: names.deliveriesDlq, deliveriesRetry: names.deliveriesRetry },
    filter: {
      ...(values.receiver !== undefined ? { receiver: values.receiver } : {}),
      ...(sinceMs !== undefined ? { sinceMs } : {}),
      ...(untilMs !== undefined ? { untilMs } : {}),
      ...(values.id ? { eventIds: values.id } : {}),
    },
    dryRun: values['dry-run'] ?? false,
    onProgress: (p) =>
      process.stderr.write(
        `${names.deliveriesDlq}[${p.partition}]: scanned ${p.scanned}, matched ${p.matched}, ${values['dry-run'] ? 'would redrive' : 'redriven'} ${p.redriven}\n`,
      ),
  });
  process.stdout.write(
    `${values['dry-run'] ? 'dry run: ' : ''}scanned ${result.scanned} dead letters, matched ${result.matched}, ${values['dry-run'] ? 'would write' : 'wrote'} ${result.redriven} to ${names.deliveriesRetry}${result.unknownReceiver > 0 ? `, ${result.unknownReceiver} skipped (receiver no longer configured)` : ''}\n`,
  );
  return 0;
}

async function silence(args: string[]): Promise<number> {
  const sub = args[0];
  const { values, positionals } = parseArgs({
    args: args.slice(1),
    options: {
      match: { type: 'string', short: 'm', multiple: true },
      for: { type: 'string' },
      comment: { type: 'string' },
      author: { type: 'string' },
      all: { type: 'boolean' },
    },
    allowPositionals: true,
    strict: true,
  });
  const topic = silencesTopicFromEnv();
  const kafka = kafkaSettingsFromEnv('alerting-silence');
  const logger = createLogger({ service: 'alerting-silence', destination: process.stderr as never, level: 'warn' });
  const nowMs = Date.now();
  const describe = (s: Silence): string =>
    `${s.id}  ${s.matchers.join(' ')}  ${new Date(s.startsAt).toISOString()} → ${new Date(s.endsAt).toISOString()}${s.endsAt <= nowMs ? ' (expired)' : ''}  ${s.createdBy}${s.comment ? `: ${s.comment}` : ''}`;
  switch (sub) {
    case 'add': {
      const matchers = values.match ?? [];
      if (matchers.length === 0)
        throw new UsageError('silence add: at least one --match, e.g. --match rule=device-silent');
      for (const m of matchers) {
        try {
          parseSilenceMatcher(m);
        } catch (err) {
          throw new UsageError(`--match: ${(err as Error).message}`);
        }
      }
      if (values.for === undefined) throw new UsageError('silence add: --for is required, e.g. --for 2h');
      let durationMs: number;
      try {
        durationMs = parseDuration(values.for);
      } catch (err) {
        throw new UsageError(`--for: ${(err as Error).message}`);
      }
      if (!(durationMs > 0)) throw new UsageError('--for must be longer than 0');
      const created: Silence = {
        id: `sil_${nowMs.toString(36)}${Math.random().toString(36).slice(2, 8)}`,
        matchers,
        startsAt: nowMs,
        endsAt: nowMs + durationMs,
        createdBy: values.author ?? process.env['USER'] ?? 'alerting',
        comment: values.comment ?? '',
      };
      await writeSilence(kafka, logger, topic, created);
      process.stdout.write(`${created.id}\n`);
      return 0;
    }
    case 'list': {
      const set = new SilenceSet();
      await loadSilences(kafka, topic, set).catch(() => 0); // no topic yet: no silences
      const list = values.all ? set.all() : set.active(nowMs);
      if (list.length === 0) process.stdout.write(values.all ? 'no silences\n' : 'no active silences\n');
      for (const s of list) process.stdout.write(`${describe(s)}\n`);
      return 0;
    }
    case 'expire': {
      const id = positionals[0];
      if (!id) throw new UsageError('silence expire: which silence? alerting silence expire ID');
      const set = new SilenceSet();
      await loadSilences(kafka, topic, set).catch(() => 0);
      const found = set.get(id);
      if (!found) throw new UsageError(`silence expire: no silence ${id} (see alerting silence list --all)`);
      await writeSilence(kafka, logger, topic, { ...found, endsAt: Math.min(found.endsAt, nowMs) });
      process.stdout.write(`expired ${id}\n`);
      return 0;
    }
    default:
      throw new UsageError(`silence: expected add, list or expire, got "${sub ?? ''}"`);
  }
}

async function sink(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: 'string', short: 'p' },
      host: { type: 'string' },
      'secret-env': { type: 'string' },
      tolerance: { type: 'string' },
      json: { type: 'boolean' },
      insecure: { type: 'boolean' },
    },
    strict: true,
  });
  const port = Number(values.port ?? process.env['SINK_PORT'] ?? '9000');
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new UsageError(`--port must be a port number, got "${values.port}"`);
  const secretEnv = values['secret-env'] ?? 'SINK_SECRET';
  const secrets = process.env[secretEnv];
  if (!secrets && !values.insecure)
    throw new UsageError(
      `the sink verifies signatures with the secret in $${secretEnv}; set it (whsec_<base64>) or pass --insecure to accept unsigned requests`,
    );
  let toleranceMs: number | undefined;
  if (values.tolerance !== undefined) {
    try {
      toleranceMs = parseDuration(values.tolerance);
    } catch (err) {
      throw new UsageError(`--tolerance: ${(err as Error).message}`);
    }
  }
  const logger = createLogger({ service: 'alerting-sink', destination: process.stderr as never });
  let server;
  try {
    server = await startWebhookSink({
      port,
      host: values.host ?? '127.0.0.1',
      ...(secrets && !values.insecure ? { secrets } : {}),
      ...(toleranceMs !== undefined ? { toleranceMs } : {}),
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

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    const usage = asUsageError(err);
    if (usage) process.stderr.write(`alerting: ${usage.message}\n${USAGE}`);
    else process.stderr.write(`alerting: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(exitStatusOf(err));
  },
);
