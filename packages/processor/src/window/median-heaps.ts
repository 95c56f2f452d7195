/**
 * Running median of a multiset whose elements are named by small integer slots: two binary heaps, a
 * max-heap `low` with the smaller half and a min-heap `high` with the larger half (stored negated, so both
 * are max-heaps sharing one implementation), plus a slot → position index. That index is what lets the
 * window remove the exact element it evicts in O(log n) instead of searching for it.
 *
 * insert / remove: O(log n); median: O(1); no allocation except when the capacity grows.
 * Invariants: max(low) <= min(high); |low| = |high| or |low| = |high| + 1.
 * Storage: two typed arrays for everything (keys: [low | high]; ints: [position by slot | low slots |
 * high slots]), since with 100k sensors the per-array overhead matters as much as the contents; the window
 * passes views into its one buffer (the arrays need not be zeroed: positions are written before they are read).
 */

/** Mean of the two middle values, without overflowing for huge finite values. */
export function midpoint(a: number, b: number): number {
  const m = (a + b) / 2;
  return m - m === 0 ? m : a / 2 + b / 2;
}

/**
 * A max-heap of (key, slot) pairs living in regions of shared arrays; it records each slot's position as
 * `(index << 1) | tag` in `ints[slot]`.
 */
class IndexedMaxHeap {
  keys: Float64Array;
  ints: Int32Array;
  keyBase: number;
  slotBase: number;
  size = 0;
  private readonly tag: number;

  constructor(keys: Float64Array, ints: Int32Array, keyBase: number, slotBase: number, tag: 0 | 1) {
    this.keys = keys;
    this.ints = ints;
    this.keyBase = keyBase;
    this.slotBase = slotBase;
    this.tag = tag;
  }

  topKey(): number {
    return this.keys[this.keyBase]!;
  }

  topSlot(): number {
    return this.ints[this.slotBase]!;
  }

  push(slot: number, key: number): void {
    this.siftUp(this.size++, slot, key);
  }

  /** Removes the element at `index`. */
  removeAt(index: number): void {
    const last = --this.size;
    if (index === last) return;
    const key = this.keys[this.keyBase + last]!;
    const slot = this.ints[this.slotBase + last]!;
    if (index > 0 && this.keys[this.keyBase + ((index - 1) >> 1)]! < key) this.siftUp(index, slot, key);
    else this.siftDown(index, slot, key);
  }

  private siftUp(index: number, slot: number, key: number): void {
    const { keys, ints, keyBase, slotBase, tag } = this;
    let i = index;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const parentKey = keys[keyBase + parent]!;
      if (parentKey >= key) break;
      const parentSlot = ints[slotBase + parent]!;
      keys[keyBase + i] = parentKey;
      ints[slotBase + i] = parentSlot;
      ints[parentSlot] = (i << 1) | tag;
      i = parent;
    }
    keys[keyBase + i] = key;
    ints[slotBase + i] = slot;
    ints[slot] = (i << 1) | tag;
  }

  private siftDown(index: number, slot: number, key: number): void {
    const { keys, ints, keyBase, slotBase, tag, size } = this;
    let i = index;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= size) break;
      let childKey = keys[keyBase + child]!;
      const right = child + 1;
      if (right < size) {
        const rightKey = keys[keyBase + right]!;
        if (rightKey > childKey) {
          child = right;
          childKey = rightKey;
        }
      }
      if (childKey <= key) break;
      const childSlot = ints[slotBase + child]!;
      keys[keyBase + i] = childKey;
      ints[slotBase + i] = childSlot;
      ints[childSlot] = (i << 1) | tag;
      i = child;
    }
    keys[keyBase + i] = key;
    ints[slotBase + i] = slot;
    ints[slot] = (i << 1) | tag;
  }
}

export class MedianHeaps {
  /** Smaller half, max at the top. */
  private readonly low: IndexedMaxHeap;
  /** Larger half, stored negated so its max-heap top is the smallest value. */
  private readonly high: IndexedMaxHeap;
  private slotCapacity: number;

  /**
   * `slotCapacity`: slots are integers in [0, slotCapacity). `storage` lets the owner place both arrays in a
   * buffer of its own (see {@link medianHeapsStorage}); by default they are allocated here.
   */
  constructor(slotCapacity: number, storage: MedianHeapsStorage = allocateStorage(slotCapacity)) {
    this.slotCapacity = slotCapacity;
    const half = heapCapacity(slotCapacity);
    const { keys, ints } = checkedStorage(storage, slotCapacity);
    this.low = new IndexedMaxHeap(keys, ints, 0, slotCapacity, 0);
    this.high = new IndexedMaxHeap(keys, ints, half, slotCapacity + half, 1);
  }

