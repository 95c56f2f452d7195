/**
 * Assertion for window stats against the naive reference: count, median, min, max and bounds must be
 * identical; mean and stddev within 1e-9 relative, with an absolute floor of 1e-12 × the largest |value|
 * held (the inherent rounding of any floating-point sum, the reference's included).
 */
import { expect } from 'vitest';
import type { WindowStats } from '../../src/window/window-stats.js';
import type { RefStats } from './reference-window.js';

export function expectStatsClose(actual: WindowStats, expected: RefStats, maxAbsValue: number, context = ''): void {
  const exact = ['count', 'median', 'min', 'max', 'startMs', 'endMs'] as const;
  for (const field of exact) {
    if (actual[field] !== expected[field]) {
      expect.fail(
        `${context} ${field}: got ${actual[field]}, expected ${expected[field]} (${JSON.stringify(actual)} vs ${JSON.stringify(expected)})`,
      );
    }
  }
  for (const field of ['mean', 'stddev'] as const) {
    const tolerance = 1e-9 * Math.abs(expected[field]) + 1e-12 * maxAbsValue;
    if (!(Math.abs(actual[field] - expected[field]) <= tolerance)) {
      expect.fail(`${context} ${field}: got ${actual[field]}, expected ${expected[field]} ± ${tolerance}`);
    }
  }
}
