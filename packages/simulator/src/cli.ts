#!/usr/bin/env node
/**
 * `simulator`: runs a fleet of simulated devices against Kafka. Flags and the scenario are checked before
 * anything connects (exit 2 on a mistake); SIGINT/SIGTERM stop generating, wait for what is in flight and
 * print the summary; the exit status says whether every produced reading was acknowledged.
 */
import {
  ConfigError,
  createLogger,
  createMetricsRegistry,
  ignoreReloadSignal,
  kafkaSettingsFromEnv,
  type OpsServer,
  onShutdown,
  startOpsServer,
} from '@sensor-pipeline/shared';
import { type CliOptions, parseCliArgs, UsageError } from './cli-options.js';
import { planRun, type RunPlan } from './core/plan-run.js';
import { ProgressReporter } from './kafka/progress-reporter.js';
import { DEFAULT_DRAIN_TIMEOUT_MS } from './kafka/simulation.js';
import type { SimulationStats, SimulationSummary } from './kafka/simulation-stats.js';
import { registerSimulatorMetrics } from './kafka/simulator-metrics.js';
import { startSimulator } from './kafka/start-simulator.js';
import { DEFAULT_SCENARIO } from './scenario/default-scenario.js';
import { loadScenario } from './scenario/load-scenario.js';

const EXIT_USAGE = 2;

async function main(argv: readonly string[]): Promise<void> {
  // 1. everything that can be wrong with the input, before touching Kafka
  let options: CliOptions;
  let plan: RunPlan;
  try {
    const command = parseCliArgs(argv);
    if (command.kind === 'help') {
      process.stdout.write(command.text); // --help or --version
      return;
    }
    options = command.options;
    const scenario = options.scenarioFile === undefined ? DEFAULT_SCENARIO : loadScenario(options.scenarioFile);
    plan = planRun(scenario, {
      seed: options.seed,
      startTimeMs: options.startTimeMs,
      realtime: options.realtime,
      nowMs: Date.now(),
      count: options.count,
      durationMs: options.durationMs,
      poisonRate: options.poisonRate,
    });
  } catch (err) {
    if (err instanceof UsageError || err instanceof ConfigError || err instanceof RangeError) {
      process.stderr.write(`simulator: ${err.message}\n`);
      process.exitCode = EXIT_USAGE;
      return;
    }
    throw err;
  }

  // 2. the run
  let progress: ProgressReporter | undefined;
  const logger = createLogger({
    service: 'simulator',
    destination: {
      write(line: string) {
        progress?.clearLine(); // a log line never lands in the middle of the progress line
        process.stdout.write(line);
      },
    },
  });
  const log = logger.child({ component: 'cli' });
  ignoreReloadSignal(log); // the launcher passes SIGHUP on to every service; a simulator has nothing to reload
  let exitCode = 0;
  const shutdown = onShutdown(logger, {
    timeoutMs: DEFAULT_DRAIN_TIMEOUT_MS + 15_000,
    exit: (code) => process.exit(code !== 0 ? code : exitCode),
  });

  let stats: SimulationStats | undefined;
  let ops: OpsServer | undefined;
  if (options.metricsPort !== undefined) {
    const registry = createMetricsRegistry('simulator');
    registerSimulatorMetrics(registry, () => stats);
    ops = await startOpsServer({ port: options.metricsPort, registry, logger });
    shutdown.add('ops-server', () => ops?.close());
  }

  const kafka = { ...kafkaSettingsFromEnv('sensor-simulator'), bootstrapServers: options.bootstrapServers };
  log.info(
    {
      scenario: options.scenarioFile ?? '(default)',
      name: plan.fleet.scenario.name,
      seed: plan.seed,
      devices: plan.fleet.devices.length,
      intervalMs: plan.fleet.intervalMs,
      startTime: new Date(plan.startTimeMs).toISOString(),
      endTime: plan.endTimeMs === undefined ? undefined : new Date(plan.endTimeMs).toISOString(),
      count: options.count,
      pace: options.pace,
      poisonRate: options.poisonRate,
      topic: options.topic,
      bootstrapServers: kafka.bootstrapServers,
    },
    'starting simulator',
  );

  let running;
  try {
    running = await startSimulator({
      plan,
      pace: options.pace,
      topic: options.topic,
      kafka,
      logger,
      tuning: options.tuning,
      createTopic: options.createTopic,
      batchSize: options.batchSize,
      maxInFlight: options.maxInFlight,
    });
  } catch (err) {
    log.error({ err, bootstrapServers: kafka.bootstrapServers }, 'could not start producing');
    exitCode = 1;
    await shutdown.shutdown('start failed', 1);
    return;
  }
  stats = running.simulation.stats;
  ops?.setReady(true, { topic: options.topic });
  if (options.progress) {
    progress = new ProgressReporter({ stats, logger });
    progress.start();
  }

  let reported = false;
  const report = (summary: SimulationSummary): void => {
    if (reported) return;
    reported = true;
    progress?.stop();
    const level = summary.ok ? 'info' : 'error';
    log[level](
      { ...summary, topic: options.topic, seed: plan.seed },
      summary.ok ? 'summary: every reading acknowledged' : 'summary: some readings were not acknowledged',
    );
    progress?.printSummary(summary);
    progress = undefined;
    exitCode = summary.ok ? 0 : 1;
  };
  shutdown.add('simulator', async () => report(await running.stop()));
  const summary = await running.done;
  report(summary);
  await shutdown.shutdown(summary.reason, exitCode);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`simulator: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
