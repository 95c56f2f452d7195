import { describe, expect, it } from 'vitest';
import { buildFleet, DEFAULT_START_TIME_MS, type Fleet, sensorSignal } from '../src/core/fleet.js';
import type { GeneratedReading } from '../src/core/generated-reading.js';
import { seedFrom } from '../src/core/prng.js';
import { generateReadings, ReadingGenerator } from '../src/core/reading-generator.js';
import { defineScenario } from '../src/scenario/load-scenario.js';

const T0 = DEFAULT_START_TIME_MS;
const SECOND = 1_000;

function fleetOf(input: Record<string, unknown>, seed: string | number = 1, startTimeMs = T0): Fleet {
  return buildFleet(defineScenario({ interval: '1s', ...input }), { seed: seedFrom(seed), startTimeMs });
}

const twoSites = {
  fleet: {
    sites: [
      { name: 'site-a', devices: 10 },
      { name: 'site-b', devices: 10 },
    ],
  },
};

function byDevice(fleet: Fleet, readings: readonly GeneratedReading[]): Map<string, GeneratedReading[]> {
  const out = new Map<string, GeneratedReading[]>();
  for (const r of readings) {
    const id = fleet.devices[r.device]!.id;
    out.set(id, [...(out.get(id) ?? []), r]);
  }
  return out;
}

