/**
 * Which offset of one partition may be committed, pure. Records are tracked in the order they are
 * consumed (increasing offsets) and marked done in any order (receivers finish at their own pace); the
 * committable offset is the lowest offset not yet done, or the highest tracked + 1 when everything is
 * done — the Kafka convention of committing the *next* offset to read. A crash therefore replays every
 * record that was not fully delivered or dead-lettered, and nothing else behind the lowest pending one.
 *
 * An offset at or below the highest one already tracked (a redelivery after a seek) is refused by
 * `track`, so the same record is never counted twice.
 */
export class OffsetTracker {
  /** Tracked offsets not yet popped, ascending. */
  private pending: number[] = [];
  private head = 0;
  /** Offsets done while a lower one is still pending. */
  private readonly doneEarly = new Set<number>();
  private highest = -1;

  /** Offsets tracked and not done yet. */
  get pendingCount(): number {
    return this.pending.length - this.head - this.doneEarly.size;
  }

  /** Starts tracking `offset`; false when it is not above the highest tracked one (already seen). */
  track(offset: number): boolean {
    if (!Number.isSafeInteger(offset) || offset < 0)
      throw new RangeError(`offset must be a non-negative safe integer, got ${offset}`);
    if (offset <= this.highest) return false;
    this.highest = offset;
    this.pending.push(offset);
    return true;
  }

  /** Marks a tracked offset done; unknown or repeated offsets are ignored. */
  done(offset: number): void {
    if (this.head < this.pending.length && this.pending[this.head] === offset) {
      this.head += 1;
      while (this.head < this.pending.length && this.doneEarly.delete(this.pending[this.head]!)) this.head += 1;
      if (this.head >= 1_024 && this.head * 2 >= this.pending.length) {
        this.pending = this.pending.slice(this.head);
        this.head = 0;
      }
    } else if (this.isPending(offset)) {
      this.doneEarly.add(offset);
    }
  }

  private isPending(offset: number): boolean {
    let lo = this.head;
    let hi = this.pending.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const value = this.pending[mid]!;
      if (value === offset) return true;
      if (value < offset) lo = mid + 1;
      else hi = mid - 1;
    }
    return false;
  }

  /** The next offset to read, to be committed; `undefined` before anything was tracked. */
  committable(): number | undefined {
    if (this.highest < 0) return undefined;
    return this.head < this.pending.length ? this.pending[this.head]! : this.highest + 1;
  }
}
