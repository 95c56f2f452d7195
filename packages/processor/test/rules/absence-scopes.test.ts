/**
 * Absence scopes (sensor, device, label group, fleet), idle advance through `tick(wallClockMs)`, recovery
 * without storms, and the same event ids after a restore — on the pure engine with an injected clock.
 */
import type { Metric } from '@sensor-pipeline/shared';
import { describe, expect, it } from 'vitest';
import {
  type AlertStateRecord,
  decodeAlertStateRecord,
  encodeAlertStateRecord,
} from '../../src/rules/alert-state-record.js';
import { compileRules } from '../../src/rules/compile-rules.js';
import { GroupAbsenceTracker } from '../../src/rules/group-absence-tracker.js';
import { parseRules } from '../../src/rules/load-rules.js';
import { RuleEngine, type RuleTransition } from '../../src/rules/rule-engine.js';

const T0 = Date.UTC(2024, 0, 1);
const METRICS: readonly Metric[] = ['temperature', 'cpu', 'memory'];

const RULES = parseRules(
  `grace: 1s
rules:
  - name: sensor-silent
    absent: 10s
    severity: info
  - name: device-silent
    absent: 10s
    scope: device
    severity: warning
  - name: site-silent
    absent: 10s
    by: [site]
    severity: critical
  - name: fleet-silent
    absent: 10s
    scope: fleet
    severity: critical
`,
  'rules.yaml',
);

/** One instance: a tracker shared by the engines of its partitions, and a way to feed readings like the shell. */
function instance(partitions = 2) {
  const compiled = compileRules(RULES);
  const groups = new GroupAbsenceTracker(compiled.graceMs);
  const engines = Array.from({ length: partitions }, () => new RuleEngine(compiled, { groups }));
  const watermarks = engines.map(() => -Infinity);
  /** device → partition, like keying by deviceId */
  const partitionOf = (deviceId: string) => (deviceId.endsWith('1') || deviceId.endsWith('3') ? 0 : 1) % partitions;
  return {
    engines,
    groups,
    /** One reading, as PartitionPipeline.run does it (observe, tick), then the batch's group tick. */
    read(deviceId: string, metric: Metric, t: number): RuleTransition[] {
      const p = partitionOf(deviceId);
      const engine = engines[p]!;
      const site = deviceId.split('/')[0]!;
      const out = [...engine.observe(engine.sensor(deviceId, metric, { site }), t)];
      watermarks[p] = Math.max(watermarks[p]!, t);
      out.push(...engine.tick(watermarks[p]!), ...engine.tickGroups());
      return out;
    },
    /** Every device reports every metric at t. */
    readAll(devices: readonly string[], t: number): RuleTransition[] {
      return devices.flatMap((d) => METRICS.flatMap((m) => this.read(d, m, t)));
    },
    /** The shell's idle step on every partition: the event clock advanced to the wall clock `nowMs`. */
    idle(nowMs: number): RuleTransition[] {
      return engines.flatMap((engine, p) => {
        watermarks[p] = Math.max(watermarks[p]!, nowMs);
        return [...engine.tick(watermarks[p]!), ...engine.tickGroups()];
      });
    },
  };
}

const DEVICES = ['a/dev-1', 'a/dev-2', 'b/dev-3', 'b/dev-4'];
const summary = (ts: readonly RuleTransition[]) =>
  ts
    .filter((t) => t.alert)
    .map((t) => `${t.alert!.status} ${t.alert!.rule} ${t.alert!.deviceId || t.alert!.labels['site'] || '*'}`)
    .sort();

