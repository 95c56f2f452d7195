import { describe, expect, it } from 'vitest';
import { ReplayCheckpoints } from '../../src/state/replay-checkpoints.js';

describe('ReplayCheckpoints', () => {
  it('answers the newest point at least spanMs of event time behind the watermark', () => {
    const c = new ReplayCheckpoints(10_000, 1_000);
    expect(c.replayFrom()).toBeUndefined();
    // offset o has event time 100 + o seconds
    for (let o = 0; o <= 30; o++) c.observe(o, (100 + o) * 1_000);
    // watermark 130 s: every window reaches back at most to 120 s, first seen at offset 20
    expect(c.replayFrom()).toBe(20);
  });

  it('replays from the first reading until spanMs of event time has passed', () => {
    const c = new ReplayCheckpoints(60_000);
    for (let o = 5; o < 20; o++) c.observe(o, o * 1_000);
    expect(c.replayFrom()).toBe(5);
  });

  it('is not moved by out-of-order readings, and keeps the point before them', () => {
    const c = new ReplayCheckpoints(5_000, 1_000);
    c.observe(0, 10_000);
    c.observe(1, 11_000);
    c.observe(2, 9_000); // late: older than the watermark
    for (let o = 3; o < 10; o++) c.observe(o, (9 + o) * 1_000);
    // watermark 18 s, span 5 s: readings before the point with event time <= 13 s cannot be in a window
    expect(c.replayFrom()).toBe(4);
    expect(c.currentWatermarkMs).toBe(18_000);
  });

  it('keeps memory bounded over a long stream', () => {
    const c = new ReplayCheckpoints(1_000, 100);
    for (let o = 0; o < 200_000; o++) c.observe(o, o * 10);
    // points every 100 ms (every 10 offsets); watermark 1,999,990 ms: the newest point at or below
    // 1,998,990 ms is the one at 1,998,900 ms, offset 199,890
    expect(c.replayFrom()).toBe(199_890);
    expect((c as unknown as { offsets: number[] }).offsets.length).toBeLessThan(3_000);
  });

  it('rejects nonsense spans', () => {
    expect(() => new ReplayCheckpoints(-1)).toThrow(RangeError);
    expect(() => new ReplayCheckpoints(1, 0)).toThrow(RangeError);
  });
});
