/**
 * Where random bursts fall: the window is cut into slots of `everyMs`; each slot holds one burst of
 * `lengthMs` with probability `probability`, at a random offset inside the slot. Pure and counter-based
 * (slot number → random draws), so a burst is found without scanning earlier slots. Shared by CPU bursts
 * and temperature spikes. With no `everyMs`, the whole window is one burst.
 */
import { uniformAt } from '../core/prng.js';
import type { TimeWindow } from './signal.js';

export interface BurstPattern {
  /** Slot length: on average one burst per slot when `probability` is 1. Absent: one burst over the window. */
  readonly everyMs?: number;
  /** Length of one burst (at most `everyMs`). */
  readonly lengthMs?: number;
  /** Chance that a slot holds a burst (default 1). */
  readonly probability?: number;
}

/** Progress through the burst in [0, 1) at `tMs`, or -1 when no burst is under way. */
export function burstPhase(key: number, window: TimeWindow, pattern: BurstPattern, tMs: number): number {
  if (tMs < window.fromMs || tMs >= window.toMs) return -1;
  const everyMs = pattern.everyMs;
  if (everyMs === undefined) {
    const lengthMs = window.toMs - window.fromMs;
    return Number.isFinite(lengthMs) ? (tMs - window.fromMs) / lengthMs : 0;
  }
  const lengthMs = Math.min(pattern.lengthMs ?? everyMs / 4, everyMs);
  const elapsed = tMs - window.fromMs;
  const slot = Math.floor(elapsed / everyMs);
  if (uniformAt(key, slot * 2) >= (pattern.probability ?? 1)) return -1;
  const start = slot * everyMs + Math.floor(uniformAt(key, slot * 2 + 1) * (everyMs - lengthMs));
  const into = elapsed - start;
  return into >= 0 && into < lengthMs ? into / lengthMs : -1;
}

export function validateBurstPattern(pattern: BurstPattern, what: string): void {
  if (pattern.everyMs !== undefined && !(pattern.everyMs > 0))
    throw new RangeError(`${what}: everyMs must be positive, got ${pattern.everyMs}`);
  if (pattern.lengthMs !== undefined && !(pattern.lengthMs > 0))
    throw new RangeError(`${what}: lengthMs must be positive, got ${pattern.lengthMs}`);
  if (pattern.everyMs !== undefined && pattern.lengthMs !== undefined && pattern.lengthMs > pattern.everyMs) {
    throw new RangeError(
      `${what}: a burst (lengthMs ${pattern.lengthMs}) cannot be longer than its slot (everyMs ${pattern.everyMs})`,
    );
  }
  const p = pattern.probability;
  if (p !== undefined && !(p >= 0 && p <= 1)) throw new RangeError(`${what}: probability must be in [0, 1], got ${p}`);
}
