import { describe, expect, it } from 'vitest';
import { alertEventId, alertFingerprint } from '../../src/rules/alert-ids.js';
import { carryOverRules, diffRules } from '../../src/rules/carry-over-rules.js';
import { compileRules } from '../../src/rules/compile-rules.js';
import { parseRules } from '../../src/rules/load-rules.js';
import { RuleEngine } from '../../src/rules/rule-engine.js';
import { alertsOf, driver, type TestReading } from './helpers.js';

const T0 = 1_700_000_000_000;
const DEV = 'dev-1';

const HOT = `
  - name: hot
    metric: temperature
    window: 10s
    statistic: mean
    above: 50
    severity: critical`;
const WARM = `
  - name: warm
    metric: temperature
    window: 10s
    statistic: max
    above: 40
    severity: warning`;
const SILENT = `
  - name: silent
    absent: 30s
    severity: warning`;

const rules = (...parts: string[]) => compileRules(parseRules(`grace: 0s\nrules:${parts.join('')}`, 'rules.yaml'));

function temps(values: readonly number[], fromS = 0): TestReading[] {
  return values.map((v, i) => ({ deviceId: DEV, metric: 'temperature', t: T0 + (fromS + i) * 1_000, v }));
}

describe('diffRules', () => {
  it('names added, removed, changed and unchanged rules; key order and position do not count', () => {
    const before = rules(HOT, WARM, SILENT);
    const after = rules(SILENT, HOT, WARM.replace('above: 40', 'above: 45'), HOT.replace('name: hot', 'name: hotter'));
    expect(diffRules(before, after)).toEqual({
      added: ['hotter'],
      removed: [],
      changed: ['warm'],
      unchanged: ['silent', 'hot'],
    });
    expect(diffRules(after, rules(HOT))).toMatchObject({ removed: ['silent', 'warm', 'hotter'], unchanged: ['hot'] });
  });
});

describe('carryOverRules', () => {
  it('keeps unchanged series, resolves removed and changed firing ones with the reason, starts new rules fresh', () => {
    const old = new RuleEngine(rules(HOT, WARM));
    const d = driver(old);
    const before = temps([60, 60, 60]).flatMap((r) => d.process(r));
    expect(alertsOf(before).map((a) => `${a.rule} ${a.status}`)).toEqual(['hot FIRING', 'warm FIRING']);

    // hot unchanged, warm removed, silent added
    const { engine, transitions, change } = carryOverRules(old, rules(HOT, SILENT), T0 + 2_000);
    expect(change).toEqual({ added: ['silent'], removed: ['warm'], changed: [], unchanged: ['hot'] });
    const resolved = alertsOf(transitions);
    expect(resolved).toHaveLength(1);
    const warmFiring = alertsOf(before).find((a) => a.rule === 'warm')!;
    expect(resolved[0]).toMatchObject({
      rule: 'warm',
      status: 'RESOLVED',
      fingerprint: alertFingerprint('warm', DEV, 'temperature'),
      eventId: alertEventId(warmFiring.fingerprint, 'RESOLVED', warmFiring.startsAt),
      startsAt: warmFiring.startsAt,
      endsAt: T0 + 2_000, // the sensor's newest reading
      summary: 'warm on dev-1/temperature: resolved by a rules reload (rule removed)',
    });
    expect(Number.isNaN(resolved[0]!.value)).toBe(true);
    expect(transitions[0]!.state).toMatchObject({ rule: 'warm', status: 'ok', sinceMs: T0 + 2_000 });

    // the unchanged rule keeps firing: no second FIRING, and it resolves as usual later
    const d2 = driver(engine);
    const after = temps([60, 60, 60, 60, 60, 60, 60, 60, 60, 60, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10], 0);
    const out = after.flatMap((r) => d2.process(r));
    expect(alertsOf(out).map((a) => `${a.rule} ${a.status}`)).toEqual(['hot RESOLVED']);
    expect(alertsOf(out)[0]!.startsAt).toBe(alertsOf(before)[0]!.startsAt);
    expect(engine.snapshot().map((r) => r.rule)).not.toContain('warm');
  });

  it('a changed rule resolves and then fires again under its new definition, with a new event id', () => {
    const old = new RuleEngine(rules(HOT));
    const d = driver(old);
    const firing = alertsOf(temps([60, 60]).flatMap((r) => d.process(r)));
    expect(firing).toHaveLength(1);
    const { engine, transitions } = carryOverRules(old, rules(HOT.replace('above: 50', 'above: 55')), T0 + 1_000);
    const resolved = alertsOf(transitions);
    expect(resolved).toMatchObject([{ status: 'RESOLVED', summary: expect.stringContaining('(rule changed)') }]);
    // the new definition still holds on the next reading: a new FIRING, after the reload
    const d2 = driver(engine);
    const next = alertsOf(temps([60, 60, 60]).flatMap((r) => d2.process(r)));
    expect(next).toHaveLength(1);
    expect(next[0]).toMatchObject({ rule: 'hot', status: 'FIRING', startsAt: T0 + 2_000 });
    expect(next[0]!.eventId).not.toBe(firing[0]!.eventId);
  });

  it('carries held sensors over, so a new absence rule judges silence from readings seen before the reload', () => {
    const old = new RuleEngine(rules(HOT));
    const d = driver(old);
    for (const r of temps([20])) d.process(r);
    const { engine, transitions } = carryOverRules(old, rules(HOT, SILENT), T0);
    expect(transitions).toEqual([]);
    expect(engine.hasSensor(DEV, 'temperature')).toBe(true);
    // another device moves the partition clock past the silence: dev-1 (seen only before the reload) fires
    const fired = alertsOf(engine.tick(T0 + 31_000));
    expect(fired).toMatchObject([{ rule: 'silent', deviceId: DEV, status: 'FIRING', startsAt: T0 + 30_000 }]);
  });

  it('a removed firing absence rule ends at the partition clock; a restored engine does not bring it back', () => {
    const old = new RuleEngine(rules(HOT, SILENT));
    const d = driver(old);
    for (const r of temps([20])) d.process(r);
    expect(alertsOf(old.tick(T0 + 40_000))).toHaveLength(1);
    const { transitions } = carryOverRules(old, rules(HOT), T0 + 45_000);
    expect(alertsOf(transitions)).toMatchObject([
      { rule: 'silent', status: 'RESOLVED', startsAt: T0 + 30_000, endsAt: T0 + 45_000 },
    ]);
    // the rule comes back later: the ok record written at the reload wins over the old firing one
    const restored = new RuleEngine(rules(HOT, SILENT));
    restored.restore([...old.snapshot(), ...transitions.map((t) => t.state)]);
    expect(restored.snapshot().find((r) => r.rule === 'silent')).toMatchObject({ status: 'ok' });
    // and the same silence is not reported again
    expect(alertsOf(restored.tick(T0 + 50_000))).toEqual([]);
  });

  it('a pending series of a removed rule gets an ok record and no alert', () => {
    const withFor = HOT.replace('severity: critical', 'severity: critical\n    for: 1m');
    const old = new RuleEngine(rules(withFor));
    const d = driver(old);
    for (const r of temps([60, 60])) d.process(r);
    expect(old.snapshot()).toMatchObject([{ status: 'pending' }]);
    const { transitions } = carryOverRules(old, rules(WARM), T0);
    expect(transitions).toMatchObject([
      { alert: undefined, state: { rule: 'hot', status: 'ok', sinceMs: T0 + 1_000 } },
    ]);
  });
});
