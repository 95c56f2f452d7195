import type { SensorReading } from '@sensor-pipeline/shared';
import { describe, expect, it } from 'vitest';
import { validateReading } from '../../src/service/reading-validation.js';

const now = Date.UTC(2026, 10, 21);
const ok: SensorReading = { deviceId: 'd', metric: 'cpu', value: 1, timestamp: now - 1_000, seq: 0, labels: {} };

describe('validateReading', () => {
  it.each([
    [{ value: Number.NaN }, 'READING_NON_FINITE_VALUE'],
    [{ value: Number.POSITIVE_INFINITY }, 'READING_NON_FINITE_VALUE'],
    [{ deviceId: '' }, 'READING_EMPTY_DEVICE_ID'],
    [{ timestamp: now + 2 * 86_400_000 }, 'READING_TIMESTAMP_IN_FUTURE'],
    [{ timestamp: 5 }, 'READING_TIMESTAMP_TOO_OLD'],
    [{ timestamp: 1.5e20 }, 'READING_BAD_TIMESTAMP'],
  ] as const)('rejects %j with %s', (patch, code) => {
    expect(validateReading({ ...ok, ...patch }, now)?.code).toBe(code);
  });

  it('accepts a plausible reading, including clocks up to a day ahead', () => {
    expect(validateReading(ok, now)).toBeUndefined();
    expect(validateReading({ ...ok, timestamp: now + 86_000_000 }, now)).toBeUndefined();
  });
});
