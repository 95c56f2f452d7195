import type { SensorReading } from '@sensor-pipeline/shared';
import { describe, expect, it } from 'vitest';
import {
  checkReadingLimits,
  DEFAULT_READING_LIMITS,
  READING_REFUSAL_CODES,
  validateReading,
} from '../../src/service/reading-validation.js';

const now = Date.UTC(2026, 10, 21);
const ok: SensorReading = { deviceId: 'd', metric: 'cpu', value: 1, timestamp: now - 1_000, seq: 0, labels: {} };
const manyLabels = Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, 'v']));

describe('validateReading', () => {
  it.each(
    (
      [
        [{ value: Number.NaN }, 'READING_NON_FINITE_VALUE'],
        [{ value: Number.POSITIVE_INFINITY }, 'READING_NON_FINITE_VALUE'],
        [{ deviceId: '' }, 'READING_EMPTY_DEVICE_ID'],
        [{ deviceId: 'x'.repeat(129) }, 'READING_DEVICE_ID_TOO_LONG'],
        [{ deviceId: 'é'.repeat(65) }, 'READING_DEVICE_ID_TOO_LONG'], // 130 UTF-8 bytes
        [{ deviceId: 'x'.repeat(900_000) }, 'READING_DEVICE_ID_TOO_LONG'],
        [{ labels: manyLabels }, 'READING_TOO_MANY_LABELS'],
        [{ labels: { ['k'.repeat(129)]: 'v' } }, 'READING_LABEL_TOO_LONG'],
        [{ labels: { site: 'v'.repeat(257) } }, 'READING_LABEL_TOO_LONG'],
        [{ value: 150 }, 'READING_VALUE_OUT_OF_RANGE'],
        [{ value: -0.5 }, 'READING_VALUE_OUT_OF_RANGE'],
        [{ metric: 'memory', value: 100.01 }, 'READING_VALUE_OUT_OF_RANGE'],
        [{ metric: 'temperature', value: 201 }, 'READING_VALUE_OUT_OF_RANGE'],
        [{ metric: 'temperature', value: -101 }, 'READING_VALUE_OUT_OF_RANGE'],
        [{ timestamp: now + 2 * 86_400_000 }, 'READING_TIMESTAMP_IN_FUTURE'],
        [{ timestamp: now + 23 * 3_600_000 }, 'READING_TIMESTAMP_IN_FUTURE'],
        [{ timestamp: now + 300_001 }, 'READING_TIMESTAMP_IN_FUTURE'],
        [{ timestamp: 5 }, 'READING_TIMESTAMP_TOO_OLD'],
        [{ timestamp: 1.5e20 }, 'READING_BAD_TIMESTAMP'],
      ] as const
    ).map(([patch, code]) => [JSON.stringify(patch).slice(0, 60), patch, code] as const),
  )('rejects %s with %s', (_name, patch, code) => {
    expect(validateReading({ ...ok, ...patch } as SensorReading, now)?.code).toBe(code);
    expect(READING_REFUSAL_CODES).toContain(code);
  });

  it('accepts a plausible reading: limits inclusive, clocks up to five minutes ahead, values at the range ends', () => {
    expect(validateReading(ok, now)).toBeUndefined();
    expect(validateReading({ ...ok, timestamp: now + 300_000 }, now)).toBeUndefined();
    expect(validateReading({ ...ok, deviceId: 'x'.repeat(128) }, now)).toBeUndefined();
    expect(validateReading({ ...ok, labels: Object.fromEntries(Object.entries(manyLabels).slice(0, 32)) }, now)).toBe(
      undefined,
    );
    expect(validateReading({ ...ok, labels: { ['k'.repeat(128)]: 'v'.repeat(256) } }, now)).toBeUndefined();
    for (const value of [0, 100]) expect(validateReading({ ...ok, value }, now)).toBeUndefined();
    for (const value of [-100, 200, -40, 85])
      expect(validateReading({ ...ok, metric: 'temperature', value }, now)).toBeUndefined();
  });

  it('requires the record key to be the deviceId, as bytes or as a string', () => {
    const reading = { ...ok, deviceId: 'site-a/dev-é1' };
    expect(validateReading(reading, now, DEFAULT_READING_LIMITS, Buffer.from('site-a/dev-é1'))).toBeUndefined();
    expect(validateReading(reading, now, DEFAULT_READING_LIMITS, 'site-a/dev-é1')).toBeUndefined();
    for (const key of [Buffer.from('site-a/dev-e1'), 'other', null, Buffer.alloc(0)]) {
      expect(validateReading(reading, now, DEFAULT_READING_LIMITS, key)?.code).toBe('READING_KEY_MISMATCH');
    }
    expect(validateReading(ok, now, DEFAULT_READING_LIMITS, Buffer.from('e'))?.code).toBe('READING_KEY_MISMATCH');
    // the key check can be turned off for producers that key otherwise
    expect(validateReading(ok, now, { ...DEFAULT_READING_LIMITS, requireKeyMatch: false }, 'other')).toBeUndefined();
  });

  it('follows the limits an operator sets', () => {
    const limits = {
      ...DEFAULT_READING_LIMITS,
      maxFutureSkewMs: 86_400_000,
      maxDeviceIdBytes: 8,
      maxLabels: 1,
      minTemperatureCelsius: -40,
      maxTemperatureCelsius: 85,
    };
    expect(validateReading({ ...ok, timestamp: now + 23 * 3_600_000 }, now, limits)).toBeUndefined();
    expect(validateReading({ ...ok, deviceId: 'dev-00042' }, now, limits)?.code).toBe('READING_DEVICE_ID_TOO_LONG');
    expect(validateReading({ ...ok, labels: { a: '1', b: '2' } }, now, limits)?.code).toBe('READING_TOO_MANY_LABELS');
    expect(validateReading({ ...ok, metric: 'temperature', value: 90 }, now, limits)?.code).toBe(
      'READING_VALUE_OUT_OF_RANGE',
    );
  });

  it('counts UTF-8 bytes of ids near the limit, whatever the shortcut for short ones', () => {
    expect(validateReading({ ...ok, deviceId: 'x'.repeat(42) }, now)).toBeUndefined(); // 42 × 3 ≤ 128
    expect(validateReading({ ...ok, deviceId: '€'.repeat(42) }, now)).toBeUndefined(); // 126 bytes
    expect(validateReading({ ...ok, deviceId: '€'.repeat(43) }, now)?.code).toBe('READING_DEVICE_ID_TOO_LONG'); // 129
    expect(validateReading({ ...ok, deviceId: 'x'.repeat(128) }, now)).toBeUndefined();
    expect(validateReading({ ...ok, deviceId: `${'x'.repeat(124)}😀` }, now)).toBeUndefined(); // 128 bytes
    expect(validateReading({ ...ok, deviceId: `${'x'.repeat(125)}😀` }, now)?.code).toBe('READING_DEVICE_ID_TOO_LONG');
  });

  it('judges shared frozen labels once per limits, and again under other limits', () => {
    const labels = Object.freeze({ site: 'v'.repeat(200) });
    expect(validateReading({ ...ok, labels }, now)).toBeUndefined();
    expect(validateReading({ ...ok, labels }, now)).toBeUndefined();
    const strict = { ...DEFAULT_READING_LIMITS, maxLabelValueBytes: 100 };
    expect(validateReading({ ...ok, labels }, now, strict)?.code).toBe('READING_LABEL_TOO_LONG');
    expect(validateReading({ ...ok, labels }, now, strict)?.code).toBe('READING_LABEL_TOO_LONG');
    const tooMany = Object.freeze({ ...manyLabels });
    expect(validateReading({ ...ok, labels: tooMany }, now)?.code).toBe('READING_TOO_MANY_LABELS');
    expect(validateReading({ ...ok, labels: tooMany }, now)?.code).toBe('READING_TOO_MANY_LABELS');
  });

  it('refuses limits that cannot work, saying which', () => {
    expect(() => checkReadingLimits({ ...DEFAULT_READING_LIMITS, maxDeviceIdBytes: 0 })).toThrow(/maxDeviceIdBytes/);
    expect(() => checkReadingLimits({ ...DEFAULT_READING_LIMITS, maxTemperatureCelsius: -200 })).toThrow(
      /minTemperatureCelsius/,
    );
    expect(() => checkReadingLimits(DEFAULT_READING_LIMITS)).not.toThrow();
  });
});
