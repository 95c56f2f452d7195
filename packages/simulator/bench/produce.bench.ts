/**
 * Benchmark (not a test): readings per second the simulator produces and gets acknowledged (acks=all,
 * idempotent) by the broker on this machine, for fleets of 1k and 100k devices, with the CPU time and peak
 * RSS of this process. Also the pure generation + encoding rate, per CPU-second, for reference.
 *
 * Start a broker first, e.g. the local one (Java 17+ and Maven; prints the bootstrap address):
 *   node infra/dist/cli.js start            # 127.0.0.1:9092
 * then, from the repository root:
 *   KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:9092 npx tsx --conditions=source packages/simulator/bench/produce.bench.ts
 * A "client floor" row last: the same producer sending pre-encoded readings (no generation), i.e. what the
 * Kafka client alone reaches here; the simulator's rows are then read against it.
 * Options: --readings N (per fleet, default 2,000,000), --devices 1000,100000, --partitions 6, --no-floor,
 *          --compression lz4|zstd|..., --linger-ms 20, --batch-size 1000, --max-in-flight 50000, --keep-topics
 * Writes .bench/simulator.json (git-ignored) and prints a table. Each fleet gets a fresh topic, deleted after.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createAdmin, createLogger, ensureTopics, kafkaSettingsFromEnv } from '@sensor-pipeline/shared';
import {
  createSimulatorProducer,
  DEFAULT_BATCH_SIZE,
  DEFAULT_MAX_IN_FLIGHT,
  DEFAULT_TUNING,
  defineScenario,
  type ProducerTuning,
  ProgressReporter,
  planRun,
  type ScenarioFile,
  type SimMessage,
  startSimulator,
} from '../src/index.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

const { values } = parseArgs({
  options: {
    readings: { type: 'string', default: '2000000' },
    devices: { type: 'string', default: '1000,100000' },
    partitions: { type: 'string', default: '6' },
    compression: { type: 'string', default: DEFAULT_TUNING.compression },
    'linger-ms': { type: 'string', default: String(DEFAULT_TUNING.lingerMs) },
    'batch-size': { type: 'string', default: String(DEFAULT_BATCH_SIZE) },
    'max-in-flight': { type: 'string', default: String(DEFAULT_MAX_IN_FLIGHT) },
    'keep-topics': { type: 'boolean', default: false },
    'no-floor': { type: 'boolean', default: false },
  },
});

const readings = Number(values.readings);
const fleets = values.devices.split(',').map(Number);
const partitions = Number(values.partitions);
const tuning: ProducerTuning = {
  compression: values.compression as NonNullable<ProducerTuning['compression']>,
  lingerMs: Number(values['linger-ms']),
};
const batchSize = Number(values['batch-size']);
const maxInFlight = Number(values['max-in-flight']);
const logger = createLogger({ service: 'simulator-bench', level: process.env['LOG_LEVEL'] ?? 'warn' });
const kafka = kafkaSettingsFromEnv('simulator-bench');

function fleetScenario(devices: number): ScenarioFile {
  const perSite = Math.ceil(devices / 10);
  const sites = Array.from({ length: 10 }, (_, i) => ({
    name: `site-${String.fromCharCode(97 + i)}`,
    devices: Math.min(perSite, Math.max(0, devices - i * perSite)),
    labels: { region: i < 5 ? 'eu' : 'us' },
  }));
  return defineScenario({
    name: `bench-${devices}`,
    interval: '1s',
    fleet: { sites: sites.filter((s) => s.devices > 0) },
  });
}

interface Row {
  /** What ran: the simulator, or the bare client floor (pre-encoded messages, no generation). */
  run: 'simulator' | 'client floor';
  devices: number;
  readings: number;
  seconds: number;
  producedPerSecond: number;
  ackedPerSecond: number;
  acked: number;
  failed: number;
  cpuSeconds: number;
  cpuPercent: number;
  peakRssMb: number;
  generateEncodePerCpuSecond: number;
  fleetBuildMs: number;
}

