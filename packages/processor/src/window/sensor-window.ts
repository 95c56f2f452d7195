/**
 * One sensor's sliding window on event time, with exact running statistics: the pure core of the
 * processor. No clock, no I/O, no allocation per reading once its buffers have grown to the window's size.
 *
 * Structures (the slot-indexed arrays are views into one ArrayBuffer per window, reallocated when it grows:
 * with 100k sensors the per-buffer overhead counts as much as the contents; each reading lives in a "slot"
 * and keeps it until evicted):
 * - `data`: `[timestamp, value]` pairs by slot.
 * - `order`: ring buffer of slots in window order (timestamp, then arrival). Eviction pops the front.
 *   In-order readings are appended; an out-of-order reading (allowed within `graceMs`) is inserted at its
 *   timestamp position by shifting the newer entries, O(d) for d readings newer than it (stable: after
 *   readings with an equal timestamp). The ring's unused positions hold the free slots, in order: the
 *   next free slot sits just past the end, and an evicted slot stays where the front was.
 * - Capacity starts at 32 (a 30-s window of a 1 Hz sensor fits without growing: each growth is a new buffer,
 *   which costs more than the readings it holds while a new instance fills its windows) and doubles as
 *   needed, up to the next power of two above `size` / `maxSamples`.
 * - {@link MedianHeaps}: two indexed heaps; median O(1), insert / evict-known-slot O(log n).
 * - Two {@link MonotonicDeque}s (min, and max via negated values): O(1) reads, amortized O(1) updates on
 *   the in-order path, O(d) for out-of-order inserts — they stay exact, there is no fallback rescan.
 * - {@link RunningMoments}: compensated, shifted sums for mean and population stddev. The sums are rebuilt
 *   from the contents (O(n)) every 8n + 4096 accepted readings and, when stats are read, if the mean has
 *   drifted more than 32 standard deviations from the shift or the spread has collapsed below 2^-24 of its
 *   peak since the last rebuild. Amortized O(1) per update for real streams; an adversary alternating
 *   values 1e12 apart could force an O(n) rebuild per evicted outlier.
 *
 * Semantics (see DESIGN.md "Semantics that must hold"), t = newest timestamp accepted so far:
 * - time window: readings with timestamp in (t − sizeMs, t], at most `maxSamples` of them (the oldest are
 *   evicted beyond that and counted in {@link capacityEvictions}; the add result says so);
 * - count window: the last `size` readings in timestamp order;
 * - a reading with timestamp < t is placed if it is > t − graceMs and still inside the window; otherwise
 *   it is late (`beyond-grace` is checked first, then `outside-window`) and the window does not change;
 * - invalid readings (see {@link checkReading}) never touch the structures.
 */
import { ADD_RESULT, type AddResult } from './add-result.js';
import { checkReading } from './check-reading.js';
import { MedianHeaps, type MedianHeapsStorage, medianHeapsStorage } from './median-heaps.js';
import { MonotonicDeque } from './monotonic-deque.js';
import { nextPowerOfTwo } from './next-power-of-two.js';
import { RunningMoments } from './running-moments.js';
import { parseWindowOptions, type ResolvedWindowOptions, type WindowOptions } from './window-options.js';
import type { WindowStats } from './window-stats.js';

const INITIAL_CAPACITY = 32;

/** The slot-indexed arrays of a window of `capacity` slots, as views into one buffer (see the file comment). */
interface WindowStorage {
  readonly data: Float64Array;
  readonly order: Int32Array;
  readonly heaps: MedianHeapsStorage;
}

function allocateStorage(capacity: number): WindowStorage {
  const heaps = medianHeapsStorage(capacity);
  // float64 arrays first, so every view starts 8-byte aligned
  const float64s = 2 * capacity + heaps.keys;
  const int32s = capacity + heaps.ints;
  const buffer = new ArrayBuffer(8 * float64s + 4 * int32s);
  let offset = 0;
  const data = new Float64Array(buffer, offset, 2 * capacity);
  offset += 8 * data.length;
  const keys = new Float64Array(buffer, offset, heaps.keys);
  offset += 8 * keys.length;
  const order = new Int32Array(buffer, offset, capacity);
  offset += 4 * order.length;
  const ints = new Int32Array(buffer, offset, heaps.ints);
  return { data, order, heaps: { keys, ints } };
}
/** Rebuild the sums when the mean is more than this many standard deviations from the shift. */
const MAX_SHIFT_SIGMAS = 32;

