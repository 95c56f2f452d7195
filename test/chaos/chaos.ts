/**
 * `pnpm chaos` — the fault-injection suite: runs the processor CLI as child processes against the suite's own
 * Kafka broker, injects faults, and compares the alerts with a clean run's. Prints progress lines, then a
 * table; exits 1 when any scenario fails, 2 on a usage error.
 */
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { killAllBrokers } from './chaos-broker.js';
import { type ChaosOptions, DEFAULT_CHAOS_OPTIONS } from './chaos-options.js';
import { formatReport } from './chaos-report.js';
import { type ChaosScenario, chaosScenarios } from './chaos-scenarios.js';
import { stopAllCpuLoad } from './cpu-load.js';
import { killAllProbeWorkers } from './kafka-probe.js';
import { killAllProcessors } from './processor-process.js';
import { runChaos } from './run-chaos.js';

const REPO = resolve(import.meta.dirname, '../..');

const USAGE = `usage: pnpm chaos [options]

  --list                    list the scenarios and exit
  --scenario NAME           run only this scenario; repeatable; a fault name (sigkill) picks both modes
  --mode alo|eos            only at-least-once or only exactly-once scenarios
  --seed N                  workload and fault points (default ${DEFAULT_CHAOS_OPTIONS.seed})
  --repeats N               how often the sigkill, sigterm, broker and rebalance scenarios inject their fault (default 3)
  --devices N               devices in the workload, 2 sensors each (default ${DEFAULT_CHAOS_OPTIONS.devices})
  --seconds N               event-time seconds of the workload (default ${DEFAULT_CHAOS_OPTIONS.workloadSeconds})
  --rate N                  readings/s produced alongside the faults (default ${DEFAULT_CHAOS_OPTIONS.produceRatePerS})
  --session-timeout-ms N    processors' consumer session timeout; 0 = client default (default ${DEFAULT_CHAOS_OPTIONS.sessionTimeoutMs})
  --cpu-load N              N busy processes alongside the scenarios, to run them on a loaded machine (default 0)
  --static-membership       pass --static-membership to the processors
  --processor-cli FILE      the processor CLI to run (env CHAOS_PROCESSOR_CLI, default packages/processor/dist/cli.js)
  --run-dir DIR             logs, broker data and report.json (default a new directory under ${tmpdir()})
  -h, --help

Build first (pnpm build): the processors are packages/processor/dist/cli.js.
CHAOS_LOG_LEVEL=warn shows the suite's own Kafka clients' logs (silent by default).`;

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        list: { type: 'boolean', default: false },
        scenario: { type: 'string', multiple: true },
        mode: { type: 'string' },
        seed: { type: 'string' },
        repeats: { type: 'string', default: '3' },
        devices: { type: 'string' },
        seconds: { type: 'string' },
        rate: { type: 'string' },
        'session-timeout-ms': { type: 'string' },
        'static-membership': { type: 'boolean', default: false },
        'cpu-load': { type: 'string' },
        'run-dir': { type: 'string' },
        'processor-cli': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (err) {
    return usage((err as Error).message);
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const int = (flag: string, value: string | undefined, fallback: number, min = 0): number => {
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${flag} must be an integer ≥ ${min}, got "${value}"`);
    return n;
  };
  let scenarios: ChaosScenario[];
  let options: ChaosOptions;
  try {
    const repeats = int('repeats', values.repeats, 3, 1);
    scenarios = chaosScenarios(repeats);
    if (values.list) {
      for (const s of scenarios) console.log(`${s.name.padEnd(28)} ${s.description}`);
      return 0;
    }
    if (values.mode !== undefined) {
      if (values.mode !== 'alo' && values.mode !== 'eos') throw new Error(`--mode must be alo or eos`);
      scenarios = scenarios.filter((s) => s.name.endsWith(`-${values.mode}`));
    }
    if (values.scenario) {
      const wanted = values.scenario.flatMap((s) => s.split(','));
      const unknown = wanted.filter((w) => !scenarios.some((s) => s.name === w || s.name.startsWith(`${w}-`)));
      if (unknown.length > 0) throw new Error(`unknown scenario(s): ${unknown.join(', ')} (see --list)`);
      scenarios = scenarios.filter((s) => wanted.some((w) => s.name === w || s.name.startsWith(`${w}-`)));
    }
    const started = Date.now();
    options = {
      ...DEFAULT_CHAOS_OPTIONS,
      seed: int('seed', values.seed, DEFAULT_CHAOS_OPTIONS.seed),
      devices: int('devices', values.devices, DEFAULT_CHAOS_OPTIONS.devices, 1),
      workloadSeconds: int('seconds', values.seconds, DEFAULT_CHAOS_OPTIONS.workloadSeconds, 30),
      produceRatePerS: int('rate', values.rate, DEFAULT_CHAOS_OPTIONS.produceRatePerS, 1),
      sessionTimeoutMs: int('session-timeout-ms', values['session-timeout-ms'], DEFAULT_CHAOS_OPTIONS.sessionTimeoutMs),
      staticMembership: values['static-membership'],
      cpuLoad: int('cpu-load', values['cpu-load'], 0),
      runDir: resolve(
        values['run-dir'] ?? join(tmpdir(), `sensor-pipeline-chaos-${new Date().toISOString().replace(/[:.]/g, '-')}`),
      ),
      processorCli: resolve(
        values['processor-cli'] ?? process.env['CHAOS_PROCESSOR_CLI'] ?? join(REPO, 'packages/processor/dist/cli.js'),
      ),
      progress: (line) => console.log(`[chaos ${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s] ${line}`),
    };
  } catch (err) {
    return usage((err as Error).message);
  }
  if (!existsSync(options.processorCli)) {
    console.error(`chaos: ${options.processorCli} is missing; run pnpm build first`);
    return 2;
  }
  if (scenarios.length === 0) return usage('no scenario selected');
  const run = await runChaos(options, scenarios);
  console.log(`\n${formatReport(run.results)}\nreport: ${run.reportFile}`);
  return run.results.every((r) => r.passed) ? 0 : 1;
}

function usage(message: string): number {
  console.error(`chaos: ${message}\n\n${USAGE}`);
  return 2;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`chaos: ${signal}: ending the processors and the broker this run started`);
    killAllProcessors();
    killAllBrokers();
    stopAllCpuLoad();
    killAllProbeWorkers();
    process.exit(130);
  });
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error('chaos: the suite itself failed', err);
    killAllProcessors();
    killAllBrokers();
    stopAllCpuLoad();
    killAllProbeWorkers();
    process.exit(1);
  },
);
