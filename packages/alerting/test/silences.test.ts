import { describe, expect, it } from 'vitest';
import { decodeSilence, type Silence, SilenceSet } from '../src/silences/silence-set.js';
import { sampleAlert } from './alert-fixture.js';

const silence = (overrides: Partial<Silence> = {}): Silence => ({
  id: 'sil_1',
  matchers: ['rule=device-silent', 'device=site-a/*'],
  startsAt: 1_000,
  endsAt: 2_000,
  createdBy: 'ops',
  comment: 'maintenance',
  ...overrides,
});

describe('silences', () => {
  const silent = sampleAlert({ rule: 'device-silent', deviceId: 'site-a/dev-1' });
  const elsewhere = sampleAlert({ rule: 'device-silent', deviceId: 'site-b/dev-1' });
  const cpu = sampleAlert({ rule: 'cpu-high', deviceId: 'site-a/dev-1' });

  it('mutes the alerts all of whose matchers match (rule = alertname, globs for devices), while in force', () => {
    const set = new SilenceSet();
    set.upsert(silence());
    expect(set.silencedBy(silent, 1_500)).toBe('sil_1');
    expect(set.silencedBy(elsewhere, 1_500)).toBeUndefined();
    expect(set.silencedBy(cpu, 1_500)).toBeUndefined();
    expect(set.silencedBy(silent, 999)).toBeUndefined();
    expect(set.silencedBy(silent, 2_000)).toBeUndefined(); // expiry on time
    expect(set.active(1_500).map((s) => s.id)).toEqual(['sil_1']);
  });

  it('an expiry is the same id ending earlier', () => {
    const set = new SilenceSet();
    set.upsert(silence());
    set.upsert(silence({ endsAt: 1_200 }));
    expect(set.silencedBy(silent, 1_500)).toBeUndefined();
    expect(set.all()).toHaveLength(1);
  });

  it('takes Alertmanager matchers too, and reads only well-formed records', () => {
    const set = new SilenceSet();
    set.upsert(silence({ matchers: ['alertname="device-silent"', 'device=~"site-(a|c)/.*"', 'severity!=info'] }));
    expect(set.silencedBy(silent, 1_500)).toBe('sil_1');
    expect(decodeSilence(Buffer.from(JSON.stringify(silence())))).toEqual(silence());
    expect(decodeSilence(Buffer.from('{"id":"x"}'))).toBeUndefined();
    expect(decodeSilence(Buffer.from(JSON.stringify(silence({ matchers: ['device ~ x'] }))))).toBeUndefined();
  });
});
