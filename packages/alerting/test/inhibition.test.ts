import { ConfigError } from '@sensor-pipeline/shared';
import { describe, expect, it } from 'vitest';
import { parseAlertingConfig } from '../src/config/load-alerting-config.js';
import { parseLabelMatcher } from '../src/routing/label-matcher.js';
import { Inhibitor } from '../src/stages/inhibit-stage.js';
import { sampleAlert } from './alert-fixture.js';

const publicDns = async (): Promise<string[]> => ['93.184.216.34'];
const base = ['receivers:', '  - name: hooks', '    url: https://hooks.example.com/', 'route: { receiver: hooks }'];

async function problems(yaml: string): Promise<string[]> {
  try {
    await parseAlertingConfig(yaml, 'alerting.yaml', { env: {}, resolveHost: publicDns });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues.map((i) => `${i.file}:${i.line}:${i.column} ${i.field}: ${i.message}`);
  }
  throw new Error('expected a ConfigError');
}

describe('label matchers (Alertmanager syntax)', () => {
  it('parses the four operators, quoted or not, with anchored regexes', () => {
    const labels = { alertname: 'device-silent', device: 'site-a/dev-1' };
    expect(parseLabelMatcher('alertname="device-silent"').matches(labels)).toBe(true);
    expect(parseLabelMatcher('alertname=device-silent').matches(labels)).toBe(true);
    expect(parseLabelMatcher('alertname!="device-silent"').matches(labels)).toBe(false);
    expect(parseLabelMatcher('device=~"site-a/.*"').matches(labels)).toBe(true);
    expect(parseLabelMatcher('device=~"site-a"').matches(labels)).toBe(false); // anchored
    expect(parseLabelMatcher('device!~"site-b/.*"').matches(labels)).toBe(true);
    expect(parseLabelMatcher('room=""').matches(labels)).toBe(true); // absent = empty
  });

  it('refuses what it cannot parse', () => {
    expect(() => parseLabelMatcher('alertname: cpu-high')).toThrow(/expected name="value"/);
    expect(() => parseLabelMatcher('device=~"(unclosed"')).toThrow(/invalid regular expression/);
  });
});

describe('inhibition', () => {
  const rules = [
    {
      sourceMatchers: [parseLabelMatcher('alertname="device-silent"')],
      targetMatchers: [parseLabelMatcher('alertname!="device-silent"')],
      equal: ['device'],
    },
  ];
  const silent = sampleAlert({
    eventId: 's1',
    fingerprint: 'silent-1',
    rule: 'device-silent',
    deviceId: 'site-a/dev-1',
  });
  const cpu = sampleAlert({ eventId: 'c1', fingerprint: 'cpu-1', rule: 'cpu-high', deviceId: 'site-a/dev-1' });
  const otherDevice = sampleAlert({ eventId: 'c2', fingerprint: 'cpu-2', rule: 'cpu-high', deviceId: 'site-a/dev-2' });

  it("mutes a device's other alerts while its device-silent fires, and only that device's", () => {
    const inhibitor = new Inhibitor(rules);
    inhibitor.observe(silent);
    expect(inhibitor.inhibitedBy(silent)).toBeUndefined(); // never itself
    expect(inhibitor.inhibitedBy(cpu)).toEqual({ rule: 0, source: 'silent-1' });
    expect(inhibitor.inhibitedBy(otherDevice)).toBeUndefined();
    inhibitor.observe({ ...silent, eventId: 's2', status: 'RESOLVED', endsAt: silent.startsAt + 1 });
    expect(inhibitor.inhibitedBy(cpu)).toBeUndefined();
    expect(inhibitor.size).toBe(0);
  });

  it('is configured in Alertmanager’s shape, and a matcher that does not parse is located', async () => {
    const config = await parseAlertingConfig(
      [
        ...base,
        'inhibitRules:',
        '  - sourceMatchers: [\'alertname="device-silent"\']',
        '    targetMatchers: [\'alertname!="device-silent"\']',
        '    equal: [device]',
      ].join('\n'),
      'alerting.yaml',
      { env: {}, resolveHost: publicDns },
    );
    expect(config.inhibitRules?.[0]?.equal).toEqual(['device']);
    expect(config.inhibitRules?.[0]?.sourceMatchers[0]?.text).toBe('alertname="device-silent"');
    expect(
      await problems(
        [...base, 'inhibitRules:', '  - sourceMatchers: [alertname ~ x]', '    targetMatchers: [a=b]'].join('\n'),
      ),
    ).toEqual([
      'alerting.yaml:6:22 inhibitRules[0].sourceMatchers[0]: cannot parse matcher "alertname ~ x": expected name="value", name!="value", name=~"regex" or name!~"regex"',
    ]);
  });

  it('says where a group wait is negative', async () => {
    const found = await problems(
      [
        'receivers:',
        '  - name: hooks',
        '    url: https://hooks.example.com/',
        '    group: { by: [site], wait: -5s }',
        'route: { receiver: hooks }',
      ].join('\n'),
    );
    expect(found.join('\n')).toContain('alerting.yaml:4:32 receivers[0].group.wait: expected a duration');
  });
});
