/**
 * One consumed batch, run: librdkafka hands out runs of one partition; each run of a partition held is
 * decoded (decodeReadings) and run through the partition's pipeline (windows → rules), its next offset moved
 * past it. Records of partitions not held (revoked meanwhile, or not ours yet) are left to their owner, and
 * records below a partition's next offset (repeats after a rewind) are skipped. Returns each partition's
 * share with what it produced, and the counts the shell turns into metrics. Time is an argument.
 */
import type { RdKafka } from '@sensor-pipeline/shared';
import { BatchOutput } from './batch-output.js';
import { decodeReadings, type ReadingDecoder, releaseRecordBytes } from './decode-readings.js';
import type { ReadingEnvelope } from './partition-pipeline.js';
import { type PartitionBatch, type PartitionState, partitionBatch } from './partition-state.js';
import type { ReadingLimits } from './reading-validation.js';

export interface ConsumedBatchContext {
  readonly nowMs: number;
  /** The partitions held, by partition number. */
  readonly partitions: ReadonlyMap<number, PartitionState>;
  readonly codec: ReadingDecoder;
  readonly limits: ReadingLimits;
  /** The partition delivered records at `atMs` (for idle advance). */
  readonly delivered: (partition: number, atMs: number) => void;
  /** Metrics and logs for a partition's outputs. */
  readonly observe: (state: PartitionState, out: BatchOutput) => void;
}

export interface ConsumedBatchResult {
  /** Each partition's share, in the order consumed. */
  readonly batches: PartitionBatch[];
  /** The oldest broker append time among the records run, ms; +Infinity when none. */
  readonly oldestAppendMs: number;
  /** Readings run through the windows. */
  readonly processed: number;
  /** Readings too late for their windows. */
  readonly late: number;
  /** Readings set aside to the DLQ (undecodable, invalid, or refused by the sensor budget). */
  readonly deadLettered: number;
  /** Readings refused by the sensor budget. */
  readonly sensorsRefused: number;
}

export function runConsumedBatch(messages: readonly RdKafka.Message[], ctx: ConsumedBatchContext): ConsumedBatchResult {
  const { nowMs } = ctx;
  const batches: PartitionBatch[] = [];
  const envelopes: ReadingEnvelope[] = [];
  let oldestAppendMs = Number.POSITIVE_INFINITY;
  let processed = 0;
  let deadLettered = 0;
  let late = 0;
  let sensorsRefused = 0;
  // librdkafka hands out runs of one partition: take each run as it comes
  let i = 0;
  while (i < messages.length) {
    const partition = messages[i]!.partition;
    let end = i + 1;
    while (end < messages.length && messages[end]!.partition === partition) end++;
    const state = ctx.partitions.get(partition);
    if (!state) {
      i = end; // revoked meanwhile (or not ours yet): its new owner reads it from the committed offset
      continue;
    }
    // records below the next expected offset are repeats (after a rewind): skip them
    let from = i;
    while (from < end && messages[from]!.offset < state.nextOffset) from++;
    if (from === end) {
      i = end;
      continue;
    }
    for (let k = from; k < end; k++) {
      const appendMs = messages[k]!.timestamp;
      if (appendMs !== undefined && appendMs < oldestAppendMs) oldestAppendMs = appendMs;
    }
    const out = new BatchOutput();
    envelopes.length = 0;
    const setAside = decodeReadings(
      messages,
      from,
      end,
      {
        topic: state.topic,
        partition,
        codec: ctx.codec,
        limits: ctx.limits,
        nowMs,
        checkpoints: state.checkpoints,
        evaluateAfter: state.asOfOffset,
        live: true,
        deadLetterAfter: state.asOfOffset,
      },
      envelopes,
      out,
    );
    const refused = state.pipeline.run(envelopes, out, true);
    releaseRecordBytes(envelopes);
    const lastOffset = messages[end - 1]!.offset;
    state.nextOffset = lastOffset + 1;
    ctx.delivered(partition, nowMs);
    batches.push(partitionBatch(state, out));
    processed += envelopes.length - out.lateCount - refused;
    late += out.lateCount;
    deadLettered += setAside + refused;
    sensorsRefused += refused;
    ctx.observe(state, out);
    i = end;
  }
  return { batches, oldestAppendMs, processed, late, deadLettered, sensorsRefused };
}
