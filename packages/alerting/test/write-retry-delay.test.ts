import { describe, expect, it } from 'vitest';
import { writeRetryDelayMs } from '../src/delivery/write-retry-delay.js';

describe('writeRetryDelayMs', () => {
  it('doubles from 1 s and stays at 30 s', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 50].map(writeRetryDelayMs)).toEqual([
      1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000,
    ]);
  });
});
