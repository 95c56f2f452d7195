/**
 * Benchmark (not a test): the processor's peak resident memory while it drains a backlog — by default
 * 1,000,000 readings from 10,000 devices, i.e. 30,000 sensors (bar: under 400 MB). What it holds is the
 * client's prefetch, the batches in flight and the windows; the backlog's size must not matter. Run in a
 * process of its own (support/drain-runner.ts), with the shipped rules.
 *
 *   npx tsx --conditions=source packages/processor/bench/processor-drain-memory.bench.ts \
 *     [--readings 1000000] [--devices 10000] [--partitions 6] [--workers 1] [--topic EXISTING]
 *
 * Writes .bench/processor-drain-memory.json. (processor-memory.bench.ts measures the window state alone, for
 * 100k sensors, without Kafka.)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createAdmin, createLogger, kafkaSettingsFromEnv } from '@sensor-pipeline/shared';
import { loadReadings } from './support/load-readings.js';
import { REPO_ROOT, runDrain } from './support/run-drain.js';

const BAR_MB = 400;
const { values } = parseArgs({
  options: {
    readings: { type: 'string', default: '1000000' },
    devices: { type: 'string', default: '10000' },
    partitions: { type: 'string', default: '6' },
    workers: { type: 'string', default: '1' },
    rules: { type: 'string', default: join(REPO_ROOT, 'config/rules.yaml') },
    topic: { type: 'string' },
  },
});
const READINGS = Number(values.readings);
const DEVICES = Number(values.devices);
const logger = createLogger({ service: 'bench', level: process.env['LOG_LEVEL'] ?? 'warn' });
const kafka = kafkaSettingsFromEnv('bench');
const run = Date.now().toString(36);
const topic = values.topic ?? `bench-memory-${run}`;
if (!values.topic) {
  const seconds = await loadReadings({
    kafka,
    logger,
    topic,
    partitions: Number(values.partitions),
    readings: READINGS,
    devices: DEVICES,
  });
  process.stderr.write(`[bench] loaded ${READINGS.toLocaleString('en-US')} readings in ${seconds.toFixed(1)} s\n`);
}
const loadBefore = loadavg()[0] ?? 0;
const drained = await runDrain('processor', {
  topic,
  count: READINGS,
  bootstrapServers: kafka.bootstrapServers,
  rules: values.rules,
  workers: Number(values.workers),
  run,
});
const result = {
  benchmark: 'processor drain memory',
  when: new Date().toISOString(),
  machine: { cpus: cpus().length, loadAverage1m: Number(loadBefore.toFixed(2)), node: process.version },
  readings: READINGS,
  devices: DEVICES,
  sensors: DEVICES * 3,
  workers: Number(values.workers),
  peakRssMiB: drained.peakRssMiB,
  peakRssMB: Math.round((drained.peakRssMiB * 1_048_576) / 1e6),
  barMB: BAR_MB,
  readingsPerSecond: Math.round(drained.readings / drained.seconds),
  alerts: drained.alerts,
};
console.log(JSON.stringify(result, null, 2));
console.log(
  `peak RSS draining ${READINGS.toLocaleString('en-US')} readings from ${(DEVICES * 3).toLocaleString('en-US')} sensors: ` +
    `${result.peakRssMB} MB (bar: under ${BAR_MB} MB) — ${result.peakRssMB < BAR_MB ? 'within' : 'over'} the bar`,
);
mkdirSync(join(REPO_ROOT, '.bench'), { recursive: true });
writeFileSync(join(REPO_ROOT, '.bench', 'processor-drain-memory.json'), `${JSON.stringify(result, null, 2)}\n`);
const admin = createAdmin(kafka, logger);
await admin.connect();
const outputs = Array.isArray(drained['outputTopics']) ? (drained['outputTopics'] as string[]) : [];
await admin.deleteTopics({ topics: [...outputs, ...(values.topic ? [] : [topic])] }).catch(() => undefined);
await admin.disconnect();
process.exit(0);
