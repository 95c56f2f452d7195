/**
 * One drain of a loaded readings topic, in a process of its own so that its CPU time and peak RSS are its
 * own: run by the throughput and memory benchmarks (run-drain.ts), never by hand. Prints one line,
 * `RESULT {json}`: readings, seconds (from the first record to the last counted: steady state, without the
 * group join), cpuSeconds over the same span (every thread of the process), peakRssMiB (whole run).
 *
 *   --path raw-floor      the lower-level client: KafkaConsumer.consume(1000) in a loop, every record decoded, with
 *                         the processor's consumer settings (createRawConsumer: fetch and prefetch bounds, read_committed)
 *   --path core-thread-bound  a design study: the raw floor's consuming thread handing each batch to a worker
 *                         thread that runs the processor's per-reading work (no outputs, no commits)
 *   --path kafkajs-floor  the client's KafkaJS-compatible layer: consumer.run({eachBatch}), every record decoded
 *   --path processor      ProcessorService with the rules file (windows, rules, alerts, commits)
 *   --path processor-cli  the built processor CLI (`--workers N`: a supervisor and N worker processes), progress read
 *                         from its /metrics; CPU and peak RSS summed over its process tree from /proc
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import {
  createConsumer,
  createLogger,
  createMetricsRegistry,
  createRawConsumer,
  kafkaSettingsFromEnv,
  type RawConsumer,
  sensorReadingCodec,
  type TopicNames,
} from '@sensor-pipeline/shared';
import { createRulesRuntime, loadRules, ProcessorService, type ProcessorServiceOptions } from '../../src/index.js';
import type { CoreThreadAnswer } from './core-thread-worker.js';
import { packBatch } from './packed-batch.js';
import { PROCESSOR_NODE_FLAGS } from './run-drain.js';

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

/** The alert count once it stops changing (alerts are counted when their batch's outputs are acknowledged). */
async function settledCount(read: () => Promise<number>): Promise<number> {
  let last = await read();
  for (let quiet = 0, i = 0; quiet < 40 && i < 400; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    const now = await read();
    quiet = now === last ? quiet + 1 : 0;
    last = now;
  }
  return last;
}

/** The processor's own consumer (createRawConsumer: its fetch and prefetch settings, read_committed), subscribed. */
async function subscribedConsumer(groupId: string): Promise<RawConsumer> {
  const consumer = createRawConsumer(kafka, {
    logger,
    groupId,
    onRebalance: (event, partitions) =>
      event === 'assign' ? consumer.assign(partitions) : consumer.unassign(partitions),
  });
  await consumer.connect();
  consumer.client.subscribe([topic]);
  return consumer;
}

