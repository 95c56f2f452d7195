/**
 * One drain of a loaded readings topic, in a process of its own so that its CPU time and peak RSS are its
 * own: run by the throughput and memory benchmarks (run-drain.ts), never by hand. Prints one line,
 * `RESULT {json}`: readings, seconds (from the first record to the last counted: steady state, without the
 * group join), cpuSeconds over the same span (every thread of the process), peakRssMiB (whole run).
 *
 *   --path raw-floor      the lower-level client: KafkaConsumer.consume(1000) in a loop, every record decoded
 *   --path kafkajs-floor  the client's KafkaJS-compatible layer: consumer.run({eachBatch}), every record decoded
 *   --path processor      ProcessorService with the rules file (windows, rules, alerts, commits)
 */
import { parseArgs } from 'node:util';
import rdkafka from '@confluentinc/kafka-javascript';
import {
  createConsumer,
  createLogger,
  createMetricsRegistry,
  kafkaSettingsFromEnv,
  sensorReadingCodec,
  type TopicNames,
} from '@sensor-pipeline/shared';
import { createRulesRuntime, loadRules, ProcessorService, type ProcessorServiceOptions } from '../../src/index.js';

const { values } = parseArgs({
  options: {
    path: { type: 'string' },
    topic: { type: 'string' },
    count: { type: 'string' },
    rules: { type: 'string' },
    workers: { type: 'string', default: '1' },
    run: { type: 'string', default: Date.now().toString(36) },
  },
});
const path = values.path;
const topic = values.topic!;
const count = Number(values.count);
const logger = createLogger({ service: 'bench', level: process.env['LOG_LEVEL'] ?? 'warn' });
const kafka = kafkaSettingsFromEnv(`bench-${path}`);
const codec = sensorReadingCodec();

interface Span {
  startedMs: number;
  cpuStartedUs: number;
}
const span: Span = { startedMs: 0, cpuStartedUs: 0 };
function markStart(): void {
  if (span.startedMs) return;
  span.startedMs = performance.now();
  const cpu = process.cpuUsage();
  span.cpuStartedUs = cpu.user + cpu.system;
}
function finish(extra: Record<string, unknown>): Record<string, unknown> {
  const cpu = process.cpuUsage();
  return {
    seconds: (performance.now() - span.startedMs) / 1_000,
    cpuSeconds: (cpu.user + cpu.system - span.cpuStartedUs) / 1e6,
    ...extra,
  };
}

async function rawFloor(): Promise<Record<string, unknown>> {
  const consumer = new rdkafka.KafkaConsumer(
    {
      'bootstrap.servers': kafka.bootstrapServers,
      'client.id': 'bench-raw-floor',
      'group.id': `bench-raw-floor-${values.run}`,
      'enable.auto.commit': false,
      ...(kafka.extra as Record<string, string | number | boolean>),
    },
    { 'auto.offset.reset': 'earliest' },
  );
  await new Promise<void>((resolve, reject) => consumer.connect({}, (err) => (err ? reject(err) : resolve())));
  consumer.subscribe([topic]);
  consumer.setDefaultConsumeTimeout(100);
  let seen = 0;
  let decoded = 0;
  let checksum = 0;
  const consume = () =>
    new Promise<rdkafka.Message[]>((resolve, reject) =>
      consumer.consume(1_000, (err, messages) => (err ? reject(err) : resolve(messages))),
    );
  while (seen < count) {
    const messages = await consume();
    if (messages.length === 0) continue;
    markStart();
    for (let i = 0; i < messages.length; i++) {
      const r = codec.safeDecode(messages[i]!.value);
      if (r.ok) {
        decoded++;
        checksum += r.value.value;
      }
    }
    seen += messages.length;
  }
  const result = finish({ readings: seen, decoded, checksum: Math.round(checksum) });
  await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
  return result;
}

async function kafkajsFloor(): Promise<Record<string, unknown>> {
  const consumer = createConsumer(kafka, {
    logger,
    groupId: `bench-kafkajs-floor-${values.run}`,
    maxBatchSize: 2_000,
    extra: { 'fetch.min.bytes': 1, 'fetch.wait.max.ms': 50 },
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic] });
  let seen = 0;
  let decoded = 0;
  let checksum = 0;
  await new Promise<void>((resolve) => {
    void consumer.run({
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch }) => {
        markStart();
        for (const m of batch.messages) {
          const r = codec.safeDecode(m.value);
          if (r.ok) {
            decoded++;
            checksum += r.value.value;
          }
        }
        seen += batch.messages.length;
        if (seen >= count) resolve();
      },
    });
  });
  const result = finish({ readings: seen, decoded, checksum: Math.round(checksum) });
  await consumer.disconnect();
  return result;
}

async function processor(): Promise<Record<string, unknown>> {
  const run = values.run;
  const topics: TopicNames = {
    readings: topic,
    alerts: `${topic}-alerts-${run}`,
    stats: `${topic}-stats-${run}`,
    readingsDlq: `${topic}-dlq-${run}`,
    alertState: `${topic}-state-${run}`,
    deliveriesDlq: `${topic}-ddlq-${run}`,
  };
  const registry = createMetricsRegistry('bench');
  const workers = Number(values.workers);
  // `workers` is passed only when asked, so the harness runs on any ProcessorService of the tree
  const options = {
    kafka,
    topics,
    groupId: `bench-processor-${run}`,
    rules: createRulesRuntime(loadRules(values.rules!)),
    logger,
    registry,
    ...(workers > 1 ? { workers } : {}),
  } as ProcessorServiceOptions;
  const service = new ProcessorService(options);
  const startCalled = performance.now();
  await service.start();
  const counter = async (name: string): Promise<number> => {
    const metric = await registry.getSingleMetric(name)?.get();
    return (metric?.values ?? []).reduce((sum, v) => sum + v.value, 0);
  };
  let done = 0;
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    done = await counter('processor_readings_total');
    if (done > 0) markStart();
    if (done >= count) break;
    if (performance.now() - startCalled > 900_000) throw new Error(`processor drained only ${done} in 15 minutes`);
  }
  const result = finish({
    readings: done,
    alerts: await counter('processor_alerts_total'),
    late: await counter('processor_late_readings_total'),
    dlq: await counter('processor_dlq_total'),
    startSeconds: (span.startedMs - startCalled) / 1_000,
  });
  await service.stop();
  return { ...result, outputTopics: Object.values(topics).filter((t) => t !== topic) };
}

const runners: Record<string, () => Promise<Record<string, unknown>>> = {
  'raw-floor': rawFloor,
  'kafkajs-floor': kafkajsFloor,
  processor,
};
const runner = path === undefined ? undefined : runners[path];
if (!runner || !topic || !(count > 0)) {
  console.error(`usage: drain-runner --path ${Object.keys(runners).join('|')} --topic T --count N [--rules F]`);
  process.exit(2);
}
const result = await runner();
const peakRssMiB = Math.round(process.resourceUsage().maxRSS / 1024);
console.log(`RESULT ${JSON.stringify({ path, ...result, peakRssMiB })}`);
process.exit(0);
