/**
 * Decodes one partition's records into reading envelopes for the pipeline, and the ones that cannot be used
 * into dead letters — the same code for live consumption and for replay while rebuilding, so both treat a
 * record alike. The codec is built once by the caller; per record there is the decoded reading and its
 * envelope, nothing else (no closure, no promise, no copy of key or value).
 */
import { type DecodeResult, dlqHeaders, type SensorReading } from '@sensor-pipeline/shared/core';
import type { ReplayCheckpoints } from '../state/replay-checkpoints.js';
import type { BatchOutput } from './batch-output.js';
import type { ReadingEnvelope } from './partition-pipeline.js';
import { type ReadingLimits, validateReading } from './reading-validation.js';

/** Decodes a reading's bytes: a `SensorReadingDecoder` (interned ids and labels), or a plain codec. */
export interface ReadingDecoder {
  safeDecode(buf: Buffer | null | undefined): DecodeResult<SensorReading>;
}

/** What decoding needs of a record: the client's message objects and the range reader's both fit. */
export interface RecordLike {
  readonly offset: number;
  readonly key?: Buffer | string | null;
  readonly value: Buffer | null;
}

export interface DecodeContext {
  readonly topic: string;
  readonly partition: number;
  readonly codec: ReadingDecoder;
  readonly limits: ReadingLimits;
  readonly nowMs: number;
  /** Where replay restarts from: every valid reading is observed, in offset order. */
  readonly checkpoints: ReplayCheckpoints;
  /** Rules run only on readings after this offset (their effect up to it is in the restored state). */
  readonly evaluateAfter: number;
  /** Outputs of these readings are published (false while replaying to rebuild). */
  readonly live: boolean;
  /**
   * Dead letters for records after this offset go to `out` (a record at or below it was set aside before
   * the restart); undefined while replaying, where bad records are skipped.
   */
  readonly deadLetterAfter?: number;
}

/** Appends the envelopes of `records[from, to)` to `envelopes`; returns how many records were set aside. */
export function decodeReadings(
  records: readonly RecordLike[],
  from: number,
  to: number,
  ctx: DecodeContext,
  envelopes: ReadingEnvelope[],
  out?: BatchOutput,
): number {
  let setAside = 0;
  for (let i = from; i < to; i++) {
    const record = records[i]!;
    const offset = record.offset;
    const decoded = ctx.codec.safeDecode(record.value);
    const invalid = decoded.ok
      ? validateReading(decoded.value, ctx.nowMs, ctx.limits, record.key ?? null)
      : decoded.error;
    if (invalid || !decoded.ok) {
      setAside++;
      if (out && ctx.deadLetterAfter !== undefined && offset > ctx.deadLetterAfter) {
        const error = invalid!;
        out.deadLetters.push({
          key: keyBuffer(record.key),
          value: record.value,
          code: error.code,
          headers: dlqHeaders(
            { topic: ctx.topic, partition: ctx.partition, offset: String(offset) },
            error,
            'processor/decode',
            ctx.nowMs,
          ),
        });
      }
      continue;
    }
    const reading = decoded.value;
    ctx.checkpoints.observe(offset, reading.timestamp);
    envelopes.push({
      reading,
      sensor: '',
      offset,
      key: keyBuffer(record.key),
      value: record.value,
      evaluate: offset > ctx.evaluateAfter,
      live: ctx.live,
    });
  }
  return setAside;
}

/**
 * Drops the envelopes' references to the records' key and value bytes once the pipeline has run them (a
 * late reading's dead letter holds its own): windows keep envelopes for their whole span, and the bytes
 * would otherwise stay alive with them — most of the memory per reading held.
 */
export function releaseRecordBytes(envelopes: readonly ReadingEnvelope[]): void {
  for (const e of envelopes) {
    const held = e as { key: Buffer | null; value: Buffer | null };
    held.key = null;
    held.value = null;
  }
}

function keyBuffer(key: Buffer | string | null | undefined): Buffer | null {
  if (key === undefined || key === null) return null;
  return typeof key === 'string' ? Buffer.from(key) : key;
}