async function rawFloor(): Promise<Record<string, unknown>> {
  // the processor's own consumer: same client, same fetch and prefetch settings, read_committed, batches of 1000
  const consumer = await subscribedConsumer(`bench-raw-floor-${values.run}`);
  let seen = 0;
  let decoded = 0;
  let checksum = 0;
  while (seen < count) {
    const messages = await consumer.consume(1_000);
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
  await consumer.disconnect();
  return result;
}

/**
 * A design study, not the product: how fast the processor's per-reading work goes when it runs on a thread of
 * its own while this thread only consumes. Consumes as the raw floor does, packs each batch (packBatch) and
 * hands it to a worker thread running runConsumedBatch with the service's defaults (core-thread-worker.ts),
 * at most 4 batches ahead. Nothing is produced and nothing committed; the alerts are counted, to compare.
 */
async function coreThreadBound(): Promise<Record<string, unknown>> {
  const worker = new Worker(fileURLToPath(new URL('./core-thread-entry.mjs', import.meta.url)), {
    workerData: { topic, rulesFile: values.rules },
    execArgv: ['--conditions=source'],
  });
  let answered = 0;
  let ahead = 0;
  let processed = 0;
  let deadLettered = 0;
  let alerts = 0;
  let wake: (() => void) | undefined;
  let failed: Error | undefined;
  worker.on('message', (a: CoreThreadAnswer) => {
    answered += a.records;
    processed += a.processed;
    deadLettered += a.deadLettered;
    alerts += a.alerts;
    ahead--;
    wake?.();
  });
  worker.on('error', (err) => {
    failed = err;
    wake?.();
  });
  const until = async (done: () => boolean) => {
    while (!done()) {
      if (failed) throw failed;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  };
  const consumer = await subscribedConsumer(`bench-core-thread-${values.run}`);
  let seen = 0;
  while (seen < count) {
    const messages = await consumer.consume(1_000);
    if (messages.length === 0) continue;
    markStart();
    const packed = packBatch(messages);
    ahead++;
    worker.postMessage(packed, [packed.bytes.buffer, packed.meta.buffer]);
    seen += messages.length;
    await until(() => ahead < 4);
  }
  await until(() => answered >= seen);
  const result = finish({ readings: processed, records: seen, deadLettered, alerts });
  await consumer.disconnect();
  await worker.terminate();
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
    deliveriesRetry: `${topic}-dretry-${run}`,
  };
  const registry = createMetricsRegistry('bench');
  const options: ProcessorServiceOptions = {
    kafka,
    topics,
    groupId: `bench-processor-${run}`,
    rules: createRulesRuntime(loadRules(values.rules!)),
    logger,
    registry,
    // a drain measures the backlog; the loaded readings cover seconds of event time dated an hour ago, so once
    // caught up an idle clock would (rightly) call every device silent and publish thousands of absence alerts
    idleAdvanceAfterMs: 0,
  };
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
  const result = finish({ readings: done, startSeconds: (span.startedMs - startCalled) / 1_000 });
  // counted after the span: alerts are counted once their batch's outputs are acknowledged
  result['alerts'] = await settledCount(() => counter('processor_alerts_total'));
  result['late'] = await counter('processor_late_readings_total');
  result['dlq'] = await counter('processor_dlq_total');
  await service.stop();
  return { ...result, outputTopics: Object.values(topics).filter((t) => t !== topic) };
}

/** A free loopback port. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** CPU seconds and resident MiB of `root` and all its descendants, from /proc (Linux). */
function treeUsage(root: number): { cpuSeconds: number; rssMiB: number } {
  const parent = new Map<number, number>();
  const stats = new Map<number, string[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const text = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = text.slice(text.lastIndexOf(')') + 2).split(' '); // fields from the 3rd on
      parent.set(Number(entry), Number(fields[1]));
      stats.set(Number(entry), fields);
    } catch {
      // gone meanwhile
    }
  }
  let cpuTicks = 0;
  let rssPages = 0;
  for (const [pid, fields] of stats) {
    let p: number | undefined = pid;
    while (p !== undefined && p > 1 && p !== root) p = parent.get(p);
    if (p !== root) continue;
    cpuTicks += Number(fields[11]) + Number(fields[12]); // utime, stime
    rssPages += Number(fields[21]);
  }
  return { cpuSeconds: cpuTicks / 100, rssMiB: (rssPages * 4096) / 1_048_576 };
}

/**
 * The built CLI, as the launcher and compose run it: run from source through tsx, each worker would compile
 * the sources again as it starts (one round measured 113k readings/s against 207k for the next).
 */
