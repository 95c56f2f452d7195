import { describe, expect, it } from 'vitest';
import { alertEventId, alertFingerprint } from '../../src/rules/alert-ids.js';

describe('alert ids', () => {
  it('are pinned (checked with sha256sum): changing the scheme would break deduplication across versions', () => {
    expect(alertFingerprint('temperature-high', 'site-a/dev-1', 'temperature')).toBe('196b49758af6f213');
    expect(alertEventId('196b49758af6f213', 'FIRING', 1_700_000_000_000)).toBe('17a685b7b49e52bff0aa22e2eb3312c5');
  });

  it('fingerprint: same parts → same value; any part differs → different value; no ambiguity between parts', () => {
    const fp = alertFingerprint('r', 'dev', 'cpu');
    expect(alertFingerprint('r', 'dev', 'cpu')).toBe(fp);
    expect(
      new Set([
        fp,
        alertFingerprint('r2', 'dev', 'cpu'),
        alertFingerprint('r', 'dev2', 'cpu'),
        alertFingerprint('r', 'dev', 'memory'),
      ]).size,
    ).toBe(4);
    expect(alertFingerprint('a', 'b\u0000c', 'cpu')).not.toBe(alertFingerprint('a\u0000b', 'c', 'cpu'));
    expect(fp).toMatch(/^[0-9a-f]{16}$/);
  });

  it('event id: differs by status and startsAt, stable otherwise', () => {
    const fp = alertFingerprint('r', 'dev', 'cpu');
    const firing = alertEventId(fp, 'FIRING', 1_000);
    expect(alertEventId(fp, 'FIRING', 1_000)).toBe(firing);
    expect(new Set([firing, alertEventId(fp, 'RESOLVED', 1_000), alertEventId(fp, 'FIRING', 1_001)]).size).toBe(3);
    expect(firing).toMatch(/^[0-9a-f]{32}$/);
  });
});
