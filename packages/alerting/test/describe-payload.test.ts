/** The sink's one-line description of a payload, for each format it knows. */
import { describe, expect, it } from 'vitest';
import { describePayload, formatAlertmanager, formatNative, formatSlack } from '../src/index.js';
import { sampleAlert } from './alert-fixture.js';

describe('describePayload', () => {
  it('describes every payload format', () => {
    expect(describePayload(JSON.parse(formatSlack(sampleAlert())), 10).format).toBe('slack');
    expect(
      describePayload(
        JSON.parse(formatAlertmanager(sampleAlert(), { receiver: 'am', externalURL: '', generatorURL: '' })),
        10,
      ).text,
    ).toContain('FIRING critical cpu-high device=site-a/dev-0042');
    expect(describePayload('nope', 4)).toEqual({ format: 'unknown', text: '4 bytes' });
  });
});

describe('describePayload of site and fleet alerts (no deviceId, no metric)', () => {
  const context = { receiver: 'am', externalURL: '', generatorURL: '' };
  const site = sampleAlert({
    rule: 'site-silent',
    deviceId: '',
    metric: '',
    statistic: 'silence',
    condition: 'absent',
    labels: { site: 'site-b' },
  });
  const fleet = sampleAlert({ ...site, rule: 'fleet-silent', labels: {} });

  it('names the site or the fleet where a device would be, with no empty metric', () => {
    expect(describePayload(JSON.parse(formatNative(site)), 10).text).toMatch(
      /^FIRING critical site-silent site=site-b silence=97\.5 /,
    );
    expect(describePayload(JSON.parse(formatNative(fleet)), 10).text).toMatch(
      /^FIRING critical fleet-silent fleet silence=/,
    );
    expect(describePayload(JSON.parse(formatAlertmanager(site, context)), 10).text).toMatch(
      /^FIRING critical site-silent site=site-b \(1 alert/,
    );
    expect(describePayload(JSON.parse(formatAlertmanager(fleet, context)), 10).text).toMatch(
      /^FIRING critical fleet-silent fleet \(1 alert/,
    );
  });
});
