#!/usr/bin/env node
/**
 * The `console` command: the web console for operators.
 *
 *   console [--port 9400] [--host 127.0.0.1] [--rules config/rules.yaml] [--scrape name=url,...] [--group ID]
 *
 * Environment: KAFKA_BOOTSTRAP_SERVERS, KAFKA_CONFIG_*, ALERTS_TOPIC, STATS_TOPIC, CONSOLE_PORT,
 * CONSOLE_HOST (else OPS_HOST), CONSOLE_GROUP_ID, CONSOLE_SCRAPE_TARGETS, RULES_FILE, LOG_LEVEL.
 * Prints the console's URL on its first line of standard output. Exit status: 0 stopped by a signal,
 * 1 failure, 2 bad usage or config.
 */
import { parseArgs } from 'node:util';
import {
  asUsageError,
  createLogger,
  exitStatusOf,
  kafkaSettingsFromEnv,
  onShutdown,
  UsageError,
} from '@sensor-pipeline/shared';
import { type ConsoleOptions, consoleOptionsFromEnv, parsePort, parseScrapeTargets } from './console-options.js';
import { startConsole } from './console-service.js';

const USAGE = `usage: console [--port 9400] [--host 127.0.0.1] [--rules FILE] [--scrape name=url,...] [--group ID]
`;

async function main(argv: string[]): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        rules: { type: 'string' },
        scrape: { type: 'string' },
        group: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (err) {
    throw asUsageError(err) ?? err;
  }
  if (values['help']) {
    process.stdout.write(USAGE);
    return 0;
  }
  const overrides: { -readonly [K in keyof ConsoleOptions]?: ConsoleOptions[K] } = {};
  if (typeof values['port'] === 'string') overrides.port = parsePort('--port', values['port']);
  if (typeof values['host'] === 'string') overrides.host = values['host'];
  if (typeof values['rules'] === 'string') overrides.rulesFile = values['rules'];
  if (typeof values['scrape'] === 'string') overrides.scrapeTargets = parseScrapeTargets(values['scrape']);
  if (typeof values['group'] === 'string') {
    if (values['group'].trim() === '') throw new UsageError('--group must not be empty');
    overrides.groupId = values['group'];
  }
  const options = consoleOptionsFromEnv(process.env, overrides);
  const logger = createLogger({
    service: 'console',
    ...(process.env['LOG_LEVEL'] ? { level: process.env['LOG_LEVEL'] } : {}),
  });
  const running = await startConsole(options, kafkaSettingsFromEnv('console'), logger);
  process.stdout.write(`console: ${running.url}\n`);
  const shutdown = onShutdown(logger, { timeoutMs: 15_000 });
  shutdown.add('console', () => running.close());
  return new Promise<number>(() => undefined); // onShutdown exits the process when its steps are done
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`console: ${err instanceof Error ? err.message : String(err)}\n`);
    if (err instanceof UsageError) process.stderr.write(USAGE);
    process.exit(exitStatusOf(err));
  },
);
