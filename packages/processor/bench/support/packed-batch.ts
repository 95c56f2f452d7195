/**
 * A consumed batch packed for another thread (the core-thread-bound path): every record's key and value
 * copied back to back into one transferable buffer, and per record the fields of `PACKED_FIELDS`: partition,
 * offset, broker timestamp, where its value starts and where it ends (its key runs from the previous record's
 * end to its value).
 */
import type { RdKafka } from '@sensor-pipeline/shared';

export const PACKED_FIELDS = 5;

export interface PackedBatch {
  readonly bytes: Uint8Array<ArrayBuffer>;
  readonly meta: Float64Array<ArrayBuffer>;
}

export function packBatch(messages: readonly RdKafka.Message[]): PackedBatch {
  let size = 0;
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    size += (m.key ? (m.key as Buffer).length : 0) + (m.value ? m.value.length : 0);
  }
  const bytes = new Uint8Array(size);
  const meta = new Float64Array(messages.length * PACKED_FIELDS);
  let at = 0;
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    const key = m.key as Buffer | null | undefined;
    if (key) {
      bytes.set(key, at);
      at += key.length;
    }
    const f = i * PACKED_FIELDS;
    meta[f] = m.partition;
    meta[f + 1] = m.offset;
    meta[f + 2] = m.timestamp ?? 0;
    meta[f + 3] = at;
    if (m.value) {
      bytes.set(m.value, at);
      at += m.value.length;
    }
    meta[f + 4] = at;
  }
  return { bytes, meta };
}
