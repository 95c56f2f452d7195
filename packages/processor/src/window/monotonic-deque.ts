/**
 * Sliding-window minimum (or maximum) that also takes out-of-order inserts: a ring buffer of the window's
 * "candidates" in window order (timestamp, then arrival), keys strictly increasing from front to back. An
 * element is a candidate iff no element after it in the window has a key <= its own, so the front is the
 * extreme and eviction of the window's oldest element pops at most the front.
 *
 * - In-order insert (timestamp >= every held timestamp): the classic push-back, popping dominated candidates
 *   from the back — amortized O(1).
 * - Out-of-order insert at timestamp ts: scan back to the first candidate with timestamp > ts (p). If that
 *   candidate's key <= the new key, the new element can never be the extreme: nothing to do. Otherwise it
 *   replaces the run of candidates just before p whose keys are >= its own. Cost O(d + 1), d = number of
 *   candidates newer than ts — bounded by the readings within grace. The invariant holds exactly; there is
 *   no fallback rescan.
 * - The key is the value for a minimum (`sign` 1) and the negated value for a maximum (`sign` −1).
 *
 * The deque stores slots only; timestamps and values are read from the window's `data` array, laid out as
 * `[timestamp, value]` pairs by slot (`data[2 * slot]`, `data[2 * slot + 1]`).
 */
import { nextPowerOfTwo } from './next-power-of-two.js';

export class MonotonicDeque {
  private slots: Int32Array;
  private mask: number;
  private head = 0;
  private length = 0;
  private readonly sign: number;

  constructor(sign: 1 | -1, initialCapacity = 8) {
    this.sign = sign;
    const capacity = nextPowerOfTwo(Math.max(2, initialCapacity));
    this.slots = new Int32Array(capacity);
    this.mask = capacity - 1;
  }

  get size(): number {
    return this.length;
  }

  /** The slot holding the minimum (maximum); −1 when empty. */
  frontSlot(): number {
    return this.length === 0 ? -1 : this.slots[this.head]!;
  }

  clear(): void {
    this.head = 0;
    this.length = 0;
  }

  /** Adds `slot`, placed after every held slot with timestamp <= its own. */
  insert(slot: number, data: Float64Array): void {
    const { slots, mask, head, sign } = this;
    const timestampMs = data[2 * slot]!;
    const key = sign * data[2 * slot + 1]!;
    let p = this.length;
    while (p > 0 && data[2 * slots[(head + p - 1) & mask]!]! > timestampMs) p--;
    if (p < this.length && sign * data[2 * slots[(head + p) & mask]! + 1]! <= key) return; // dominated
    let q = p;
    while (q > 0 && sign * data[2 * slots[(head + q - 1) & mask]! + 1]! >= key) q--;
    const removed = p - q;
    if (removed === 0) {
      if (this.length === mask + 1) {
        this.grow();
        this.insert(slot, data);
        return;
      }
      this.shift(p, 1); // open a gap at p
    } else if (removed > 1) {
      this.shift(p, 1 - removed); // close all but one of the removed positions
    }
    this.slots[(this.head + q) & this.mask] = slot;
  }

  /** Called when the window evicts its oldest element: drops it if it is the front candidate. */
  evict(slot: number): void {
    if (this.length > 0 && this.slots[this.head] === slot) {
      this.head = (this.head + 1) & this.mask;
      this.length--;
    }
  }

  /** Moves the elements at logical positions [from, length) by `by` places (±), adjusting length. */
  private shift(from: number, by: number): void {
    const { slots, mask, head, length } = this;
    if (by > 0) {
      for (let i = length - 1; i >= from; i--) slots[(head + i + by) & mask] = slots[(head + i) & mask]!;
    } else {
      for (let i = from; i < length; i++) slots[(head + i + by) & mask] = slots[(head + i) & mask]!;
    }
    this.length = length + by;
  }

  private grow(): void {
    const capacity = (this.mask + 1) * 2;
    const slots = new Int32Array(capacity);
    for (let i = 0; i < this.length; i++) slots[i] = this.slots[(this.head + i) & this.mask]!;
    this.slots = slots;
    this.mask = capacity - 1;
    this.head = 0;
  }
}