export class SensorWindow {
  readonly options: ResolvedWindowOptions;
  private readonly isTime: boolean;
  private readonly sizeMs: number;
  private readonly graceMs: number;
  /** Most readings held: `size` for a count window, `maxSamples` for a time window. */
  private readonly limit: number;
  private readonly maxCapacity: number;

  private mask: number;
  /** Ring of slots: [head, head + length) in window order, the rest free slots. */
  private order: Int32Array;
  private head = 0;
  private length = 0;
  /** `[timestamp, value]` by slot. */
  private data: Float64Array;

  private readonly heaps: MedianHeaps;
  private readonly minimum = new MonotonicDeque(1);
  private readonly maximum = new MonotonicDeque(-1);
  private readonly moments = new RunningMoments();

  private newestMs = -Infinity;
  private capacityEvicted = 0;
  private updatesSinceRebuild = 0;

  /** Validates `options` (throws {@link WindowOptionsError}); pass a parsed object to skip re-validation. */
  constructor(options: WindowOptions | ResolvedWindowOptions) {
    const resolved = parseWindowOptions(options);
    this.options = resolved;
    this.isTime = resolved.kind === 'time';
    this.sizeMs = resolved.kind === 'time' ? resolved.sizeMs : Infinity;
    this.graceMs = resolved.graceMs;
    this.limit = resolved.kind === 'time' ? resolved.maxSamples : resolved.size;
    // One extra slot: a reading is inserted before the one it displaces is evicted.
    this.maxCapacity = nextPowerOfTwo(this.limit + 1);
    const capacity = Math.min(INITIAL_CAPACITY, this.maxCapacity);
    this.mask = capacity - 1;
    const storage = allocateStorage(capacity);
    this.order = storage.order;
    for (let i = 0; i < capacity; i++) this.order[i] = i;
    this.data = storage.data;
    this.heaps = new MedianHeaps(capacity, storage.heaps);
  }

  /**
   * Offers one reading. Accepted readings update the window and the statistics (read them with the getters
   * or {@link stats}); late and invalid ones leave it untouched. Never throws for bad readings.
   */
  add(timestampMs: number, value: number): AddResult {
    const invalid = checkReading(timestampMs, value);
    if (invalid !== undefined) return invalid;
    if (timestampMs >= this.newestMs) {
      this.newestMs = timestampMs;
      if (this.isTime) {
        const cutoff = timestampMs - this.sizeMs;
        while (this.length > 0 && this.data[2 * this.order[this.head]!]! <= cutoff) this.evictOldest();
      }
      this.insertAt(this.length, timestampMs, value);
    } else {
      const t = this.newestMs;
      if (timestampMs <= t - this.graceMs) return ADD_RESULT.lateBeyondGrace;
      if (timestampMs <= t - this.sizeMs) return ADD_RESULT.lateOutsideWindow;
      const { order, data, mask, head } = this;
      if (this.length >= this.limit && timestampMs < data[2 * order[head]!]!) return ADD_RESULT.lateOutsideWindow;
      let p = this.length;
      while (p > 0 && data[2 * order[(head + p - 1) & mask]!]! > timestampMs) p--;
      this.insertAt(p, timestampMs, value);
    }
    let result = ADD_RESULT.accepted;
    if (this.length > this.limit) {
      this.evictOldest();
      if (this.isTime) {
        this.capacityEvicted++;
        result = ADD_RESULT.acceptedCapacityEvicted;
      }
    }
    if (++this.updatesSinceRebuild >= (this.length << 3) + 4096) this.rebuildMoments();
    return result;
  }

  /** Readings held. */
  get count(): number {
    return this.length;
  }

  /** NaN when empty (before the first accepted reading). */
  get mean(): number {
    if (this.length === 0) return NaN;
    this.keepConditioned();
    return this.moments.mean(this.length);
  }

  /** Middle value; mean of the two middle values for an even count. NaN when empty. */
  get median(): number {
    return this.heaps.median();
  }

  get min(): number {
    const slot = this.minimum.frontSlot();
    return slot < 0 ? NaN : this.data[2 * slot + 1]!;
  }

  get max(): number {
    const slot = this.maximum.frontSlot();
    return slot < 0 ? NaN : this.data[2 * slot + 1]!;
  }

  /** Population standard deviation. NaN when empty. */
  get stddev(): number {
    if (this.length === 0) return NaN;
    this.keepConditioned();
    return Math.sqrt(this.moments.variance(this.length));
  }

