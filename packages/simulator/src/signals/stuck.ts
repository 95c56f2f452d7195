/**
 * A stuck sensor: inside the window it reports one constant value — the reading it had when it got stuck,
 * or a given value — with no noise at all, which is what gives it away.
 */
import type { Signal, TimeWindow } from './signal.js';

export interface StuckOptions extends TimeWindow {
  /** The value it sticks at; default: the underlying signal at `fromMs`. */
  readonly value?: number;
}

export function stuck(base: Signal, options: StuckOptions): Signal {
  const { fromMs, toMs } = options;
  const value = options.value ?? base(fromMs);
  return (tMs) => (tMs >= fromMs && tMs < toMs ? value : base(tMs));
}
