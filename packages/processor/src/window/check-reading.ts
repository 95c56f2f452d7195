/**
 * The validity check every reading passes before it can touch a window: a finite, non-negative timestamp
 * no later than the last JavaScript Date, and a finite value. Invalid readings never enter the window
 * structures; the caller dead-letters them with the reason.
 */
import { ADD_RESULT, type InvalidResult } from './add-result.js';

/** Largest timestamp accepted: the end of the JavaScript Date range (year 275760). */
export const MAX_TIMESTAMP_MS = 8.64e15;

/** Returns why the reading is invalid, or `undefined` when it is fine. */
export function checkReading(timestampMs: number, value: number): InvalidResult | undefined {
  // Written so that NaN and non-numbers fail every comparison and land in the error branch.
  if (!(typeof timestampMs === 'number' && timestampMs >= 0 && timestampMs <= MAX_TIMESTAMP_MS)) {
    return ADD_RESULT.invalidTimestamp;
  }
  if (!(typeof value === 'number' && value - value === 0)) return ADD_RESULT.nonFiniteValue;
  return undefined;
}