/** Generation + encoding alone, readings per CPU-second (no Kafka). */
function pureRate(scenario: ScenarioFile, count: number): number {
  const { source } = planRun(scenario, { seed: 1, count });
  const before = process.cpuUsage();
  let bytes = 0;
  for (let m = source.next(); m; m = source.next()) bytes += m.value.length;
  const used = process.cpuUsage(before);
  if (bytes === 0) throw new Error('nothing generated');
  return Math.round(count / ((used.user + used.system) / 1e6));
}

async function runOne(devices: number): Promise<Row> {
  const scenario = fleetScenario(devices);
  const topic = `bench-simulator-${devices}-${Date.now().toString(36)}`;
  const admin = createAdmin(kafka, logger);
  await admin.connect();
  await ensureTopics(admin, [{ topic, numPartitions: partitions }]);

  const generateEncodePerCpuSecond = pureRate(scenario, Math.min(readings, 1_000_000));
  const buildStart = performance.now();
  const plan = planRun(scenario, { seed: 1, count: readings });
  const fleetBuildMs = Math.round(performance.now() - buildStart);

  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const running = await startSimulator({
    plan,
    pace: { kind: 'fast' },
    topic,
    kafka,
    logger,
    tuning,
    batchSize,
    maxInFlight,
  });
  const progress = new ProgressReporter({
    stats: running.simulation.stats,
    logger,
    intervalMs: process.stderr.isTTY ? 250 : 2_000,
    tty: Boolean(process.stderr.isTTY),
  });
  if (!process.stderr.isTTY)
    process.stderr.write(
      `fleet of ${devices.toLocaleString('en-US')} devices: producing ${readings.toLocaleString('en-US')} readings to ${topic}...\n`,
    );
  progress.start();
  const summary = await running.done;
  progress.stop();
  const seconds = (performance.now() - started) / 1_000;
  const cpu = process.cpuUsage(cpuBefore);
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.memoryUsage().rss);

  if (!values['keep-topics']) await admin.deleteTopics({ topics: [topic], timeout: 10_000 }).catch(() => undefined);
  await admin.disconnect();
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  return {
    run: 'simulator',
    devices,
    readings: summary.produced,
    seconds: round(seconds, 2),
    producedPerSecond: Math.round(summary.produced / seconds),
    ackedPerSecond: Math.round(summary.acked / seconds),
    acked: summary.acked,
    failed: summary.failed + summary.unconfirmed,
    cpuSeconds: round(cpuSeconds, 2),
    cpuPercent: Math.round((100 * cpuSeconds) / seconds),
    peakRssMb: Math.round(peakRss / 1_048_576),
    generateEncodePerCpuSecond,
    fleetBuildMs,
  };
}

/**
 * The Kafka client's own ceiling on this machine: the same producer settings, batch size and in-flight
 * bound, sending 10,000 pre-encoded readings over and over — no generation, no encoding. The simulator's
 * rate over this one is what the simulator itself costs.
 */
