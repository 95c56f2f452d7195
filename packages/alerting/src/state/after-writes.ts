/**
 * Holds a record's completion back until the state writes it caused are acknowledged: its offset may be
 * committed only once a restart would find what it changed. A write given up at shutdown never completes
 * it, so the record is consumed again after the restart.
 */

/** `onDone` once every state write was acknowledged (at once when there are none). */
export function afterWrites(writes: readonly Promise<boolean>[], onDone: () => void): () => void {
  if (writes.length === 0) return onDone;
  const settled = Promise.all(writes);
  return () => {
    void settled.then((oks) => {
      if (oks.every(Boolean)) onDone(); // a write given up at shutdown: the record is consumed again
    });
  };
}
