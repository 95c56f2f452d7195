/** Options are checked once, up front, with an error that names the field and says what was expected. */
import { describe, expect, it } from 'vitest';
import { SensorWindow } from '../../src/window/sensor-window.js';
import { DEFAULT_MAX_SAMPLES, parseWindowOptions, type WindowOptions } from '../../src/window/window-options.js';
import { WindowOptionsError } from '../../src/window/window-options-error.js';

describe('parseWindowOptions', () => {
  it('fills in defaults and freezes the result', () => {
    const time = parseWindowOptions({ kind: 'time', sizeMs: 60_000 });
    expect(time).toEqual({ kind: 'time', sizeMs: 60_000, graceMs: 0, maxSamples: DEFAULT_MAX_SAMPLES });
    expect(Object.isFrozen(time)).toBe(true);
    expect(parseWindowOptions({ kind: 'count', size: 10, graceMs: 500 })).toEqual({
      kind: 'count',
      size: 10,
      graceMs: 500,
    });
  });

  it('returns an already parsed object as is', () => {
    const parsed = parseWindowOptions({ kind: 'count', size: 3 });
    expect(parseWindowOptions(parsed)).toBe(parsed);
  });

  const bad: Array<[string, unknown, string, RegExp]> = [
    ['zero size', { kind: 'time', sizeMs: 0 }, 'sizeMs', /> 0, got 0/],
    ['negative size', { kind: 'time', sizeMs: -5 }, 'sizeMs', /> 0/],
    ['NaN size', { kind: 'time', sizeMs: NaN }, 'sizeMs', /finite/],
    ['infinite size', { kind: 'time', sizeMs: Infinity }, 'sizeMs', /finite/],
    ['string size', { kind: 'time', sizeMs: '30s' }, 'sizeMs', /milliseconds/],
    ['negative grace', { kind: 'time', sizeMs: 10, graceMs: -1 }, 'graceMs', />= 0, got -1/],
    ['NaN grace', { kind: 'count', size: 10, graceMs: NaN }, 'graceMs', /finite/],
    ['fractional count', { kind: 'count', size: 2.5 }, 'size', /integer from 1/],
    ['zero count', { kind: 'count', size: 0 }, 'size', /integer from 1/],
    ['huge count', { kind: 'count', size: 2 ** 30 }, 'size', /integer from 1 to 16777216/],
    ['missing count', { kind: 'count' }, 'size', /integer/],
    ['zero maxSamples', { kind: 'time', sizeMs: 10, maxSamples: 0 }, 'maxSamples', /integer from 1/],
    ['fractional maxSamples', { kind: 'time', sizeMs: 10, maxSamples: 1.5 }, 'maxSamples', /integer/],
    ['unknown kind', { kind: 'session', sizeMs: 10 }, 'kind', /'time' or 'count', got "session"/],
    ['no object', undefined, 'window', /expected an object/],
  ];
  for (const [name, options, field, message] of bad) {
    it(`rejects ${name}`, () => {
      let caught: unknown;
      try {
        parseWindowOptions(options as WindowOptions);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(WindowOptionsError);
      const err = caught as WindowOptionsError;
      expect(err.field).toBe(field);
      expect(err.code).toBe('WINDOW_OPTIONS_INVALID');
      expect(err.retriable).toBe(false);
      expect(err.message).toMatch(message);
      expect(err.message.startsWith(`${field}: `)).toBe(true);
    });
  }

  it('the SensorWindow constructor validates too', () => {
    expect(() => new SensorWindow({ kind: 'count', size: -1 })).toThrow(WindowOptionsError);
  });
});
