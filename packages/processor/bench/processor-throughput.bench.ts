/**
 * Benchmark (not a test): the processor's throughput draining a loaded topic, side by side in one run with
 * what the same machine and broker do on the same records:
 *   - raw floor: the lower-level client merely consuming and decoding (`KafkaConsumer.consume(1000)` + the codec),
 *     through the processor's own consumer settings (createRawConsumer: fetch and prefetch bounds, read_committed);
 *   - KafkaJS floor: the client's KafkaJS-compatible layer merely consuming and decoding (`eachBatch`);
 *   - processor: ProcessorService with the rules file (per-sensor windows, rules, alerts, commits);
 *   - processor CLI (`--paths ...,processor-cli --workers N`, not by default): the CLI with N worker processes,
 *     CPU and RSS summed over its process tree;
 *   - core-thread bound (`--paths ...,core-thread-bound`, not by default): a design study — the raw floor's
 *     consuming thread hands each batch to a worker thread running the processor's per-reading work (decode,
 *     validate, windows, rules); nothing produced or committed. What moving that work off the consuming thread
 *     would be worth;
 *   - Python peer: a single-threaded confluent-kafka + fastavro consumer doing the same windows and threshold
 *     rules (peers/python_peer.py; its venv is created under .bench/ on first use).
 * Each path drains the whole topic with a consumer group of its own, in a process of its own: readings/s from
 * its first record to its last, CPU seconds over that span, peak RSS. Rounds repeat the four in turn.
 *
 *   node infra/dist/cli.js start      # a broker at 127.0.0.1:9092 (or set KAFKA_BOOTSTRAP_SERVERS)
 *   npx tsx --conditions=source packages/processor/bench/processor-throughput.bench.ts \
 *     [--readings 1000000] [--devices 10000] [--partitions 6] [--rounds 1] [--rules config/rules.yaml] \
 *     [--paths raw-floor,kafkajs-floor,processor,python-peer] [--workers 1] [--topic EXISTING] [--keep-topic]
 *
 * Prints a table with the ratios processor/raw floor and processor/Python peer (bars: ≥ 0.9 and ≥ 2) and
 * writes .bench/processor-throughput.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createAdmin, createLogger, kafkaSettingsFromEnv } from '@sensor-pipeline/shared';
import { loadReadings } from './support/load-readings.js';
import { type DrainPath, type DrainResult, REPO_ROOT, runDrain } from './support/run-drain.js';

const DEFAULT_PATHS: readonly DrainPath[] = ['raw-floor', 'kafkajs-floor', 'processor', 'python-peer'];
const ALL_PATHS: readonly DrainPath[] = [...DEFAULT_PATHS, 'processor-cli', 'core-thread-bound'];
const LABELS: Record<DrainPath, string> = {
  'raw-floor': 'raw floor: KafkaConsumer.consume(1000) + decode',
  'core-thread-bound': 'core-thread bound (design study: windows + rules on a worker thread, no outputs)',
  'kafkajs-floor': 'KafkaJS-layer floor: eachBatch + decode',
  processor: 'processor (windows + rules + outputs)',
  'processor-cli': 'processor CLI',
  'python-peer': 'Python peer (confluent-kafka + fastavro)',
};

const { values } = parseArgs({
  options: {
    readings: { type: 'string', default: '1000000' },
    devices: { type: 'string', default: '10000' },
    partitions: { type: 'string', default: '6' },
    rounds: { type: 'string', default: '1' },
    rules: { type: 'string', default: join(REPO_ROOT, 'config/rules.yaml') },
    paths: { type: 'string', default: DEFAULT_PATHS.join(',') },
    workers: { type: 'string', default: '1' },
    topic: { type: 'string' },
    'keep-topic': { type: 'boolean', default: false },
    label: { type: 'string', default: '' },
  },
});
const READINGS = Number(values.readings);
const DEVICES = Number(values.devices);
const PARTITIONS = Number(values.partitions);
const ROUNDS = Number(values.rounds);
const WORKERS = Number(values.workers);
const paths = values.paths.split(',').map((p) => p.trim()) as DrainPath[];
for (const p of paths) if (!ALL_PATHS.includes(p)) throw new Error(`unknown path ${p}; one of ${ALL_PATHS.join(', ')}`);
const logger = createLogger({ service: 'bench', level: process.env['LOG_LEVEL'] ?? 'warn' });
const kafka = kafkaSettingsFromEnv('bench');
const run = Date.now().toString(36);
const progress = (line: string): void => void process.stderr.write(`[bench] ${line}\n`);

const topic = values.topic ?? `bench-readings-${run}`;
let loadSeconds: number | null = null;
if (!values.topic) {
  loadSeconds = await loadReadings({
    kafka,
    logger,
    topic,
    partitions: PARTITIONS,
    readings: READINGS,
    devices: DEVICES,
    progress: (n) => progress(`loading ${n.toLocaleString('en-US')} / ${READINGS.toLocaleString('en-US')}`),
  });
  progress(`loaded ${READINGS.toLocaleString('en-US')} readings into ${topic} in ${loadSeconds.toFixed(1)} s`);
}

const results: DrainResult[] = [];
const outputTopics: string[] = [];
const loadBefore = loadavg()[0] ?? 0;
for (let round = 0; round < ROUNDS; round++) {
  for (const path of paths) {
    const result = await runDrain(path, {
      topic,
      count: READINGS,
      bootstrapServers: kafka.bootstrapServers,
      rules: values.rules,
      workers: WORKERS,
      run: `${run}-${round}`,
    });
    results.push(result);
    if (Array.isArray(result['outputTopics'])) outputTopics.push(...(result['outputTopics'] as string[]));
    progress(
      `round ${round + 1}: ${path}: ${Math.round(result.readings / result.seconds).toLocaleString('en-US')} readings/s, ` +
        `${result.cpuSeconds.toFixed(1)} CPU s, peak RSS ${result.peakRssMiB} MiB` +
        (result.alerts === undefined ? '' : `, ${result.alerts} alerts`),
    );
  }
}

interface Row {
  path: DrainPath;
  runs: number;
  /** Mean over the rounds. */
  readingsPerSecond: number;
  readingsPerSecondRuns: number[];
  cpuSeconds: number;
  peakRssMiB: number;
  alerts?: number;
}
const rows: Row[] = paths.map((path) => {
  const mine = results.filter((r) => r.path === path);
  const rates = mine.map((r) => Math.round(r.readings / r.seconds));
  const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return {
    path,
    runs: mine.length,
    readingsPerSecond: Math.round(mean(rates)),
    readingsPerSecondRuns: rates,
    cpuSeconds: Number(mean(mine.map((r) => r.cpuSeconds)).toFixed(2)),
    peakRssMiB: Math.max(...mine.map((r) => r.peakRssMiB)),
    ...(mine[0]?.alerts === undefined ? {} : { alerts: mine[0].alerts }),
  };
});
const rate = (path: DrainPath) => rows.find((r) => r.path === path)?.readingsPerSecond;
const cliRate = rate('processor-cli');
const ratio = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined ? null : Number((a / b).toFixed(2));
const result = {
  benchmark: 'processor throughput',
  label: values.label,
  when: new Date().toISOString(),
  machine: {
    cpus: cpus().length,
    model: cpus()[0]?.model,
    loadAverage1mBefore: Number(loadBefore.toFixed(2)),
    loadAverage1mAfter: Number((loadavg()[0] ?? 0).toFixed(2)),
    node: process.version,
  },
  readings: READINGS,
  devices: DEVICES,
  sensors: DEVICES * 3,
  partitions: PARTITIONS,
  rounds: ROUNDS,
  workers: WORKERS,
  loadSeconds,
  rows,
  processorToRawFloor: ratio(rate('processor'), rate('raw-floor')),
  processorToKafkajsFloor: ratio(rate('processor'), rate('kafkajs-floor')),
  processorToPythonPeer: ratio(rate('processor'), rate('python-peer')),
  processorCliToRawFloor: ratio(cliRate, rate('raw-floor')),
  processorCliToPythonPeer: ratio(cliRate, rate('python-peer')),
  coreThreadBoundToRawFloor: ratio(rate('core-thread-bound'), rate('raw-floor')),
};

