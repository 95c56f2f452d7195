import { describe, expect, it } from 'vitest';
import { idleAdvanceDue } from '../../src/service/idle-advance-due.js';

const base = { nowMs: 10_000, lastDeliveryMs: 5_000, afterMs: 5_000, highWatermark: 42, nextOffset: 42 };

describe('idleAdvanceDue', () => {
  it('is due when caught up (lag 0) and idle for the interval', () => {
    expect(idleAdvanceDue(base)).toBe(true);
    expect(idleAdvanceDue({ ...base, highWatermark: 0, nextOffset: 0 })).toBe(true); // an empty partition
  });

  it('never while the partition has a backlog, however long it has delivered nothing', () => {
    expect(idleAdvanceDue({ ...base, highWatermark: 43 })).toBe(false);
    expect(idleAdvanceDue({ ...base, highWatermark: 1_000_000, lastDeliveryMs: -1e9 })).toBe(false);
  });

  it('never before the end offset is known (no fetch answered since assignment)', () => {
    expect(idleAdvanceDue({ ...base, highWatermark: undefined })).toBe(false);
  });

  it('not before the idle interval has passed, and never when turned off', () => {
    expect(idleAdvanceDue({ ...base, lastDeliveryMs: 5_001 })).toBe(false);
    expect(idleAdvanceDue({ ...base, afterMs: 0 })).toBe(false);
  });
});
