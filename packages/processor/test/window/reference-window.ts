/**
 * The naive reference the window engine is checked against: keeps every accepted reading, and for each
 * question filters to the window, sorts, and computes. Written from the semantics in DESIGN.md, sharing no
 * code with the engine, so a bug in one shows as a disagreement.
 */
import type { ResolvedWindowOptions } from '../../src/window/window-options.js';

export interface RefStats {
  count: number;
  mean: number;
  median: number;
  min: number;
  max: number;
  stddev: number;
  startMs: number;
  endMs: number;
}

export type RefResult =
  | { status: 'accepted'; capacityEvicted: boolean }
  | { status: 'late'; reason: 'beyond-grace' | 'outside-window' }
  | { status: 'invalid'; reason: 'invalid-timestamp' | 'non-finite-value' };

interface Reading {
  timestampMs: number;
  value: number;
  seq: number;
}

export class ReferenceWindow {
  private readonly accepted: Reading[] = [];
  private t = -Infinity;
  private seq = 0;

  constructor(private readonly options: ResolvedWindowOptions) {}

  add(timestampMs: number, value: number): RefResult {
    if (typeof timestampMs !== 'number' || Number.isNaN(timestampMs) || timestampMs < 0 || timestampMs > 8.64e15) {
      return { status: 'invalid', reason: 'invalid-timestamp' };
    }
    if (!Number.isFinite(value)) return { status: 'invalid', reason: 'non-finite-value' };
    const o = this.options;
    if (timestampMs < this.t) {
      if (timestampMs <= this.t - o.graceMs) return { status: 'late', reason: 'beyond-grace' };
      if (o.kind === 'time' && timestampMs <= this.t - o.sizeMs) return { status: 'late', reason: 'outside-window' };
      const held = this.contents();
      if (held.length >= this.limit() && timestampMs < held[0]!.timestampMs) {
        return { status: 'late', reason: 'outside-window' };
      }
    }
    const t = Math.max(this.t, timestampMs);
    // A time window at maxSamples pushes its oldest reading out to take this one.
    const capacityEvicted = o.kind === 'time' && this.inRange(t).length >= o.maxSamples;
    this.accepted.push({ timestampMs, value, seq: this.seq++ });
    this.t = t;
    return { status: 'accepted', capacityEvicted };
  }

  /** The window: accepted readings in range, sorted by (timestamp, arrival), the newest `limit` of them. */
  contents(): Reading[] {
    const sorted = this.inRange(this.t).sort((a, b) => a.timestampMs - b.timestampMs || a.seq - b.seq);
    return sorted.slice(Math.max(0, sorted.length - this.limit()));
  }

  private limit(): number {
    return this.options.kind === 'time' ? this.options.maxSamples : this.options.size;
  }

  private inRange(t: number): Reading[] {
    const o = this.options;
    return o.kind === 'time' ? this.accepted.filter((r) => r.timestampMs > t - o.sizeMs) : this.accepted.slice();
  }

  stats(): RefStats {
    const held = this.contents();
    const values = held.map((r) => r.value).sort((a, b) => a - b);
    const n = values.length;
    const sum = values.reduce((s, v) => s + v, 0);
    const mean = sum / n;
    const variance = values.reduce((s, v) => s + (v - mean) * (v - mean), 0) / n;
    const median = n % 2 === 1 ? values[(n - 1) / 2]! : mid(values[n / 2 - 1]!, values[n / 2]!);
    const o = this.options;
    return {
      count: n,
      mean,
      median,
      min: values[0]!,
      max: values[n - 1]!,
      stddev: Math.sqrt(variance),
      startMs: o.kind === 'time' ? this.t - o.sizeMs : held[0]!.timestampMs,
      endMs: this.t,
    };
  }
}

function mid(a: number, b: number): number {
  const m = (a + b) / 2;
  return Number.isFinite(m) ? m : a / 2 + b / 2;
}
