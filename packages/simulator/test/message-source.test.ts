import { createHash } from 'node:crypto';
import { sensorReadingCodec } from '@sensor-pipeline/shared';
import { describe, expect, it } from 'vitest';
import { planRun } from '../src/core/plan-run.js';
import { FUTURE_OFFSET_MS, POISON_KINDS } from '../src/core/poison.js';
import { defineScenario } from '../src/scenario/load-scenario.js';

const scenario = defineScenario({
  interval: '1s',
  fleet: {
    sites: [
      { name: 'site-a', devices: 40 },
      { name: 'site-b', devices: 30, labels: { region: 'eu' } },
    ],
  },
  faults: [
    { kind: 'overheat', devices: ['site-a/dev-0003'], at: '10s', for: '30s', ramp: '5s' },
    { kind: 'late-delivery', sites: ['site-b'], lateShare: 0.1, by: '3s' },
  ],
});

/** SHA-256 over every (key, value) pair, in order. */
function digest(seed: string | number, count: number, poisonRate = 0): string {
  const { source } = planRun(scenario, { seed, count, poisonRate });
  const hash = createHash('sha256');
  for (let m = source.next(); m; m = source.next()) {
    hash.update(m.key);
    hash.update(Buffer.from([0xff]));
    hash.update(m.value);
  }
  return hash.digest('hex');
}

describe('MessageSource', () => {
  it('produces the same bytes for the same seed, scenario and count', () => {
    expect(digest(1, 20_000)).toBe(digest(1, 20_000));
    expect(digest('abc', 5_000, 0.05)).toBe(digest('abc', 5_000, 0.05));
  });

  it('produces different bytes for a different seed', () => {
    expect(digest(1, 2_000)).not.toBe(digest(2, 2_000));
  });

  it('stops at the count, and a shorter run is a prefix of a longer one', () => {
    const take = (count: number) => {
      const { source } = planRun(scenario, { seed: 3, count });
      const out: Buffer[] = [];
      for (let m = source.next(); m; m = source.next()) out.push(m.value);
      return out;
    };
    const short = take(1_000);
    const long = take(3_000);
    expect(short).toHaveLength(1_000);
    expect(long).toHaveLength(3_000);
    expect(long.slice(0, 1_000)).toEqual(short);
  });

  it('keys every message by its device id and encodes valid readings', () => {
    const codec = sensorReadingCodec();
    const { source, fleet } = planRun(scenario, { seed: 1, count: 2_000 });
    for (let m = source.next(); m; m = source.next()) {
      const reading = codec.decode(m.value);
      expect(m.key.toString('utf8')).toBe(reading.deviceId);
      expect(reading.labels['site']).toBe(reading.deviceId.split('/')[0]);
      expect(fleet.devices.some((d) => d.id === reading.deviceId)).toBe(true);
    }
  });

  it('injects poison at the asked rate, of all four kinds, keyed like real readings', () => {
    const codec = sensorReadingCodec();
    const rate = 0.05;
    const { source } = planRun(scenario, { seed: 9, count: 40_000, poisonRate: rate });
    const seen = { 'random-bytes': 0, 'truncated-avro': 0, 'nan-value': 0, 'future-timestamp': 0 } as Record<
      (typeof POISON_KINDS)[number],
      number
    >;
    let clean = 0;
    for (let m = source.next(); m; m = source.next()) {
      const r = source.reading;
      const decoded = codec.safeDecode(m.value);
      expect(m.key.toString()).toBe(source.fleet.devices[r.device]!.id);
      if (!decoded.ok) {
        if (m.value.length >= 2 && m.value[0] === 0xc3 && m.value[1] === 0x01) {
          expect(decoded.error.code).toBe('DECODE_TRUNCATED');
          seen['truncated-avro']++;
        } else {
          expect(decoded.error.code).toMatch(/DECODE_(BAD_MAGIC|TRUNCATED|EMPTY)/);
          seen['random-bytes']++;
        }
      } else if (Number.isNaN(decoded.value.value)) seen['nan-value']++;
      else if (decoded.value.timestamp > r.eventTimeMs + FUTURE_OFFSET_MS / 2) seen['future-timestamp']++;
      else clean++;
    }
    const poisoned = 40_000 - clean;
    expect(poisoned / 40_000).toBeGreaterThan(rate * 0.85);
    expect(poisoned / 40_000).toBeLessThan(rate * 1.15);
    expect(seen).toEqual(source.poison);
    for (const kind of POISON_KINDS) expect(seen[kind]).toBeGreaterThan(poisoned / 4 - poisoned / 10);
  });

  it('leaves the clean readings of a poisoned run equal to those of a clean run', () => {
    const clean = planRun(scenario, { seed: 4, count: 5_000 }).source;
    const poisoned = planRun(scenario, { seed: 4, count: 5_000, poisonRate: 0.2 }).source;
    let same = 0;
    for (let a = clean.next(), b = poisoned.next(); a && b; a = clean.next(), b = poisoned.next()) {
      if (a.value.equals(b.value)) same++;
    }
    expect(same).toBe(5_000 - poisoned.poisonTotal);
  });

  it('ends at the event-time duration, delivering readings held back for late delivery', () => {
    const { source, startTimeMs } = planRun(scenario, { seed: 1, durationMs: 60_000 });
    let n = 0;
    const codec = sensorReadingCodec();
    for (let m = source.next(); m; m = source.next()) {
      n++;
      expect(codec.decode(m.value).timestamp).toBeLessThan(startTimeMs + 60_000);
    }
    expect(n).toBe(70 * 3 * 60);
  });
});
