/**
 * Readings held back for late delivery, released in order of their delivery time (ties in the order they
 * were held, so the output stays deterministic). A binary min-heap: late readings are a small share, so
 * O(log n) per reading held is cheap.
 */
import { copyReading, emptyReading, type GeneratedReading } from './generated-reading.js';

export class LateQueue {
  private readonly heap: GeneratedReading[] = [];
  private readonly order: number[] = [];
  private counter = 0;

  get size(): number {
    return this.heap.length;
  }

  /** Delivery time of the next reading to release; Infinity when empty. */
  peekEmitAtMs(): number {
    return this.heap.length === 0 ? Infinity : this.heap[0]!.emitAtMs;
  }

  /** Holds a copy of `reading` (its `emitAtMs` already set to the delivery time). */
  push(reading: GeneratedReading): void {
    const heap = this.heap;
    const order = this.order;
    let i = heap.length;
    heap.push(copyReading(reading, emptyReading()));
    order.push(this.counter++);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  /** Moves the earliest reading into `out`; false when empty. */
  pop(out: GeneratedReading): boolean {
    const heap = this.heap;
    if (heap.length === 0) return false;
    copyReading(heap[0]!, out);
    const last = heap.length - 1;
    this.swap(0, last);
    heap.pop();
    this.order.pop();
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let smallest = i;
      if (l < heap.length && this.less(l, smallest)) smallest = l;
      if (r < heap.length && this.less(r, smallest)) smallest = r;
      if (smallest === i) break;
      this.swap(i, smallest);
      i = smallest;
    }
    return true;
  }

  private less(a: number, b: number): boolean {
    const ta = this.heap[a]!.emitAtMs;
    const tb = this.heap[b]!.emitAtMs;
    return ta < tb || (ta === tb && this.order[a]! < this.order[b]!);
  }

  private swap(a: number, b: number): void {
    const h = this.heap;
    const o = this.order;
    const th = h[a]!;
    h[a] = h[b]!;
    h[b] = th;
    const to = o[a]!;
    o[a] = o[b]!;
    o[b] = to;
  }
}