describe('absence scopes', () => {
  it('a total outage fires sensor, device, site and fleet alerts on idle ticks alone, each once', () => {
    const fleet = instance();
    for (let s = 0; s <= 5; s++) expect(fleet.readAll(DEVICES, T0 + s * 1_000)).toEqual([]);
    // wall clock moves on, nothing arrives: silent for > 10s once the clock minus grace passes 15s
    expect(fleet.idle(T0 + 16_000)).toEqual([]);
    const fired = fleet.idle(T0 + 16_001);
    expect(summary(fired)).toEqual(
      [
        ...DEVICES.flatMap((d) => METRICS.map(() => `FIRING sensor-silent ${d}`)),
        ...DEVICES.map((d) => `FIRING device-silent ${d}`),
        'FIRING site-silent a',
        'FIRING site-silent b',
        'FIRING fleet-silent *',
      ].sort(),
    );
    expect(fleet.idle(T0 + 60_000)).toEqual([]); // once
    const site = fired.find((t) => t.alert?.rule === 'site-silent' && t.alert.labels['site'] === 'a')!.alert!;
    expect(site).toMatchObject({ deviceId: '', metric: '', startsAt: T0 + 15_000 });
    expect(site.labels).toEqual({ site: 'a', rule: 'site-silent', severity: 'critical' });
    const device = fired.find((t) => t.alert?.rule === 'device-silent')!.alert!;
    expect(device.labels).not.toHaveProperty('metric');
    expect(device.metric).toBe('');
    const fleetAlert = fired.find((t) => t.alert?.rule === 'fleet-silent')!.alert!;
    expect(fleetAlert.labels).toEqual({ rule: 'fleet-silent', severity: 'critical' });
    expect(fleetAlert.summary).toBe('no device sent anything for 10s (limit 10s) (fleet-silent)');
  });

  it('recovery: each reading resolves its own series once; nothing fires when data comes back', () => {
    const fleet = instance();
    fleet.readAll(DEVICES, T0);
    fleet.idle(T0 + 30_000);
    const back: RuleTransition[] = [];
    for (const d of DEVICES) for (const m of METRICS) back.push(...fleet.read(d, m, T0 + 31_000));
    expect(back.filter((t) => t.alert?.status === 'FIRING')).toEqual([]);
    expect(summary(back)).toEqual(
      [
        ...DEVICES.flatMap((d) => METRICS.map(() => `RESOLVED sensor-silent ${d}`)),
        ...DEVICES.map((d) => `RESOLVED device-silent ${d}`),
        'RESOLVED site-silent a',
        'RESOLVED site-silent b',
        'RESOLVED fleet-silent *',
      ].sort(),
    );
    // the first reading of a device resolves the device, its site and the fleet at once
    expect(summary(fleet.read('a/dev-1', 'cpu', T0 + 32_000))).toEqual([]);
  });

  it('a device still sending one metric is not silent (device scope); a site with one reporting device is not silent', () => {
    const fleet = instance();
    fleet.readAll(DEVICES, T0);
    const out: RuleTransition[] = [];
    for (let s = 1; s <= 30; s++) out.push(...fleet.read('a/dev-1', 'cpu', T0 + s * 1_000));
    out.push(...fleet.idle(T0 + 31_000));
    const fired = summary(out);
    expect(fired).toContain('FIRING sensor-silent a/dev-1'); // its temperature and memory
    expect(fired).not.toContain('FIRING device-silent a/dev-1');
    expect(fired).toContain('FIRING device-silent a/dev-2');
    expect(fired).not.toContain('FIRING site-silent a');
    expect(fired).toContain('FIRING site-silent b');
    expect(fired).not.toContain('FIRING fleet-silent *');
  });

  it('a sensor never fires at the moment its own reading arrives, even after a long gap on the event clock', () => {
    const fleet = instance(1);
    fleet.readAll(DEVICES, T0);
    // no idle ticks at all: the next readings jump 60s ahead; each reading is counted before the check
    const out = fleet.read('a/dev-1', 'cpu', T0 + 60_000);
    const fired = summary(out);
    expect(fired).not.toContain('FIRING sensor-silent a/dev-1 cpu');
    expect(fired).not.toContain('FIRING device-silent a/dev-1');
    expect(fired).not.toContain('FIRING site-silent a');
    expect(fired).not.toContain('FIRING fleet-silent *');
    // the others really were silent on this clock
    expect(fired).toContain('FIRING device-silent a/dev-2');
  });

  it('a partition behind on its backlog holds the groups back (the slowest clock)', () => {
    const fleet = instance(2);
    fleet.readAll(DEVICES, T0);
    // partition 0 (dev-1, dev-3) races ahead on event time with dev-1 only (dev-3 is silent); partition 1
    // (dev-2, dev-4) has not been consumed yet: site b's newest reading there is unknown, not old
    const ahead: RuleTransition[] = [];
    for (let s = 1; s <= 40; s++) ahead.push(...fleet.read('a/dev-1', 'cpu', T0 + s * 1_000));
    expect(summary(ahead).filter((s) => s.includes('site-silent') || s.includes('fleet-silent'))).toEqual([]);
    // partition 1 catches up: dev-2 and dev-4 kept reporting — still no group silence
    const caughtUp: RuleTransition[] = [];
    for (let s = 1; s <= 40; s++) {
      caughtUp.push(...fleet.read('a/dev-2', 'cpu', T0 + s * 1_000), ...fleet.read('b/dev-4', 'cpu', T0 + s * 1_000));
    }
    expect(summary(caughtUp).filter((s) => s.includes('site-silent') || s.includes('fleet-silent'))).toEqual([]);
  });

  it('a revoked partition takes its devices with it', () => {
    const fleet = instance(2);
    fleet.readAll(DEVICES, T0);
    fleet.engines[1]!.close(); // dev-2 and dev-4 now belong to another instance
    const out: RuleTransition[] = [];
    for (let s = 1; s <= 20; s++) out.push(...fleet.read('a/dev-1', 'cpu', T0 + s * 1_000));
    // b's only device left on this instance (dev-3) is silent: site b fires; site a (dev-1) does not
    expect(summary(out).filter((s) => s.includes('site-silent'))).toEqual(['FIRING site-silent b']);
  });

  it('idle ticks of a restored engine give the same event ids as the original run (crash before persisting)', () => {
    const original = instance(1);
    original.readAll(DEVICES, T0);
    const records = original.engines[0]!.snapshot().map((r) => decodeAlertStateRecord(encodeAlertStateRecord(r)));
    const firedOriginal = original.idle(T0 + 20_000);
    // crash: the FIRINGs were published but their state never persisted; a new instance restores the older
    // records and replays the readings, then its own idle tick comes at a different wall time
    const restarted = instance(1);
    expect(restarted.engines[0]!.restore(records).ignored).toEqual([]);
    for (const d of DEVICES)
      for (const m of METRICS) restarted.engines[0]!.warm(restarted.engines[0]!.sensor(d, m, { site: d[0]! }), T0);
    const firedAgain = restarted.idle(T0 + 45_000);
    const ids = (ts: readonly RuleTransition[]) => ts.map((t) => t.alert!.eventId).sort();
    expect(ids(firedAgain)).toEqual(ids(firedOriginal));
  });

  it('restored firing device, site and fleet series resolve once on the next reading, with the ids of the original', () => {
    const original = instance(1);
    original.readAll(DEVICES, T0);
    original.idle(T0 + 20_000);
    const records: AlertStateRecord[] = original.engines[0]!.snapshot().map((r) =>
      decodeAlertStateRecord(encodeAlertStateRecord(r)),
    );
    expect(new Set(records.map((r) => r.scope ?? 'sensor'))).toEqual(new Set(['sensor', 'device', 'group', 'fleet']));
    const resolvedOriginal = original.read('a/dev-1', 'cpu', T0 + 25_000);

    const restarted = instance(1);
    restarted.engines[0]!.restore(records);
    const resolvedAgain = restarted.read('a/dev-1', 'cpu', T0 + 25_000);
    const ids = (ts: readonly RuleTransition[]) => ts.map((t) => `${t.alert!.status} ${t.alert!.eventId}`).sort();
    expect(ids(resolvedAgain)).toEqual(ids(resolvedOriginal));
    expect(summary(resolvedAgain)).toEqual([
      'RESOLVED device-silent a/dev-1',
      'RESOLVED fleet-silent *',
      'RESOLVED sensor-silent a/dev-1',
      'RESOLVED site-silent a',
    ]);
    // and a replayed copy of that reading changes nothing
    expect(restarted.read('a/dev-1', 'cpu', T0 + 25_000)).toEqual([]);
  });

  it('pending `for` durations progress on the clock: a sensor quiet while pending fires at pendingSince + for, also after a restore', () => {
    const rules = parseRules(
      `grace: 1s
rules:
  - { name: hot, metric: temperature, window: 5s, statistic: max, above: 50, for: 5s, severity: info }
`,
      'rules.yaml',
    );
    const run = (engine: RuleEngine) => {
      const sensor = engine.sensor('a/dev-1', 'temperature', {});
      engine.observe(sensor, T0);
      const stats = { count: 1, mean: 60, median: 60, min: 60, max: 60, stddev: 0, startMs: T0 - 5_000, endMs: T0 };
      return { sensor, pending: engine.evaluate(sensor, 0, stats) };
    };
    const engine = new RuleEngine(compileRules(rules));
    const { pending } = run(engine);
    expect(pending.map((t) => t.state.status)).toEqual(['pending']);
    expect(engine.tick(T0 + 5_999)).toEqual([]); // clock = 4.999s after: not yet
    const fired = engine.tick(T0 + 6_000); // the sensor sent nothing more; the (idle) clock is 5s past
    expect(fired.map((t) => [t.alert?.status, t.alert?.startsAt, t.alert?.value])).toEqual([
      ['FIRING', T0 + 5_000, 60],
    ]);
    expect(engine.tick(T0 + 60_000)).toEqual([]); // once

    // crash before that FIRING was persisted: the restored pending record fires the very same alert
    const records = pending.map((t) => decodeAlertStateRecord(encodeAlertStateRecord(t.state)));
    const restored = new RuleEngine(compileRules(rules));
    restored.restore(records);
    restored.sensor('a/dev-1', 'temperature', {});
    expect(restored.tick(T0 + 30_000).map((t) => t.alert)).toEqual(fired.map((t) => t.alert));
  });
});
