/**
 * Benchmark (not a test): the processor's per-reading work in process, without a broker — what the consuming
 * thread does to a consumed batch after the client has handed it over (decode, validate, windows, rules,
 * outputs collected), next to the decode alone (what the throughput benchmark's raw floor does besides
 * consuming). Each batch's records are built as the client builds them (a message object per record, key and
 * value copied out) and carry the same readings the throughput benchmark loads (10,000 devices, 30,000
 * sensors, shipped rules), spread over 6 partitions in runs of one partition as librdkafka hands them out.
 * Reports µs per reading on the CPU clock (building the batches included in both), best of the rounds,
 * decode and pipeline alternated; what the pipeline adds is the difference.
 *
 *   node --max-semi-space-size=32 --conditions=source --import tsx packages/processor/bench/hot-path.bench.ts \
 *     [--readings 1000000] [--rounds 3]      # the service's young-generation size, as the launcher runs it
 */
import { parseArgs } from 'node:util';
import { createLogger, type RdKafka, SensorReadingDecoder, sensorReadingCodec } from '@sensor-pipeline/shared';
import { createRulesRuntime, loadRules } from '../src/index.js';
import { createPartitionState } from '../src/service/create-partition-state.js';
import type { PartitionState } from '../src/service/partition-state.js';
import { DEFAULT_READING_LIMITS } from '../src/service/reading-validation.js';
import { runConsumedBatch } from '../src/service/run-consumed-batch.js';
import { SensorBudget } from '../src/service/sensor-budget.js';
import { benchReading } from './support/load-readings.js';
import { REPO_ROOT } from './support/run-drain.js';

const { values } = parseArgs({
  options: {
    readings: { type: 'string', default: '1000000' },
    devices: { type: 'string', default: '10000' },
    rounds: { type: 'string', default: '3' },
    rules: { type: 'string', default: `${REPO_ROOT}/config/rules.yaml` },
  },
});
const READINGS = Number(values.readings);
const DEVICES = Number(values.devices);
const PARTITIONS = 6;
const BATCH = 2_000;
const codec = sensorReadingCodec();
const log = createLogger({ service: 'bench', level: 'silent' });

// The records, packed into one buffer (so that the heap holds no million objects between rounds), in the
// order the client hands them out: batches of runs of one partition, offsets counted per partition.
const baseMs = Math.floor((Date.now() - 3_600_000) / 1_000) * 1_000;
interface Packed {
  readonly partition: number;
  readonly offset: number;
  readonly keyAt: number;
  readonly valueAt: number;
  readonly end: number;
}
const byPartition: Buffer[][] = Array.from({ length: PARTITIONS }, () => []);
for (let j = 0; j < READINGS; j++) {
  const reading = benchReading(j, DEVICES, baseMs);
  byPartition[(j % DEVICES) % PARTITIONS]!.push(Buffer.from(reading.deviceId), codec.encode(reading));
}
const chunks: Buffer[] = [];
const order: Packed[] = [];
let at = 0;
const cursors = byPartition.map(() => 0);
while (order.length < READINGS) {
  for (let p = 0; p < PARTITIONS; p++) {
    const list = byPartition[p]!;
    for (let k = 0; k < BATCH / PARTITIONS && cursors[p]! < list.length; k++) {
      const key = list[cursors[p]!++]!;
      const value = list[cursors[p]!++]!;
      chunks.push(key, value);
      order.push({
        partition: p,
        offset: (cursors[p]! >> 1) - 1,
        keyAt: at,
        valueAt: at + key.length,
        end: at + key.length + value.length,
      });
      at += key.length + value.length;
    }
  }
}
byPartition.length = 0;
const packed = Buffer.concat(chunks);
chunks.length = 0;

/** Batch `b` as the client builds it: a message object per record, key and value copied out of its buffer. */
function batch(b: number): RdKafka.Message[] {
  const out: RdKafka.Message[] = [];
  for (let i = b * BATCH; i < Math.min(order.length, (b + 1) * BATCH); i++) {
    const r = order[i]!;
    const value = Buffer.from(packed.subarray(r.valueAt, r.end));
    out.push({
      value,
      size: value.length,
      key: Buffer.from(packed.subarray(r.keyAt, r.valueAt)),
      topic: 'bench-readings',
      offset: r.offset,
      partition: r.partition,
      timestamp: baseMs,
    } as RdKafka.Message);
  }
  return out;
}
const BATCHES = Math.ceil(order.length / BATCH);

const rules = await loadRules(values.rules!);
const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1_000;
};

function decodeOnly(): number {
  const started = cpuMs();
  let checksum = 0;
  for (let b = 0; b < BATCHES; b++) {
    const messages = batch(b);
    for (let i = 0; i < messages.length; i++) {
      const r = codec.safeDecode(messages[i]!.value);
      if (r.ok) checksum += r.value.value;
    }
  }
  if (!(checksum > 0)) throw new Error('nothing decoded');
  return cpuMs() - started;
}

function pipeline(): { ms: number; alerts: number } {
  const runtime = createRulesRuntime(rules);
  const SPAN_MS = runtime.lookbackMs + 60_000; // as the service: the rules' lookback plus a minute
  const partitions = new Map<number, PartitionState>();
  const sensorBudget = new SensorBudget(200_000);
  for (let p = 0; p < PARTITIONS; p++) {
    partitions.set(
      p,
      createPartitionState({
        topic: 'bench-readings',
        partition: p,
        rules: runtime,
        log,
        replaySpanMs: SPAN_MS,
        statsIntervalMs: 0,
        sensorBudget, // as the service: every new sensor takes a slot of the instance's budget
        now: Date.now,
      }),
    );
  }
  const decoder = new SensorReadingDecoder(codec); // as the service: one per instance
  let alerts = 0;
  const started = cpuMs();
  for (let b = 0; b < BATCHES; b++) {
    const result = runConsumedBatch(batch(b), {
      nowMs: Date.now(),
      partitions,
      codec: decoder,
      limits: DEFAULT_READING_LIMITS,
      delivered: () => undefined,
      observe: () => undefined,
    });
    for (const b of result.batches) alerts += b.out.alerts.length;
  }
  const ms = cpuMs() - started;
  for (const state of partitions.values()) state.pipeline.close();
  return { ms, alerts };
}

const us = (ms: number): string => ((ms * 1_000) / READINGS).toFixed(2);
let bestDecode = Infinity;
let bestPipeline = Infinity;
let alerts = 0;
for (let round = 1; round <= Number(values.rounds); round++) {
  const d = decodeOnly();
  const p = pipeline();
  alerts = p.alerts;
  bestDecode = Math.min(bestDecode, d);
  bestPipeline = Math.min(bestPipeline, p.ms);
  process.stderr.write(`[bench] round ${round}: decode ${us(d)} µs/reading, pipeline ${us(p.ms)} µs/reading\n`);
}
console.log(
  JSON.stringify({
    readings: READINGS,
    decodeMicrosPerReading: Number(us(bestDecode)),
    pipelineMicrosPerReading: Number(us(bestPipeline)),
    beyondDecodeMicrosPerReading: Number(us(bestPipeline - bestDecode)),
    alerts,
  }),
);
