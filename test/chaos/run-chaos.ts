/**
 * Runs a list of scenarios on the suite's own broker: starts the broker, builds the seeded workload and the
 * suite's rules file, computes the oracle once per delivery mode, runs each scenario, writes `report.json`
 * to the run directory and stops the broker. Used by the `pnpm chaos` CLI and by the CI subset.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ChaosBroker } from './chaos-broker.js';
import type { ChaosOptions, DeliveryMode } from './chaos-options.js';
import { type Oracle, runOracle } from './chaos-oracle.js';
import type { ChaosScenario } from './chaos-scenarios.js';
import { chaosWorkload } from './chaos-workload.js';
import { startCpuLoad } from './cpu-load.js';
import { KafkaProbe } from './kafka-probe.js';
import { runScenario, type ScenarioEnvironment, type ScenarioResult } from './run-scenario.js';

export interface ChaosRun {
  readonly results: readonly ScenarioResult[];
  readonly oracles: readonly Oracle[];
  readonly reportFile: string;
}

export async function runChaos(options: ChaosOptions, scenarios: readonly ChaosScenario[]): Promise<ChaosRun> {
  mkdirSync(options.runDir, { recursive: true });
  const brokerDir = join(options.runDir, 'broker');
  const broker = await ChaosBroker.start(brokerDir, options.progress);
  const stopLoad = startCpuLoad(options.cpuLoad);
  if (options.cpuLoad > 0) options.progress(`${options.cpuLoad} busy process(es) load the machine during the run`);
  const results: ScenarioResult[] = [];
  let probe: KafkaProbe | undefined;
  const oracles = new Map<DeliveryMode, Oracle>();
  const reportFile = join(options.runDir, 'report.json');
  try {
    const baseMs = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3_600_000; // an hour ago, on the hour
    const workload = chaosWorkload({
      seed: options.seed,
      devices: options.devices,
      seconds: options.workloadSeconds,
      baseMs,
    });
    const rulesFile = join(options.runDir, 'chaos-rules.yaml');
    writeFileSync(rulesFile, workload.rulesYaml);
    probe = new KafkaProbe(broker.bootstrapServers);
    await probe.warmUp(options.waitTimeoutMs);
    const env: ScenarioEnvironment = {
      options,
      broker,
      probe,
      readings: workload.readings,
      rulesFile,
    };
    options.progress(
      `workload: seed ${options.seed}, ${options.devices} devices × 2 metrics × ${options.workloadSeconds} s = ` +
        `${workload.readings.length} readings; ${scenarios.length} scenario(s); logs in ${options.runDir}`,
    );
    for (const scenario of scenarios) {
      let oracle = oracles.get(scenario.delivery);
      if (!oracle) {
        oracle = await runOracle(scenario.delivery, env);
        oracles.set(scenario.delivery, oracle);
        checkOraclesAgree([...oracles.values()], options.progress);
      }
      options.progress(`${scenario.name}: ${scenario.description}`);
      const result = await runScenario(scenario, oracle.alerts, env);
      results.push(result);
      const c = result.comparison;
      options.progress(
        `${scenario.name}: ${result.passed ? 'PASS' : 'FAIL'} — expected ${c.expected}, received ${c.received}, ` +
          `lost ${c.lost.length}, duplicated ${c.duplicated.length}, unexpected ${c.unexpected.length}, ` +
          `offset gap ${result.offsetGap}${result.passed ? '' : ` (${result.failures.join('; ')})`}`,
      );
      writeFileSync(reportFile, `${JSON.stringify({ seed: options.seed, results }, null, 2)}\n`);
    }
  } finally {
    if (probe?.workerCrashes)
      options.progress(`the probe's Kafka client crashed ${probe.workerCrashes} time(s); asked again`);
    probe?.close();
    stopLoad();
    await broker.stop();
    rmSync(join(brokerDir, 'logs'), { recursive: true, force: true });
  }
  writeFileSync(reportFile, `${JSON.stringify({ seed: options.seed, results }, null, 2)}\n`);
  return { results, oracles: [...oracles.values()], reportFile };
}

/** Both modes' clean runs must publish the same ids; a difference is printed (each mode is judged by its own). */
function checkOraclesAgree(oracles: readonly Oracle[], progress: (line: string) => void): void {
  if (oracles.length < 2) return;
  const [a, b] = oracles as [Oracle, Oracle];
  const ids = new Set(a.alerts.map((e) => e.eventId));
  const same = a.alerts.length === b.alerts.length && b.alerts.every((e) => ids.has(e.eventId));
  progress(
    same
      ? `oracles agree: ${a.delivery} and ${b.delivery} clean runs publish the same ${a.alerts.length} alert ids`
      : `oracles DIFFER: ${a.delivery} published ${a.alerts.length} alerts, ${b.delivery} ${b.alerts.length}`,
  );
}
