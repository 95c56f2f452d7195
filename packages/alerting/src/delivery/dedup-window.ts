/**
 * Remembers which keys (receiver + event id) were already delivered or dead-lettered, for a bounded time
 * (`windowMs`) and a bounded number of entries (`maxEntries`, oldest forgotten first), so a record that
 * Kafka redelivers (after a rebalance, a seek, a replay by the processor) is not sent twice to the same
 * receiver. Pure: time comes in as an argument. Memory: one Map entry per key.
 *
 * It narrows duplicates; it cannot rule them out: after a crash the window is empty, and a redelivered
 * alert goes out again with the same `webhook-id`, which receivers use to deduplicate.
 */
export interface DedupWindowOptions {
  readonly windowMs: number;
  readonly maxEntries: number;
}

export class DedupWindow {
  private readonly windowMs: number;
  private readonly maxEntries: number;
  /** key → expiry time; Map iteration order = insertion order = expiry order (time only moves forward). */
  private readonly entries = new Map<string, number>();

  constructor(options: DedupWindowOptions) {
    if (!(options.windowMs > 0)) throw new RangeError(`windowMs must be > 0, got ${options.windowMs}`);
    if (!Number.isInteger(options.maxEntries) || options.maxEntries < 1)
      throw new RangeError(`maxEntries must be an integer ≥ 1, got ${options.maxEntries}`);
    this.windowMs = options.windowMs;
    this.maxEntries = options.maxEntries;
  }

  get size(): number {
    return this.entries.size;
  }

  /** True when `key` was remembered less than `windowMs` before `nowMs`. */
  has(key: string, nowMs: number): boolean {
    this.expire(nowMs);
    const expiresAt = this.entries.get(key);
    return expiresAt !== undefined && expiresAt > nowMs;
  }

  remember(key: string, nowMs: number): void {
    this.expire(nowMs);
    this.entries.delete(key);
    this.entries.set(key, nowMs + this.windowMs);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.entries.delete(oldest.value);
    }
  }

  private expire(nowMs: number): void {
    for (const [key, expiresAt] of this.entries) {
      if (expiresAt > nowMs) break;
      this.entries.delete(key);
    }
  }
}