async function clientFloor(devices: number): Promise<Row> {
  const topic = `bench-client-floor-${Date.now().toString(36)}`;
  const admin = createAdmin(kafka, logger);
  await admin.connect();
  await ensureTopics(admin, [{ topic, numPartitions: partitions }]);
  const { source } = planRun(fleetScenario(devices), { seed: 1, count: 10_000 });
  const pool: SimMessage[] = [];
  for (let m = source.next(); m; m = source.next()) pool.push(m);
  const producer = createSimulatorProducer(kafka, logger, tuning, maxInFlight);
  await producer.connect();
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  for (let sent = 0; sent < readings; ) {
    const n = Math.min(batchSize, readings - sent);
    // the same message objects again and again
    const start = sent % pool.length;
    const messages =
      start + n <= pool.length
        ? pool.slice(start, start + n)
        : [...pool.slice(start), ...pool.slice(0, start + n - pool.length)];
    const taken = producer.write(topic, messages);
    sent += taken;
    if (taken < n) await producer.settled(1_000);
    else
      for (let turns = producer.turnsAfterWrite(n); turns > 0; turns--)
        await new Promise<void>((resolve) => setImmediate(resolve));
  }
  const unconfirmed = await producer.drain(120_000);
  const acked = producer.acked;
  const failed = producer.failed + unconfirmed;
  const seconds = (performance.now() - started) / 1_000;
  const cpu = process.cpuUsage(cpuBefore);
  clearInterval(sampler);
  await producer.disconnect();
  if (!values['keep-topics']) await admin.deleteTopics({ topics: [topic], timeout: 10_000 }).catch(() => undefined);
  await admin.disconnect();
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  return {
    run: 'client floor',
    devices,
    readings,
    seconds: round(seconds, 2),
    producedPerSecond: Math.round(readings / seconds),
    ackedPerSecond: Math.round(acked / seconds),
    acked,
    failed,
    cpuSeconds: round(cpuSeconds, 2),
    cpuPercent: Math.round((100 * cpuSeconds) / seconds),
    peakRssMb: Math.round(peakRss / 1_048_576),
    generateEncodePerCpuSecond: 0,
    fleetBuildMs: 0,
  };
}

function round(n: number, digits: number): number {
  return Number(n.toFixed(digits));
}

const rows: Row[] = [];
for (const devices of fleets) rows.push(await runOne(devices));
if (!values['no-floor']) {
  process.stderr.write(`client floor: ${readings.toLocaleString('en-US')} pre-encoded readings...\n`);
  rows.push(await clientFloor(fleets[0] ?? 1_000));
}

const result = {
  benchmark: 'simulator produce',
  when: new Date().toISOString(),
  bootstrapServers: kafka.bootstrapServers,
  machine: {
    cpus: cpus().length,
    model: cpus()[0]?.model,
    loadAverage1m: round(loadavg()[0] ?? 0, 2),
    node: process.version,
  },
  settings: { partitions, ...DEFAULT_TUNING, ...tuning, batchSize, maxInFlight, acks: 'all', idempotence: true },
  targetAckedPerSecond: 300_000,
  rows,
};
mkdirSync(join(ROOT, '.bench'), { recursive: true });
writeFileSync(join(ROOT, '.bench', 'simulator.json'), `${JSON.stringify(result, null, 2)}\n`);

const header = [
  'run',
  'devices',
  'readings',
  'seconds',
  'produced/s',
  'acked/s',
  'failed',
  'cpu s',
  'cpu %',
  'peak RSS MB',
  'gen+enc /cpu-s',
];
const table = rows.map((r) =>
  [
    r.run,
    r.devices,
    r.readings,
    r.seconds,
    r.producedPerSecond,
    r.ackedPerSecond,
    r.failed,
    r.cpuSeconds,
    r.cpuPercent,
    r.peakRssMb,
    r.generateEncodePerCpuSecond || '-',
  ].map((v) => v.toLocaleString('en-US')),
);
const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
const line = (cells: readonly string[]) =>
  cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
console.log(
  `\nsimulator produce benchmark — broker ${kafka.bootstrapServers}, ${partitions} partitions, ${tuning.compression}, linger ${tuning.lingerMs} ms, load avg ${result.machine.loadAverage1m} on ${result.machine.cpus} CPUs`,
);
console.log(line(header));
for (const row of table) console.log(line(row));
const floor = rows.find((r) => r.run === 'client floor');
if (floor) {
  for (const r of rows.filter((x) => x.run === 'simulator')) {
    console.log(
      `simulator/client floor, ${r.devices.toLocaleString('en-US')} devices: ${(r.ackedPerSecond / floor.ackedPerSecond).toFixed(2)}× the acknowledged rate`,
    );
  }
}
console.log(`target: ≥ 300,000 acknowledged readings/s from one process; written to .bench/simulator.json`);
process.exit(rows.every((r) => r.failed === 0) ? 0 : 1);
