/**
 * Benchmark (not a test): processor throughput draining a pre-loaded topic, next to the rate at which the
 * same Kafka client merely consumes and decodes the same topic, in the same run.
 *
 *   node infra/dist/cli.js start                      # a broker at 127.0.0.1:9092 (or set KAFKA_BOOTSTRAP_SERVERS)
 *   npx tsx packages/processor/bench/processor-throughput.bench.ts [--readings 2000000] [--devices 10000] [--rules config/rules.yaml]
 *
 * Loads READINGS readings from DEVICES devices (temperature, cpu, memory round robin, 1 s apart per device,
 * a few devices hot so alerts fire) into a fresh 6-partition topic, then drains it (1) with a plain consumer
 * group that decodes every record, (2) with the processor and the shipped rules (config/rules.yaml), and
 * (3) with the plain consumer again. Prints a table and writes .bench/processor-throughput.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  createAdmin,
  createConsumer,
  createLogger,
  createMetricsRegistry,
  createProducer,
  ensureTopics,
  kafkaSettingsFromEnv,
  type SensorReading,
  sensorReadingCodec,
  type TopicNames,
} from '@sensor-pipeline/shared';
import { loadRules } from '../src/rules/index.js';
import { ProcessorService } from '../src/service/processor-service.js';
import { createRulesRuntime } from '../src/service/rules-runtime.js';

const { values } = parseArgs({
  options: {
    readings: { type: 'string', default: '2000000' },
    devices: { type: 'string', default: '10000' },
    partitions: { type: 'string', default: '6' },
    rules: { type: 'string', default: new URL('../../../config/rules.yaml', import.meta.url).pathname },
    // profiling aid: drain with the processor only
    'processor-only': { type: 'boolean', default: false },
  },
});
const READINGS = Number(values.readings);
const DEVICES = Number(values.devices);
const PARTITIONS = Number(values.partitions);
const logger = createLogger({ service: 'bench', level: process.env['LOG_LEVEL'] ?? 'warn' });
const kafka = kafkaSettingsFromEnv('bench');
const codec = sensorReadingCodec();
const run = Date.now().toString(36);
const topics: TopicNames = {
  readings: `bench-readings-${run}`,
  alerts: `bench-alerts-${run}`,
  stats: `bench-stats-${run}`,
  readingsDlq: `bench-dlq-${run}`,
  alertState: `bench-state-${run}`,
  deliveriesDlq: `bench-ddlq-${run}`,
};
const progress = (line: string): void => void process.stderr.write(`[bench] ${line}\n`);

async function load(): Promise<number> {
  const admin = createAdmin(kafka, logger);
  await admin.connect();
  await ensureTopics(admin, [{ topic: topics.readings, numPartitions: PARTITIONS }]);
  await admin.disconnect();
  const producer = createProducer(kafka, {
    logger,
    lingerMs: 20,
    compression: 'lz4',
    extra: { 'batch.num.messages': 10_000, 'batch.size': 1_000_000, 'queue.buffering.max.messages': 1_000_000 },
  });
  await producer.connect();
  const metrics: SensorReading['metric'][] = ['temperature', 'cpu', 'memory'];
  const base = Date.now() - 3_600_000;
  const started = Date.now();
  const inflight: Promise<unknown>[] = [];
  const chunk = 10_000;
  for (let i = 0; i < READINGS; i += chunk) {
    const messages = [];
    for (let j = i; j < Math.min(READINGS, i + chunk); j++) {
      const d = j % DEVICES;
      const k = Math.floor(j / DEVICES);
      const metric = metrics[k % 3]!;
      const hot = d % 500 === 0 && k > 60; // 0.2 % of devices overheat / peg CPU / leak memory after a minute
      const value =
        metric === 'temperature'
          ? (hot ? 92 : 40) + ((j * 7919) % 100) / 25
          : metric === 'cpu'
            ? (hot ? 97 : 30) + ((j * 104_729) % 100) / 20
            : (hot ? 92 : 50) + ((j * 1_299_709) % 100) / 50;
      const reading: SensorReading = {
        deviceId: `site-${d % 10}/dev-${String(d).padStart(5, '0')}`,
        metric,
        value,
        timestamp: base + Math.floor(k / 3) * 1_000,
        seq: k,
        labels: { site: `site-${d % 10}` },
      };
      messages.push({ key: reading.deviceId, value: codec.encode(reading) });
    }
    inflight.push(producer.send({ topic: topics.readings, messages }));
    if (inflight.length >= 20) await inflight.shift();
    if ((i / chunk) % 20 === 0) progress(`loading: ${i.toLocaleString()} / ${READINGS.toLocaleString()}`);
  }
  await Promise.all(inflight);
  await producer.disconnect();
  const seconds = (Date.now() - started) / 1000;
  progress(`loaded ${READINGS.toLocaleString()} readings in ${seconds.toFixed(1)} s`);
  return seconds;
}

/** The floor: the same client, a consumer group, every record decoded, nothing else. */
async function rawConsume(label: string): Promise<number> {
  const consumer = createConsumer(kafka, {
    logger,
    groupId: `bench-raw-${label}-${run}`,
    maxBatchSize: 2_000,
    extra: { 'fetch.min.bytes': 1, 'fetch.wait.max.ms': 50 },
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [topics.readings] });
  let count = 0;
  let checksum = 0;
  const joined = Date.now();
  let started = 0;
  await new Promise<void>((resolve) => {
    void consumer.run({
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch }) => {
        started ||= Date.now();
        for (const m of batch.messages) {
          const r = codec.safeDecode(m.value);
          if (r.ok) checksum += r.value.value;
        }
        count += batch.messages.length;
        if (count >= READINGS) resolve();
      },
    });
  });
  const seconds = (Date.now() - started) / 1000;
  await consumer.disconnect();
  progress(
    `raw consume+decode (${label}): ${count.toLocaleString()} in ${seconds.toFixed(2)} s from the first batch (join took ${((started - joined) / 1000).toFixed(1)} s; checksum ${checksum.toFixed(0)})`,
  );
  return READINGS / seconds;
}

