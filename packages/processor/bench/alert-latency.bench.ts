/**
 * Benchmark (not a test): latency from a reading being produced to the alert it causes being readable on the
 * alerts topic, at fixed reading rates, with the processor in at-least-once mode (alerts are produced before
 * offsets are committed; a reader sees them as soon as they are acknowledged).
 *
 *   node infra/dist/cli.js start
 *   npx tsx packages/processor/bench/alert-latency.bench.ts [--rates 1000,10000] [--seconds 20]
 *
 * 1,000 devices report cpu; every 10th reading of a device alternates between 95 and 50, so a rule on the
 * last reading (`count: 1`, above 90) fires and resolves continuously. Each reading's event time is its send
 * time, and an alert's event time (startsAt for FIRING, endsAt for RESOLVED) is the event time of the reading
 * that decided it, so latency = time the alert is consumed − that event time.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  alertCodec,
  createAdmin,
  createConsumer,
  createLogger,
  createMetricsRegistry,
  createProducer,
  ensureTopics,
  kafkaSettingsFromEnv,
  sensorReadingCodec,
  type TopicNames,
} from '@sensor-pipeline/shared';
import { createRulesRuntime, ProcessorService, parseRules } from '../src/index.js';

const { values } = parseArgs({
  options: { rates: { type: 'string', default: '1000,10000' }, seconds: { type: 'string', default: '20' } },
});
const RATES = values.rates!.split(',').map(Number);
const SECONDS = Number(values.seconds);
const DEVICES = 1_000;
const logger = createLogger({ service: 'bench', level: process.env['LOG_LEVEL'] ?? 'warn' });
const kafka = kafkaSettingsFromEnv('bench-latency');
const readingCodec = sensorReadingCodec();
const alerts = alertCodec();
const progress = (line: string): void => void process.stderr.write(`[bench] ${line}\n`);
const rules = parseRules(
  `grace: 1s
rules:
  - { name: cpu-spike, metric: cpu, window: { count: 1 }, statistic: max, above: 90, severity: info }
`,
  'bench-rules.yaml',
);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function measure(rate: number): Promise<Record<string, number>> {
  const run = `${rate}-${Date.now().toString(36)}`;
  const topics: TopicNames = {
    readings: `lat-readings-${run}`,
    alerts: `lat-alerts-${run}`,
    stats: `lat-stats-${run}`,
    readingsDlq: `lat-dlq-${run}`,
    alertState: `lat-state-${run}`,
    deliveriesDlq: `lat-ddlq-${run}`,
    deliveriesRetry: `lat-dretry-${run}`,
  };
  const admin = createAdmin(kafka, logger);
  await admin.connect();
  await ensureTopics(admin, [{ topic: topics.readings, numPartitions: 6 }]);
  await admin.disconnect();

  const service = new ProcessorService({
    kafka,
    topics,
    groupId: `lat-${run}`,
    rules: createRulesRuntime(rules),
    logger,
    registry: createMetricsRegistry('bench'),
  });
  await service.start();

  const latencies: number[] = [];
  const consumer = createConsumer(kafka, {
    logger,
    groupId: `lat-reader-${run}`,
    extra: { 'fetch.wait.max.ms': 10, 'auto.offset.reset': 'earliest' },
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [topics.alerts] });
  void consumer.run({
    eachBatchAutoResolve: true,
    eachBatch: async ({ batch }) => {
      const now = Date.now();
      for (const m of batch.messages) {
        const a = alerts.decode(m.value);
        latencies.push(now - (a.status === 'FIRING' ? a.startsAt : a.endsAt!));
      }
    },
  });
  while (!service.readiness().ready) await new Promise((r) => setTimeout(r, 100));
  await new Promise((r) => setTimeout(r, 2_000)); // let the alert reader join

  const producer = createProducer(kafka, { logger, lingerMs: 1 });
  await producer.connect();
  const seq = new Array<number>(DEVICES).fill(0);
  const tickMs = 10;
  const perTick = Math.max(1, Math.round((rate * tickMs) / 1000));
  const started = Date.now();
  let sent = 0;
  let next = started;
  const pending: Promise<unknown>[] = [];
  while (Date.now() - started < SECONDS * 1000) {
    const now = Date.now();
    const messages = [];
    for (let i = 0; i < perTick; i++, sent++) {
      const d = sent % DEVICES;
      const k = seq[d]!++;
      const value = k % 10 === 9 ? (Math.floor(k / 10) % 2 === 0 ? 95 : 50) : 50;
      messages.push({
        key: `dev-${d}`,
        value: readingCodec.encode({ deviceId: `dev-${d}`, metric: 'cpu', value, timestamp: now, seq: k, labels: {} }),
      });
    }
    pending.push(producer.send({ topic: topics.readings, messages }));
    if (pending.length > 100) await pending.shift();
    next += tickMs;
    const wait = next - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    if ((sent / perTick) % Math.round(5000 / tickMs) === 0)
      progress(`${rate}/s: ${Math.round((Date.now() - started) / 1000)} s, ${latencies.length} alerts seen`);
  }
  await Promise.all(pending);
  const achieved = sent / ((Date.now() - started) / 1000);
  await new Promise((r) => setTimeout(r, 3_000));
  await producer.disconnect();
  await consumer.disconnect();
  await service.stop();
  const admin2 = createAdmin(kafka, logger);
  await admin2.connect();
  await admin2.deleteTopics({ topics: Object.values(topics) }).catch(() => undefined);
  await admin2.disconnect();
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    rate,
    achievedRate: Math.round(achieved),
    alerts: sorted.length,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    maxMs: sorted[sorted.length - 1] ?? NaN,
  };
}

const results = [];
for (const rate of RATES) {
  const r = await measure(rate);
  progress(JSON.stringify(r));
  results.push(r);
}
console.log(`
| readings/s offered (achieved) | alerts | p50 | p99 | max |
|---|---:|---:|---:|---:|
${results.map((r) => `| ${r.rate} (${r.achievedRate}) | ${r.alerts} | ${r.p50Ms} ms | ${r.p99Ms} ms | ${r.maxMs} ms |`).join('\n')}
`);
mkdirSync('.bench', { recursive: true });
writeFileSync(
  '.bench/processor-alert-latency.json',
  JSON.stringify({ devices: DEVICES, seconds: SECONDS, results }, null, 2),
);
process.exit(0);