const fmt = (n: number) => n.toLocaleString('en-US');
console.log(
  `\nprocessor throughput — ${fmt(READINGS)} readings, ${fmt(DEVICES)} devices (${fmt(DEVICES * 3)} sensors), ` +
    `${PARTITIONS} partitions, ${ROUNDS} round(s)${WORKERS > 1 ? `, --workers ${WORKERS}` : ''}; ` +
    `load avg ${result.machine.loadAverage1mBefore} → ${result.machine.loadAverage1mAfter} on ${result.machine.cpus} CPUs\n`,
);
console.log('| path | readings/s | CPU s | peak RSS MiB |');
console.log('|---|---:|---:|---:|');
for (const r of rows) {
  const runs = r.runs > 1 ? ` (${r.readingsPerSecondRuns.map(fmt).join(', ')})` : '';
  const label = r.path === 'processor-cli' ? `${LABELS[r.path]}, --workers ${WORKERS}` : LABELS[r.path];
  console.log(`| ${label} | ${fmt(r.readingsPerSecond)}${runs} | ${r.cpuSeconds} | ${r.peakRssMiB} |`);
}
console.log(
  `\nprocessor / raw floor: ${result.processorToRawFloor ?? '-'} (bar ≥ 0.9); processor / KafkaJS floor: ` +
    `${result.processorToKafkajsFloor ?? '-'}; processor / Python peer: ${result.processorToPythonPeer ?? '-'} (bar ≥ 2)`,
);
if (cliRate !== undefined)
  console.log(
    `processor CLI --workers ${WORKERS} / raw floor: ${result.processorCliToRawFloor ?? '-'}; / Python peer: ${result.processorCliToPythonPeer ?? '-'}`,
  );
if (rate('core-thread-bound') !== undefined)
  console.log(
    `core-thread bound / raw floor: ${result.coreThreadBoundToRawFloor ?? '-'} (a design study, not the processor)`,
  );
mkdirSync(join(REPO_ROOT, '.bench'), { recursive: true });
writeFileSync(join(REPO_ROOT, '.bench', 'processor-throughput.json'), `${JSON.stringify(result, null, 2)}\n`);

const admin = createAdmin(kafka, logger);
await admin.connect();
const toDelete = [...outputTopics, ...(values.topic || values['keep-topic'] ? [] : [topic])];
if (toDelete.length > 0) await admin.deleteTopics({ topics: toDelete }).catch(() => undefined);
await admin.disconnect();
if (values['keep-topic'] && !values.topic) progress(`kept ${topic}: rerun with --topic ${topic}`);
process.exit(0);
