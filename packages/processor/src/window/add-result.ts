/**
 * What became of one reading offered to a window: accepted, late (with why), or invalid (with why).
 * The results are a handful of frozen constants, so the hot path never allocates for them; compare
 * `status` and `reason`, not object identity.
 */

/**
 * - `beyond-grace`: older than t − graceMs (t = newest accepted timestamp of the sensor);
 * - `outside-window`: within grace but no longer part of the window: at or before t − sizeMs for a time
 *   window, or older than every reading a full count window (or a time window at `maxSamples`) holds.
 */
export type LateReason = 'beyond-grace' | 'outside-window';

/**
 * - `invalid-timestamp`: not a finite number in [0, 8.64e15] (the range of a JavaScript Date);
 * - `non-finite-value`: NaN, Infinity or −Infinity (or not a number at all).
 */
export type InvalidReason = 'invalid-timestamp' | 'non-finite-value';

export interface AcceptedResult {
  readonly status: 'accepted';
  /** True when taking this reading pushed the oldest one out because the time window was at `maxSamples`. */
  readonly capacityEvicted: boolean;
}
export interface LateResult {
  readonly status: 'late';
  readonly reason: LateReason;
}
export interface InvalidResult {
  readonly status: 'invalid';
  readonly reason: InvalidReason;
}
export type AddResult = AcceptedResult | LateResult | InvalidResult;

/** The only AddResult values there are. */
export const ADD_RESULT = Object.freeze({
  accepted: Object.freeze({ status: 'accepted', capacityEvicted: false }) as AcceptedResult,
  acceptedCapacityEvicted: Object.freeze({ status: 'accepted', capacityEvicted: true }) as AcceptedResult,
  lateBeyondGrace: Object.freeze({ status: 'late', reason: 'beyond-grace' }) as LateResult,
  lateOutsideWindow: Object.freeze({ status: 'late', reason: 'outside-window' }) as LateResult,
  invalidTimestamp: Object.freeze({ status: 'invalid', reason: 'invalid-timestamp' }) as InvalidResult,
  nonFiniteValue: Object.freeze({ status: 'invalid', reason: 'non-finite-value' }) as InvalidResult,
});
