/**
 * Bad records for testing the rest of the pipeline (`--poison-rate`): a chosen share of readings is
 * replaced, keyed by the device id like a real one, by one of four kinds of poison —
 * - `random-bytes`: 1–64 random bytes that are not an Avro frame;
 * - `truncated-avro`: a valid reading's bytes cut short (valid header, body missing its end);
 * - `nan-value`: valid Avro whose value is NaN;
 * - `future-timestamp`: valid Avro whose timestamp lies 100 years after its event time (far beyond now + 1 year).
 * Which readings and which kind are drawn from (seed, device, sequence number), so poisoned runs are as
 * reproducible as clean ones and the clean readings of a poisoned run equal those of a clean run.
 */
import { Sfc32, uint32At, uniformAt } from './prng.js';

export const POISON_KINDS = ['random-bytes', 'truncated-avro', 'nan-value', 'future-timestamp'] as const;
export type PoisonKind = (typeof POISON_KINDS)[number];

/** How far ahead a `future-timestamp` poison record is dated: 100 years of 365.25 days. */
export const FUTURE_OFFSET_MS = 100 * 365.25 * 86_400_000;

const KIND_SALT = 0x3c6ef372;
const BYTES_SALT = 0xa54ff53a;

/** Index into POISON_KINDS of the poison replacing reading `seq` of the device, or -1 to leave it clean. */
export function poisonKindAt(poisonKey: number, seq: number, rate: number): number {
  if (rate <= 0 || uniformAt(poisonKey, seq) >= rate) return -1;
  return Math.floor(uniformAt((poisonKey ^ KIND_SALT) >>> 0, seq) * POISON_KINDS.length);
}

/** A random byte string that does not start like an Avro single-object or Confluent frame. */
export function randomPoisonBytes(poisonKey: number, seq: number): Buffer {
  const rng = new Sfc32(uint32At((poisonKey ^ BYTES_SALT) >>> 0, seq));
  const bytes = Buffer.allocUnsafe(1 + rng.nextInt(64));
  for (let i = 0; i < bytes.length; i++) bytes[i] = rng.nextInt(256);
  if (bytes[0] === 0xc3 || bytes[0] === 0x00) bytes[0] = 0xff;
  return bytes;
}

/** A prefix of a valid encoding that keeps the framing header and cuts the body short. */
export function truncateEncoded(encoded: Buffer, headerLength: number, poisonKey: number, seq: number): Buffer {
  const rng = new Sfc32(uint32At((poisonKey ^ BYTES_SALT ^ 1) >>> 0, seq));
  const keep = headerLength + rng.nextInt(Math.max(1, encoded.length - headerLength)); // [header, length - 1]
  return encoded.subarray(0, keep);
}
