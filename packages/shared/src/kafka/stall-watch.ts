/**
 * Tells when work in flight has made no progress for too long: a producer whose records wait for delivery
 * reports that stopped coming. `progress(nowMs)` on every sign of life (a delivery report, success or failure);
 * `check(nowMs, inFlight)` now and then returns how long it has been stalled once that reaches `afterMs`
 * (and undefined otherwise). Nothing in flight is never a stall, and the clock of a stall starts when work is
 * first waited on, not at the last report before an idle spell. Time is an argument.
 */
export class StallWatch {
  private lastProgressMs: number | undefined;

  /** @param afterMs how long without progress counts as a stall; 0 = never. */
  constructor(readonly afterMs: number) {}

  /** A sign of life at `nowMs`. */
  progress(nowMs: number): void {
    this.lastProgressMs = nowMs;
  }

  /** How long the work in flight has waited without progress, once that is `afterMs` or more; else undefined. */
  check(nowMs: number, inFlight: number): number | undefined {
    if (this.afterMs <= 0) return undefined;
    if (inFlight <= 0 || this.lastProgressMs === undefined) {
      // nothing waited on (or first seen now): a stall can only start from here
      this.lastProgressMs = inFlight > 0 ? nowMs : undefined;
      return undefined;
    }
    const stalledMs = nowMs - this.lastProgressMs;
    return stalledMs >= this.afterMs ? stalledMs : undefined;
  }
}