  get size(): number {
    return this.low.size + this.high.size;
  }

  /** Makes room for slots up to `slotCapacity` − 1, keeping the contents (in `storage` when given). */
  grow(slotCapacity: number, storage: MedianHeapsStorage = allocateStorage(slotCapacity)): void {
    const { low, high } = this;
    const half = heapCapacity(slotCapacity);
    const { keys, ints } = checkedStorage(storage, slotCapacity);
    ints.set(low.ints.subarray(0, this.slotCapacity)); // positions by slot do not change
    keys.set(low.keys.subarray(low.keyBase, low.keyBase + low.size), 0);
    keys.set(high.keys.subarray(high.keyBase, high.keyBase + high.size), half);
    ints.set(low.ints.subarray(low.slotBase, low.slotBase + low.size), slotCapacity);
    ints.set(high.ints.subarray(high.slotBase, high.slotBase + high.size), slotCapacity + half);
    low.keys = keys;
    low.ints = ints;
    low.slotBase = slotCapacity;
    high.keys = keys;
    high.ints = ints;
    high.keyBase = half;
    high.slotBase = slotCapacity + half;
    this.slotCapacity = slotCapacity;
  }

  clear(): void {
    this.low.size = 0;
    this.high.size = 0;
  }

  insert(slot: number, value: number): void {
    const low = this.low;
    if (low.size === 0 || value <= low.topKey()) low.push(slot, value);
    else this.high.push(slot, -value);
    this.rebalance();
  }

  /** Removes the element stored under `slot` (which must be present). */
  remove(slot: number): void {
    const p = this.low.ints[slot]!;
    if ((p & 1) === 0) this.low.removeAt(p >> 1);
    else this.high.removeAt(p >> 1);
    this.rebalance();
  }

  /** Median of the contents; NaN when empty. */
  median(): number {
    const low = this.low;
    if (low.size === 0) return NaN;
    if (low.size > this.high.size) return low.topKey();
    return midpoint(low.topKey(), -this.high.topKey());
  }

  /** The lower middle value (an element of the multiset); NaN when empty. */
  lowerMedian(): number {
    return this.low.size === 0 ? NaN : this.low.topKey();
  }

  /** One insert or remove unbalances by at most one element, so one move restores the invariant. */
  private rebalance(): void {
    const low = this.low;
    const high = this.high;
    if (low.size > high.size + 1) {
      const slot = low.topSlot();
      const value = low.topKey();
      low.removeAt(0);
      high.push(slot, -value);
    } else if (high.size > low.size) {
      const slot = high.topSlot();
      const value = -high.topKey();
      high.removeAt(0);
      low.push(slot, value);
    }
  }
}

/** Either heap holds at most ceil(n / 2) + 1 elements at once (between an insert and its rebalance). */
function heapCapacity(slotCapacity: number): number {
  return (slotCapacity >> 1) + 2;
}

/** The two arrays the heaps live in; sizes from {@link medianHeapsStorage}. */
export interface MedianHeapsStorage {
  readonly keys: Float64Array;
  readonly ints: Int32Array;
}

/** Lengths of the arrays {@link MedianHeaps} needs for `slotCapacity` slots. */
export function medianHeapsStorage(slotCapacity: number): { readonly keys: number; readonly ints: number } {
  const half = heapCapacity(slotCapacity);
  return { keys: 2 * half, ints: slotCapacity + 2 * half };
}

function allocateStorage(slotCapacity: number): MedianHeapsStorage {
  const lengths = medianHeapsStorage(slotCapacity);
  return { keys: new Float64Array(lengths.keys), ints: new Int32Array(lengths.ints) };
}

function checkedStorage(storage: MedianHeapsStorage, slotCapacity: number): MedianHeapsStorage {
  const lengths = medianHeapsStorage(slotCapacity);
  if (storage.keys.length < lengths.keys || storage.ints.length < lengths.ints) {
    throw new RangeError(`median heaps of ${slotCapacity} slots need keys[${lengths.keys}] and ints[${lengths.ints}]`);
  }
  return storage;
}
