/**
 * The worker thread of drain-runner's `core-thread-bound` path: the processor's pure core (decode, validate,
 * windows, rules: runConsumedBatch with the service's defaults) run on a thread of its own, fed packed batches
 * by the consuming thread. It imports the shared package's `core` entry only: the Kafka client (a native addon)
 * is loaded by the consuming thread. Each batch is answered with its counts, in order.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { RdKafka } from '@sensor-pipeline/shared';
import { createLogger, SensorReadingDecoder, sensorReadingCodec } from '@sensor-pipeline/shared/core';
import { loadRules } from '../../src/rules/load-rules.js';
import { createPartitionState } from '../../src/service/create-partition-state.js';
import type { PartitionState } from '../../src/service/partition-state.js';
import { DEFAULT_READING_LIMITS } from '../../src/service/reading-validation.js';
import { createRulesRuntime } from '../../src/service/rules-runtime.js';
import { runConsumedBatch } from '../../src/service/run-consumed-batch.js';
import { SensorBudget } from '../../src/service/sensor-budget.js';
import { PACKED_FIELDS, type PackedBatch } from './packed-batch.js';

export interface CoreThreadAnswer {
  readonly records: number;
  readonly processed: number;
  readonly deadLettered: number;
  readonly alerts: number;
}

const { topic, rulesFile } = workerData as { topic: string; rulesFile: string };
const log = createLogger({ service: 'bench-core-thread', level: 'silent' });
const runtime = createRulesRuntime(loadRules(rulesFile));
const replaySpanMs = runtime.lookbackMs + 60_000; // the service's default span
const sensorBudget = new SensorBudget(200_000); // the service's default budget
const decoder = new SensorReadingDecoder(sensorReadingCodec());
const partitions = new Map<number, PartitionState>();

const partitionState = (partition: number): PartitionState =>
  createPartitionState({
    topic,
    partition,
    rules: runtime,
    log,
    replaySpanMs,
    statsIntervalMs: 0,
    sensorBudget,
    now: Date.now,
  });

parentPort!.on('message', ({ bytes, meta }: PackedBatch) => {
  const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = meta.length / PACKED_FIELDS;
  const messages: RdKafka.Message[] = new Array(n);
  let at = 0;
  for (let i = 0; i < n; i++) {
    const m = i * PACKED_FIELDS;
    const partition = meta[m]!;
    const valueAt = meta[m + 3]!;
    const end = meta[m + 4]!;
    if (!partitions.has(partition)) partitions.set(partition, partitionState(partition));
    const value = data.subarray(valueAt, end);
    messages[i] = {
      topic,
      partition,
      offset: meta[m + 1]!,
      timestamp: meta[m + 2]!,
      key: data.subarray(at, valueAt),
      value,
      size: value.length,
    } as RdKafka.Message;
    at = end;
  }
  const result = runConsumedBatch(messages, {
    nowMs: Date.now(),
    partitions,
    codec: decoder,
    limits: DEFAULT_READING_LIMITS,
    delivered: () => undefined,
    observe: () => undefined,
  });
  let alerts = 0;
  for (const b of result.batches) alerts += b.out.alerts.length;
  const answer: CoreThreadAnswer = {
    records: n,
    processed: result.processed,
    deadLettered: result.deadLettered,
    alerts,
  };
  parentPort!.postMessage(answer);
});