describe('ReadingGenerator', () => {
  it('reports every metric of every device once per interval at start + phase + k·interval', () => {
    const fleet = fleetOf(twoSites);
    const readings = generateReadings(fleet, { endTimeMs: T0 + 60 * SECOND });
    expect(readings).toHaveLength(20 * 3 * 60);
    for (const [id, rs] of byDevice(fleet, readings)) {
      const device = fleet.devices.find((d) => d.id === id)!;
      expect(device.phaseMs).toBeGreaterThanOrEqual(0);
      expect(device.phaseMs).toBeLessThan(1_000);
      rs.forEach((r, i) => {
        expect(r.metric).toBe(i % 3);
        expect(r.eventTimeMs).toBe(T0 + device.phaseMs + Math.floor(i / 3) * SECOND);
        expect(r.timestampMs).toBe(r.eventTimeMs);
        expect(r.seq).toBe(i);
      });
    }
  });

  it('delivers in event-time order across the fleet (phase order within each interval)', () => {
    const fleet = fleetOf(twoSites);
    const readings = generateReadings(fleet, { count: 3_000 });
    for (let i = 1; i < readings.length; i++)
      expect(readings[i]!.emitAtMs).toBeGreaterThanOrEqual(readings[i - 1]!.emitAtMs);
  });

  it('is deterministic, and different seeds give different streams', () => {
    const a = generateReadings(fleetOf(twoSites, 7), { count: 2_000 });
    const b = generateReadings(fleetOf(twoSites, 7), { count: 2_000 });
    const c = generateReadings(fleetOf(twoSites, 8), { count: 2_000 });
    expect(b).toEqual(a);
    expect(c.map((r) => r.value)).not.toEqual(a.map((r) => r.value));
  });

  it("does not change a device's stream when devices or sites are added", () => {
    const small = fleetOf({ fleet: { sites: [{ name: 'site-a', devices: 5 }] } });
    const big = fleetOf({
      fleet: {
        sites: [
          { name: 'site-a', devices: 50 },
          { name: 'site-z', devices: 20 },
        ],
      },
    });
    const smallBy = byDevice(small, generateReadings(small, { endTimeMs: T0 + 30 * SECOND }));
    const bigBy = byDevice(big, generateReadings(big, { endTimeMs: T0 + 30 * SECOND }));
    for (const [id, rs] of smallBy)
      expect(bigBy.get(id)).toEqual(rs.map((r) => ({ ...r, device: bigBy.get(id)![0]!.device })));
  });

  it('keeps every value physically plausible, faults included', () => {
    const fleet = fleetOf({
      ...twoSites,
      faults: [
        { kind: 'overheat', share: 0.5, targetC: 200, ramp: '5s' },
        { kind: 'freeze', share: 0.5, at: '1m', targetC: -100, ramp: '5s' },
        { kind: 'cpu-burst', share: 0.5, levelPercent: 100 },
        { kind: 'memory-leak', share: 0.5, ratePercentPerMinute: 1000, ceilingPercent: 100 },
        { kind: 'temperature-spikes', share: 1, deltaC: 300, every: '20s', length: '5s' },
      ],
    });
    const limits = [
      [-40, 125],
      [0, 100],
      [0, 100],
    ] as const;
    for (const r of generateReadings(fleet, { endTimeMs: T0 + 180 * SECOND })) {
      expect(r.value).toBeGreaterThanOrEqual(limits[r.metric as 0 | 1 | 2][0]);
      expect(r.value).toBeLessThanOrEqual(limits[r.metric as 0 | 1 | 2][1]);
    }
  });

  it('applies faults to the named devices at the right times only', () => {
    const fleet = fleetOf({
      ...twoSites,
      faults: [
        {
          kind: 'overheat',
          devices: ['site-a/dev-0003'],
          at: '20s',
          for: '60s',
          targetC: 95,
          ramp: '10s',
          recover: '20s',
        },
      ],
    });
    const sick = fleet.devices.find((d) => d.id === 'site-a/dev-0003')!;
    const temperature = sensorSignal(fleet, sick, 'temperature');
    expect(temperature(T0 + 19 * SECOND)).toBeLessThan(50);
    expect(temperature(T0 + 31 * SECOND)).toBeGreaterThan(88);
    expect(temperature(T0 + 79 * SECOND)).toBeGreaterThan(88);
    expect(temperature(T0 + 101 * SECOND)).toBeLessThan(50);
    for (const device of fleet.devices.filter((d) => d !== sick)) {
      expect(device.signals).toBeNull();
      expect(sensorSignal(fleet, device, 'temperature')(T0 + 50 * SECOND)).toBeLessThan(50);
    }
  });

  it('picks a deterministic share of devices for share-based faults', () => {
    const fleet = fleetOf({
      fleet: { sites: [{ name: 'big', devices: 2_000 }] },
      faults: [{ kind: 'cpu-burst', share: 0.1 }],
    });
    const hit = fleet.devices.filter((d) => d.faults.length > 0).length;
    expect(hit).toBeGreaterThan(160);
    expect(hit).toBeLessThan(240);
  });

  it('silences a device during a dropout and resumes its sequence numbers without a gap', () => {
    const fleet = fleetOf({
      ...twoSites,
      faults: [{ kind: 'dropout', devices: ['site-b/dev-0002'], at: '10s', for: '20s' }],
    });
    const rs = byDevice(fleet, generateReadings(fleet, { endTimeMs: T0 + 60 * SECOND })).get('site-b/dev-0002')!;
    expect(rs).toHaveLength(3 * 40);
    const times = rs.map((r) => r.eventTimeMs - T0);
    expect(times.some((t) => t >= 10 * SECOND && t < 30 * SECOND)).toBe(false);
    expect(times.filter((t) => t < 10 * SECOND)).toHaveLength(30);
    rs.forEach((r, i) => {
      expect(r.seq).toBe(i);
    });
  });

  it('ends when every device is silent for good', () => {
    const fleet = fleetOf({
      fleet: { sites: [{ name: 's', devices: 3 }] },
      faults: [{ kind: 'dropout', sites: ['s'], at: '5s' }],
    });
    const readings = generateReadings(fleet, { count: 1_000 });
    expect(readings).toHaveLength(3 * 3 * 5);
  });

  it('shifts timestamps by clock skew (with drift), not event time or delivery', () => {
    const fleet = fleetOf({
      ...twoSites,
      faults: [{ kind: 'clock-skew', devices: ['site-a/dev-0001'], offset: '-5s', driftPerHour: '+36s' }],
    });
    const rs = byDevice(fleet, generateReadings(fleet, { endTimeMs: T0 + 100 * SECOND })).get('site-a/dev-0001')!;
    for (const r of rs) {
      expect(r.emitAtMs).toBe(r.eventTimeMs);
      expect(r.timestampMs - r.eventTimeMs).toBe(Math.round(-5_000 + ((r.eventTimeMs - T0) * 36_000) / 3_600_000));
    }
  });

  it('delivers the configured share of readings late by the configured amount, timestamps unchanged', () => {
    const fleet = fleetOf({
      ...twoSites,
      faults: [{ kind: 'late-delivery', sites: ['site-a'], lateShare: 0.1, by: '5s', metrics: ['temperature', 'cpu'] }],
    });
    const readings = generateReadings(fleet, { endTimeMs: T0 + 600 * SECOND });
    expect(readings).toHaveLength(20 * 3 * 600);
    const late = readings.filter((r) => r.late);
    const eligible = readings.filter((r) => fleet.devices[r.device]!.id.startsWith('site-a') && r.metric !== 2);
    expect(late.every((r) => fleet.devices[r.device]!.id.startsWith('site-a') && r.metric !== 2)).toBe(true);
    expect(late.length / eligible.length).toBeGreaterThan(0.09);
    expect(late.length / eligible.length).toBeLessThan(0.11);
    for (const r of late) {
      expect(r.emitAtMs).toBe(r.eventTimeMs + 5_000);
      expect(r.timestampMs).toBe(r.eventTimeMs);
    }
    // emission order follows delivery time, so late readings come after newer ones of the same device
    for (let i = 1; i < readings.length; i++)
      expect(readings[i]!.emitAtMs).toBeGreaterThanOrEqual(readings[i - 1]!.emitAtMs);
    const out = byDevice(fleet, readings).get('site-a/dev-0001')!;
    const inversions = out.filter((r, i) => i > 0 && r.eventTimeMs < out[i - 1]!.eventTimeMs).length;
    expect(inversions).toBeGreaterThan(0);
  });

  it('peeks the next delivery time without consuming', () => {
    const generator = new ReadingGenerator(fleetOf(twoSites));
    const first = generator.peekEmitAtMs();
    expect(generator.peekEmitAtMs()).toBe(first);
    const r = { device: 0, metric: 0, value: 0, timestampMs: 0, eventTimeMs: 0, emitAtMs: 0, seq: 0, late: false };
    expect(generator.next(r)).toBe(true);
    expect(r.emitAtMs).toBe(first);
    expect(generator.count).toBe(1);
  });
});