async function processorDrain(): Promise<{ rate: number; alerts: number }> {
  const registry = createMetricsRegistry('bench');
  const service = new ProcessorService({
    kafka,
    topics,
    groupId: `bench-processor-${run}`,
    rules: createRulesRuntime(loadRules(values.rules!)),
    logger,
    registry,
  });
  const startCalled = Date.now();
  await service.start();
  const counter = async (name: string): Promise<number> => {
    const metric = await registry.getSingleMetric(name)?.get();
    return (metric?.values ?? []).reduce((s, v) => s + v.value, 0);
  };
  // steady state, like the raw consumer: from the first processed batch (after the group join and the
  // state rebuild) to the last
  let started = 0;
  for (;;) {
    await new Promise((r) => setTimeout(r, 20));
    const done = await counter('processor_readings_total');
    if (done > 0 && !started) started = Date.now();
    if (done >= READINGS) break;
    if (Date.now() - startCalled > 600_000) throw new Error(`processor drained only ${done} in 10 minutes`);
  }
  const seconds = (Date.now() - started) / 1000;
  progress(`processor start (topics, join, rebuild) took ${((started - startCalled) / 1000).toFixed(1)} s`);
  const alerts = await counter('processor_alerts_total');
  await service.stop();
  progress(`processor: ${READINGS.toLocaleString()} in ${seconds.toFixed(2)} s, ${alerts} alerts`);
  return { rate: READINGS / seconds, alerts };
}

const loadSeconds = await load();
if (values['processor-only']) {
  await processorDrain();
  process.exit(0);
}
const raw1 = await rawConsume('before');
const proc = await processorDrain();
const raw2 = await rawConsume('after');
const raw = (raw1 + raw2) / 2;
const result = {
  readings: READINGS,
  devices: DEVICES,
  partitions: PARTITIONS,
  loadSeconds,
  rawConsumePerSecond: Math.round(raw),
  rawConsumeRuns: [Math.round(raw1), Math.round(raw2)],
  processorPerSecond: Math.round(proc.rate),
  ratioToRaw: Number((proc.rate / raw).toFixed(3)),
  alerts: proc.alerts,
  cpus: (await import('node:os')).cpus().length,
};
console.log(`
| path                                   | readings/s |
|----------------------------------------|-----------:|
| raw consume + Avro decode (mean of 2)  | ${result.rawConsumePerSecond.toLocaleString().padStart(10)} |
| processor (windows + rules + outputs)  | ${result.processorPerSecond.toLocaleString().padStart(10)} |
| processor / raw                        | ${(result.ratioToRaw * 100).toFixed(1).padStart(9)}% |
`);
mkdirSync('.bench', { recursive: true });
writeFileSync('.bench/processor-throughput.json', JSON.stringify(result, null, 2));
const admin = createAdmin(kafka, logger);
await admin.connect();
await admin.deleteTopics({ topics: Object.values(topics) }).catch(() => undefined);
await admin.disconnect();
process.exit(0);
