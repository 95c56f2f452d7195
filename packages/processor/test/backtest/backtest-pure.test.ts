import type { Alert } from '@sensor-pipeline/shared';
import { describe, expect, it } from 'vitest';
import { parseBacktestTime, parsePartitionOffsets } from '../../src/backtest/backtest-time.js';
import { compareAlerts } from '../../src/backtest/compare-alerts.js';

const NOW = Date.parse('2026-11-30T21:00:00Z');
const alert = (eventId: string) => ({ eventId }) as Alert;

describe('backtest times and offsets', () => {
  it('takes RFC 3339 times and durations ago; refuses the rest with both forms', () => {
    expect(parseBacktestTime('--from', '2026-11-30T20:00:00Z', NOW)).toBe(NOW - 3_600_000);
    expect(parseBacktestTime('--from', '2026-11-30T21:30:00+01:00', NOW)).toBe(NOW - 1_800_000);
    expect(parseBacktestTime('--from', '90m', NOW)).toBe(NOW - 5_400_000);
    expect(() => parseBacktestTime('--from', '90', NOW)).toThrow(
      /--from: expected an RFC 3339 time .* or how long ago/,
    );
    expect(() => parseBacktestTime('--to', 'yesterday', NOW)).toThrow('--to: expected');
  });

  it('parses offsets per partition', () => {
    expect([...parsePartitionOffsets('--from-offsets', '0:120, 1:95')]).toEqual([
      [0, 120],
      [1, 95],
    ]);
    expect(() => parsePartitionOffsets('--from-offsets', '0=1')).toThrow('PARTITION:OFFSET');
    expect(() => parsePartitionOffsets('--from-offsets', '0:1,0:2')).toThrow('given twice');
  });
});

describe('compareAlerts', () => {
  it('matches by event id; a published alert is checked against the warm-up too, duplicates count once', () => {
    const diff = compareAlerts({
      backtest: [alert('a'), alert('b'), alert('c')],
      backtestAll: [alert('w'), alert('a'), alert('b'), alert('c')],
      published: [alert('w'), alert('a'), alert('a'), alert('x')],
      publishedAll: [alert('w'), alert('a'), alert('a'), alert('x'), alert('b')],
    });
    expect(diff.matched).toBe(2);
    expect(diff.onlyBacktest.map((a) => a.eventId)).toEqual(['c']);
    expect(diff.onlyPublished.map((a) => a.eventId)).toEqual(['x']);
  });
});
