/**
 * Benchmark (not a test): resident memory of the processor's window and alert state with 100k sensors and
 * 60 s time windows filled at 1 Hz, through the same partition pipeline the service runs (no Kafka: this
 * measures state, not buffers).
 *
 *   npx tsx packages/processor/bench/processor-memory.bench.ts [--sensors 100000] [--seconds 70]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createLogger, type SensorReading } from '@sensor-pipeline/shared';
import { BatchOutput, createRulesRuntime, PartitionPipeline, parseRules, type ReadingEnvelope } from '../src/index.js';

const { values } = parseArgs({
  options: { sensors: { type: 'string', default: '100000' }, seconds: { type: 'string', default: '70' } },
});
const SENSORS = Number(values.sensors);
const SECONDS = Number(values.seconds);
const rules = parseRules(
  `rules:
  - { name: temperature-high, metric: temperature, window: 60s, statistic: mean, above: 80, clear: 75, severity: critical }
  - { name: cpu-high, metric: cpu, window: 60s, statistic: mean, above: 90, clear: 80, severity: warning }
  - { name: memory-high, metric: memory, window: 60s, statistic: mean, above: 85, clear: 80, severity: warning }
`,
  'bench-rules.yaml',
);
const runtime = createRulesRuntime(rules);
const pipeline = new PartitionPipeline({
  topic: 'bench',
  partition: 0,
  windows: runtime.windows,
  rules: runtime.createPartitionRules(new Map(), createLogger({ service: 'bench', level: 'silent' })),
  idleEvictMs: 120_000,
  statsIntervalMs: 0,
  now: Date.now,
});
const metrics: SensorReading['metric'][] = ['temperature', 'cpu', 'memory'];
const gc = (globalThis as { gc?: () => void }).gc;
gc?.();
const before = process.memoryUsage();
const base = Date.now() - 3_600_000;
const started = Date.now();
let offset = 0;
let alerts = 0;
for (let s = 0; s < SECONDS; s++) {
  const batch: ReadingEnvelope[] = [];
  for (let i = 0; i < SENSORS; i++) {
    const device = Math.floor(i / 3);
    const reading: SensorReading = {
      deviceId: `dev-${device}`,
      metric: metrics[i % 3]!,
      value: 40 + ((i * 31 + s * 17) % 100) / 10,
      timestamp: base + s * 1_000,
      seq: s,
      labels: {},
    };
    batch.push({ reading, sensor: '', offset: offset++, key: null, value: null, evaluate: true, live: true });
    if (batch.length === 2_000 || i === SENSORS - 1) {
      const out = new BatchOutput();
      pipeline.run(batch.splice(0), out, true);
      alerts += out.alerts.length;
    }
  }
  process.stderr.write(
    `\r[bench] ${s + 1}/${SECONDS} s of event time, ${pipeline.windowsHeld.toLocaleString()} windows`,
  );
}
const seconds = (Date.now() - started) / 1000;
gc?.();
const after = process.memoryUsage();
const result = {
  sensors: SENSORS,
  windowSeconds: 60,
  readings: SENSORS * SECONDS,
  windowsHeld: pipeline.windowsHeld,
  rssMiB: Math.round(after.rss / 1_048_576),
  heapUsedMiB: Math.round(after.heapUsed / 1_048_576),
  rssGrowthMiB: Math.round((after.rss - before.rss) / 1_048_576),
  bytesPerSensorHeap: Math.round((after.heapUsed - before.heapUsed) / SENSORS),
  readingsPerSecond: Math.round((SENSORS * SECONDS) / seconds),
  alerts,
};
process.stderr.write('\n');
console.log(JSON.stringify(result, null, 2));
mkdirSync('.bench', { recursive: true });
writeFileSync('.bench/processor-memory.json', JSON.stringify(result, null, 2));
