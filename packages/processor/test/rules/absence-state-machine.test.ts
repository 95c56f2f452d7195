import { describe, expect, it } from 'vitest';
import { absenceOnReading, absenceOnTick } from '../../src/rules/absence-state-machine.js';
import { INITIAL_ABSENCE_STATE } from '../../src/rules/alert-state.js';

const ABSENT_MS = 30_000;

describe('absence state machine', () => {
  it('fires once the clock is more than `absent` past the last reading, with startsAt = lastSeen + absent', () => {
    expect(absenceOnTick(INITIAL_ABSENCE_STATE, 10_000, 40_000, ABSENT_MS)).toBe(INITIAL_ABSENCE_STATE); // exactly 30s: not more
    expect(absenceOnTick(INITIAL_ABSENCE_STATE, 10_000, 40_001, ABSENT_MS)).toEqual({
      status: 'firing',
      sinceMs: 40_000,
      lastSeenMs: 10_000,
    });
  });

  it('startsAt does not depend on when the tick comes (replay-stable)', () => {
    const early = absenceOnTick(INITIAL_ABSENCE_STATE, 10_000, 40_001, ABSENT_MS);
    const late = absenceOnTick(INITIAL_ABSENCE_STATE, 10_000, 95_000, ABSENT_MS);
    expect(late).toEqual(early);
  });

  it('stays firing on later ticks (same object) and on readings not newer than the silence start', () => {
    const firing = absenceOnTick(INITIAL_ABSENCE_STATE, 10_000, 50_000, ABSENT_MS);
    expect(absenceOnTick(firing, 10_000, 90_000, ABSENT_MS)).toBe(firing);
    expect(absenceOnReading(firing, 10_000)).toBe(firing);
    expect(absenceOnReading(firing, 9_000)).toBe(firing);
  });

  it('resolves on the next newer reading, endsAt = its timestamp (never before startsAt)', () => {
    const firing = absenceOnTick(INITIAL_ABSENCE_STATE, 10_000, 50_000, ABSENT_MS);
    expect(absenceOnReading(firing, 55_000)).toEqual({ status: 'ok', sinceMs: 55_000, lastSeenMs: 55_000 });
    // a reading from inside the silence that arrived late: resolved at startsAt
    expect(absenceOnReading(firing, 20_000)).toEqual({ status: 'ok', sinceMs: 40_000, lastSeenMs: 20_000 });
  });

  it('a sensor never seen is never silent', () => {
    expect(absenceOnTick(INITIAL_ABSENCE_STATE, -Infinity, 1e12, ABSENT_MS)).toBe(INITIAL_ABSENCE_STATE);
  });

  it('does not fire again for a silence already resolved (replayed ticks after a restore)', () => {
    const resolved = { status: 'ok' as const, sinceMs: 55_000, lastSeenMs: 55_000 };
    expect(absenceOnTick(resolved, 10_000, 50_000, ABSENT_MS)).toBe(resolved);
    // a new silence after the resolving reading fires again, later
    expect(absenceOnTick(resolved, 55_000, 85_001, ABSENT_MS)).toEqual({
      status: 'firing',
      sinceMs: 85_000,
      lastSeenMs: 55_000,
    });
  });

  it('a reading while ok changes nothing', () => {
    expect(absenceOnReading(INITIAL_ABSENCE_STATE, 1_000)).toBe(INITIAL_ABSENCE_STATE);
  });
});
