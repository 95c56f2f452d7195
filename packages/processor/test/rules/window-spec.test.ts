import { describe, expect, it } from 'vitest';
import { replayHorizonMs } from '../../src/rules/replay-horizon.js';
import { DEFAULT_ABSENCE_SUMMARY, DEFAULT_THRESHOLD_SUMMARY, type RulesConfig } from '../../src/rules/rules-schema.js';
import { heldWindowKey, toWindowOptions, windowSpecKey } from '../../src/rules/window-spec.js';
import { crossesHopBoundary } from '../../src/window/crosses-hop-boundary.js';
import { parseWindowOptions } from '../../src/window/window-options.js';

describe('window specs', () => {
  it('have canonical keys', () => {
    expect(windowSpecKey({ kind: 'time', sizeMs: 30_000 })).toBe('time:30s');
    expect(windowSpecKey({ kind: 'time', sizeMs: 90_000, hopMs: 5_000 })).toBe('time:90s,hop:5s');
    expect(windowSpecKey({ kind: 'time', sizeMs: 60_000 })).toBe('time:1m');
    expect(windowSpecKey({ kind: 'time', sizeMs: 1_500 })).toBe('time:1500ms');
    expect(windowSpecKey({ kind: 'count', size: 10 })).toBe('count:10');
  });

  it('identify the window held without the hop: a hop changes when a rule looks, not what the window holds', () => {
    expect(heldWindowKey({ kind: 'time', sizeMs: 30_000 })).toBe('time:30s');
    expect(heldWindowKey({ kind: 'time', sizeMs: 30_000, hopMs: 5_000 })).toBe('time:30s');
    expect(heldWindowKey({ kind: 'time', sizeMs: 31_000, hopMs: 5_000 })).toBe('time:31s');
    expect(heldWindowKey({ kind: 'count', size: 10 })).toBe('count:10');
  });

  it('hop boundaries: crossed when the end moves over a multiple of the hop; a fresh window always', () => {
    expect(crossesHopBoundary(Number.NaN, 12, 10)).toBe(true);
    expect(crossesHopBoundary(-Infinity, 12, 10)).toBe(true);
    expect(crossesHopBoundary(9, 10, 10)).toBe(true);
    expect(crossesHopBoundary(10, 19, 10)).toBe(false);
    expect(crossesHopBoundary(10, 10, 10)).toBe(false);
    expect(crossesHopBoundary(15, 12, 10)).toBe(false); // out of order
    expect(crossesHopBoundary(5, 35, 10)).toBe(true); // several boundaries at once: one emission
  });

  it('configure the window engine (which accepts them)', () => {
    expect(toWindowOptions({ kind: 'time', sizeMs: 30_000, hopMs: 5_000 }, 5_000)).toEqual({
      kind: 'time',
      sizeMs: 30_000,
      graceMs: 5_000,
    });
    expect(toWindowOptions({ kind: 'count', size: 10 }, 0)).toEqual({ kind: 'count', size: 10, graceMs: 0 });
    expect(parseWindowOptions(toWindowOptions({ kind: 'count', size: 10 }, 5_000))).toMatchObject({
      kind: 'count',
      size: 10,
      graceMs: 5_000,
    });
  });
});

describe('replayHorizonMs', () => {
  it('is the longest time window or absence limit (count windows at the reading interval), plus grace', () => {
    const config: RulesConfig = {
      graceMs: 5_000,
      rules: [
        {
          kind: 'threshold',
          name: 'a',
          severity: 'info',
          labels: {},
          metric: 'cpu',
          window: { kind: 'time', sizeMs: 60_000 },
          statistic: 'mean',
          condition: 'above',
          threshold: 1,
          forMs: 0,
          summary: DEFAULT_THRESHOLD_SUMMARY,
        },
        {
          kind: 'threshold',
          name: 'b',
          severity: 'info',
          labels: {},
          metric: 'cpu',
          window: { kind: 'count', size: 100 },
          statistic: 'mean',
          condition: 'above',
          threshold: 1,
          forMs: 0,
          summary: DEFAULT_THRESHOLD_SUMMARY,
        },
        {
          kind: 'absence',
          name: 'c',
          severity: 'info',
          labels: {},
          absentMs: 90_000,
          summary: DEFAULT_ABSENCE_SUMMARY,
        },
      ],
    };
    expect(replayHorizonMs(config)).toBe(100_000 + 5_000);
    expect(replayHorizonMs(config, { readingIntervalMs: 200 })).toBe(90_000 + 5_000);
    expect(replayHorizonMs({ graceMs: 5_000, rules: [] })).toBe(5_000);
  });
});