  /**
   * Time window: the exclusive lower bound t − sizeMs. Count window: the timestamp of the oldest reading
   * held (inclusive). NaN when empty.
   */
  get startMs(): number {
    if (this.length === 0) return NaN;
    return this.isTime ? this.newestMs - this.sizeMs : this.data[2 * this.order[this.head]!]!;
  }

  /** t, the newest timestamp accepted (inclusive upper bound). NaN when empty. */
  get endMs(): number {
    return this.length === 0 ? NaN : this.newestMs;
  }

  /** Readings evicted because a time window reached `maxSamples`, since creation. */
  get capacityEvictions(): number {
    return this.capacityEvicted;
  }

  /** A snapshot of the statistics and bounds (allocates one object). */
  stats(): WindowStats {
    return {
      count: this.length,
      mean: this.mean,
      median: this.median,
      min: this.min,
      max: this.max,
      stddev: this.stddev,
      startMs: this.startMs,
      endMs: this.endMs,
    };
  }

  /** The readings held, oldest first (for tests and debugging; allocates). */
  toArray(): Array<{ timestampMs: number; value: number }> {
    const out: Array<{ timestampMs: number; value: number }> = [];
    for (let i = 0; i < this.length; i++) {
      const slot = this.order[(this.head + i) & this.mask]!;
      out.push({ timestampMs: this.data[2 * slot]!, value: this.data[2 * slot + 1]! });
    }
    return out;
  }

  private insertAt(position: number, timestampMs: number, value: number): void {
    if (this.length === this.mask + 1) this.grow();
    const { order, data, mask, head } = this;
    const slot = order[(head + this.length) & mask]!; // the first free slot
    data[2 * slot] = timestampMs;
    data[2 * slot + 1] = value;
    for (let i = this.length - 1; i >= position; i--) order[(head + i + 1) & mask] = order[(head + i) & mask]!;
    order[(head + position) & mask] = slot;
    if (this.length++ === 0) this.moments.reset(value);
    this.heaps.insert(slot, value);
    this.minimum.insert(slot, data);
    this.maximum.insert(slot, data);
    this.moments.add(value);
  }

  /** Pops the front; its slot stays in the vacated position, now the last of the free ones. */
  private evictOldest(): void {
    const slot = this.order[this.head]!;
    this.head = (this.head + 1) & this.mask;
    this.length--;
    this.heaps.remove(slot);
    this.minimum.evict(slot);
    this.maximum.evict(slot);
    this.moments.remove(this.data[2 * slot + 1]!);
  }

  /** Doubles the slot-indexed buffers (only ever called when every slot is in use). */
  private grow(): void {
    const capacity = this.mask + 1;
    const next = Math.min(capacity * 2, this.maxCapacity);
    const storage = allocateStorage(next);
    const { order, data } = storage;
    for (let i = 0; i < capacity; i++) order[i] = this.order[(this.head + i) & this.mask]!;
    for (let slot = capacity; slot < next; slot++) order[slot] = slot;
    data.set(this.data);
    this.order = order;
    this.data = data;
    this.head = 0;
    this.mask = next - 1;
    this.heaps.grow(next, storage.heaps);
  }

  /** Recomputes the sums from the contents around an element of the window (the lower median). */
  private rebuildMoments(): void {
    this.updatesSinceRebuild = 0;
    if (this.length === 0) return;
    const moments = this.moments;
    moments.reset(this.heaps.lowerMedian());
    const { order, data, mask, head } = this;
    for (let i = 0; i < this.length; i++) moments.add(data[2 * order[(head + i) & mask]! + 1]!);
  }

  /**
   * Rebuilds if the mean has moved so far from the shift that E[d²] − E[d]² would cancel more than ~10 bits,
   * or if the sums have shrunk far below their peak (see {@link RunningMoments.degraded}). Right after a
   * rebuild around the lower median, |mean − shift| <= stddev and the peak is the current sum, so neither
   * condition holds and this cannot loop.
   */
  private keepConditioned(): void {
    if (this.updatesSinceRebuild === 0) return;
    const n = this.length;
    const moments = this.moments;
    const m = moments.shiftedMean(n);
    // Compared as |m| vs 32·σ rather than m² vs 1024·σ², so that squares underflowing to 0 cannot hide it.
    if ((m !== 0 && !(Math.abs(m) <= MAX_SHIFT_SIGMAS * Math.sqrt(moments.variance(n)))) || moments.degraded()) {
      this.rebuildMoments();
    }
  }
}
