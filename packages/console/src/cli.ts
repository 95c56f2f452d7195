#!/usr/bin/env node
/**
 * The `console` command: the web console for operators, built with the shared CLI builder (--help and
 * --version; every option's environment variable shown in help and read, the flag winning).
 *
 *   console [--port 9400] [--host 127.0.0.1] [--rules config/rules.yaml] [--scrape name=url,...] [--group ID]
 *           [--bootstrap-servers H:P]
 *
 * Also read: KAFKA_CONFIG_*, ALERTS_TOPIC, STATS_TOPIC, OPS_HOST (when CONSOLE_HOST is not set), LOG_LEVEL.
 * Prints the console's URL on its first line of standard output. Exit status: 0 stopped by a signal,
 * 1 failure, 2 bad usage or config.
 */
import {
  bootstrapServersOption,
  cliOption,
  createCliProgram,
  createLogger,
  ignoreReloadSignal,
  kafkaSettingsWith,
  nonEmpty,
  onShutdown,
  packageVersion,
  runCli,
} from '@sensor-pipeline/shared';
import {
  type ConsoleOptions,
  consoleOptionsFromEnv,
  DEFAULT_CONSOLE_OPTIONS,
  parsePort,
  parseScrapeTargets,
  type ScrapeTarget,
} from './console-options.js';
import { startConsole } from './console-service.js';

interface ConsoleFlags {
  readonly port: number;
  readonly host?: string;
  readonly rules?: string;
  readonly scrape?: readonly ScrapeTarget[];
  readonly group: string;
  readonly bootstrapServers: string;
}

const program = createCliProgram({
  name: 'console',
  version: packageVersion(import.meta.url),
  description:
    "The web console: alerts firing now, the fleet's window stats, one sensor's window over time, pipeline health.",
});
program
  .addOption(
    cliOption('--port <port>', 'port of the pages, /healthz, /readyz and /metrics (0 = any free port)', {
      env: 'CONSOLE_PORT',
      default: DEFAULT_CONSOLE_OPTIONS.port,
      parse: (text) => parsePort('--port', text),
    }),
  )
  .addOption(
    cliOption('--host <host>', `address to listen on (default: OPS_HOST, else ${DEFAULT_CONSOLE_OPTIONS.host})`, {
      env: 'CONSOLE_HOST',
    }),
  )
  .addOption(cliOption('--rules <file>', 'alert rules, to show what each rule watches', { env: 'RULES_FILE' }))
  .addOption(
    cliOption(
      '--scrape <name=url,...>',
      `/metrics of the services, for the health page (default: ${DEFAULT_CONSOLE_OPTIONS.scrapeTargets.map((t) => `${t.name} ${new URL(t.url).port}`).join(', ')} on 127.0.0.1)`,
      { env: 'CONSOLE_SCRAPE_TARGETS', parse: parseScrapeTargets },
    ),
  )
  .addOption(
    cliOption('--group <id>', "the console's consumer group", {
      env: 'CONSOLE_GROUP_ID',
      default: DEFAULT_CONSOLE_OPTIONS.groupId,
      parse: nonEmpty,
    }),
  )
  .addOption(bootstrapServersOption())
  .addHelpText(
    'after',
    `
Also read: ALERTS_TOPIC, STATS_TOPIC, OPS_HOST, KAFKA_CONFIG_<PROPERTY>, LOG_LEVEL.
Exit status: 0 stopped by a signal, 1 failure, 2 bad usage or config.`,
  )
  .action(async (flags: ConsoleFlags) => {
    const overrides: { -readonly [K in keyof ConsoleOptions]?: ConsoleOptions[K] } = {
      port: flags.port,
      groupId: flags.group,
    };
    if (flags.host !== undefined) overrides.host = flags.host;
    if (flags.rules !== undefined) overrides.rulesFile = flags.rules;
    if (flags.scrape !== undefined) overrides.scrapeTargets = flags.scrape;
    const options = consoleOptionsFromEnv(process.env, overrides);
    const logger = createLogger({
      service: 'console',
      ...(process.env['LOG_LEVEL'] ? { level: process.env['LOG_LEVEL'] } : {}),
    });
    ignoreReloadSignal(logger.child({ component: 'cli' })); // nothing to reload; survives the launcher's SIGHUP
    const running = await startConsole(options, kafkaSettingsWith('console', flags.bootstrapServers), logger);
    const shutdown = onShutdown(logger, { timeoutMs: 15_000 });
    shutdown.add('console', () => running.close());
    // the URL last: whoever waits for it may stop the console at once, and SIGTERM is handled by then
    process.stdout.write(`console: ${running.url}\n`);
    return undefined; // onShutdown exits the process when its steps are done
  });

await runCli(program);