function builtCli(): string {
  const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
  const src = fileURLToPath(new URL('../../src/', import.meta.url));
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run pnpm build first`);
  const newest = (dir: string): number =>
    Math.max(
      ...readdirSync(dir, { withFileTypes: true }).map((e) =>
        e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs,
      ),
    );
  // the build rewrites the outputs of the sources that changed: its newest output is newer than any source
  if (newest(src) > newest(dirname(cli))) throw new Error(`${cli} is older than the sources: run pnpm build first`);
  return cli;
}

async function processorCli(): Promise<Record<string, unknown>> {
  const run = values.run;
  const port = await freePort();
  const cli = builtCli();
  const outputs = {
    ALERTS_TOPIC: `${topic}-alerts-${run}`,
    STATS_TOPIC: `${topic}-stats-${run}`,
    READINGS_DLQ_TOPIC: `${topic}-dlq-${run}`,
    ALERT_STATE_TOPIC: `${topic}-state-${run}`,
  };
  const child = spawn(
    process.execPath,
    [
      ...PROCESSOR_NODE_FLAGS,
      cli,
      '--rules',
      values.rules!,
      '--group-id',
      `bench-processor-cli-${run}`,
      '--idle-advance-after',
      '0', // as in the processor path above
      '--workers',
      values.workers!,
      '--metrics-port',
      String(port),
    ],
    {
      env: { ...process.env, LOG_LEVEL: process.env['LOG_LEVEL'] ?? 'warn', READINGS_TOPIC: topic, ...outputs },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const pid = child.pid!;
  const metric = async (name: string): Promise<number> => {
    try {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      let sum = 0;
      for (const line of text.split('\n'))
        if (line.startsWith(name) && (line[name.length] === ' ' || line[name.length] === '{'))
          sum += Number(line.slice(line.lastIndexOf(' ') + 1));
      return sum;
    } catch {
      return 0; // not serving yet
    }
  };
  let peakRssMiB = 0;
  let cpuAtStart = 0;
  let startedMs = 0;
  const sampler = setInterval(() => (peakRssMiB = Math.max(peakRssMiB, treeUsage(pid).rssMiB)), 100);
  const startCalled = performance.now();
  let done = 0;
  try {
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      done = await metric('processor_readings_total');
      if (done > 0 && !startedMs) {
        startedMs = performance.now();
        cpuAtStart = treeUsage(pid).cpuSeconds;
      }
      if (done >= count) break;
      if (child.exitCode !== null) throw new Error(`processor CLI exited with ${child.exitCode}`);
      if (performance.now() - startCalled > 900_000) throw new Error(`processor drained only ${done} in 15 minutes`);
    }
    const usage = treeUsage(pid);
    peakRssMiB = Math.max(peakRssMiB, usage.rssMiB);
    return {
      readings: done,
      seconds: (performance.now() - startedMs) / 1_000,
      cpuSeconds: usage.cpuSeconds - cpuAtStart,
      alerts: await settledCount(() => metric('processor_alerts_total')),
      workers: Number(values.workers),
      startSeconds: (startedMs - startCalled) / 1_000,
      peakRssMiB: Math.round(peakRssMiB),
      outputTopics: Object.values(outputs),
    };
  } finally {
    clearInterval(sampler);
    child.kill('SIGTERM');
    await exited;
  }
}

const runners: Record<string, () => Promise<Record<string, unknown>>> = {
  'raw-floor': rawFloor,
  'core-thread-bound': coreThreadBound,
  'kafkajs-floor': kafkajsFloor,
  processor,
  'processor-cli': processorCli,
};
const runner = path === undefined ? undefined : runners[path];
if (!runner || !topic || !(count > 0)) {
  console.error(`usage: drain-runner --path ${Object.keys(runners).join('|')} --topic T --count N [--rules F]`);
  process.exit(2);
}
const result = await runner();
const peakRssMiB = Math.round(process.resourceUsage().maxRSS / 1024);
const mib = (bytes: number): number => Math.round(bytes / 1024 / 1024);
(globalThis as { gc?: () => void }).gc?.(); // with --expose-gc: live memory, not garbage awaiting collection
const { rss, heapUsed, heapTotal, external, arrayBuffers } = process.memoryUsage();
// where the memory sits at the end: V8 heap, memory V8 knows outside it (typed arrays' buffers, Buffers), the rest
const memoryAtEndMiB = {
  rss: mib(rss),
  heapUsed: mib(heapUsed),
  heapTotal: mib(heapTotal),
  external: mib(external),
  arrayBuffers: mib(arrayBuffers),
};
console.log(`RESULT ${JSON.stringify({ path, peakRssMiB, ...result, memoryAtEndMiB })}`);
process.exit(0);
