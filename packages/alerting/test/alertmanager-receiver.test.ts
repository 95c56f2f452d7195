import { ConfigError } from '@sensor-pipeline/shared';
import { describe, expect, it } from 'vitest';
import { loadAlertingConfig, parseAlertingConfig } from '../src/config/load-alerting-config.js';
import { alertmanagerAlertsUrl } from '../src/config/receiver-kind.js';
import { formatPostableAlerts, postableAlert } from '../src/format/postable-alerts.js';
import { STARTS_AT, sampleAlert } from './alert-fixture.js';

const context = { receiver: 'am', externalURL: '', generatorURL: 'https://grafana.example/d?rule={rule}' };
const publicDns = async (): Promise<string[]> => ['93.184.216.34'];

async function problems(yaml: string): Promise<string[]> {
  try {
    await parseAlertingConfig(yaml, 'alerting.yaml', { env: {}, resolveHost: publicDns });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues.map((i) => `${i.file}:${i.line}:${i.column} ${i.field}: ${i.message}`);
  }
  throw new Error('expected a ConfigError');
}

describe('postable alerts (Alertmanager API body)', () => {
  it('sends a firing alert with endsAt four resend intervals after the send', () => {
    const now = STARTS_AT + 5_000;
    expect(postableAlert(sampleAlert(), context, now, 60_000)).toEqual({
      labels: {
        alertname: 'cpu-high',
        device: 'site-a/dev-0042',
        metric: 'cpu',
        model: 'x1',
        severity: 'critical',
        site: 'a',
      },
      annotations: {
        condition: 'above',
        eventId: 'evt-0001',
        statistic: 'mean',
        summary: 'CPU pegged on site-a/dev-0042',
        threshold: '90',
        value: '97.5',
        window: 'time:60s',
      },
      startsAt: '2025-01-15T10:30:00.250Z',
      endsAt: '2025-01-15T10:34:05.250Z',
      generatorURL: 'https://grafana.example/d?rule=cpu-high',
    });
  });

  it('sends a resolved alert with its own endsAt and the firing startsAt', () => {
    const resolved = sampleAlert({ status: 'RESOLVED', eventId: 'evt-2', endsAt: STARTS_AT + 90_000 });
    const body = postableAlert(resolved, { ...context, generatorURL: '' }, STARTS_AT + 3_600_000, 60_000);
    expect(body.startsAt).toBe('2025-01-15T10:30:00.250Z');
    expect(body.endsAt).toBe('2025-01-15T10:31:30.250Z');
    expect(body).not.toHaveProperty('generatorURL');
  });

  it('makes label names valid for Alertmanager and leaves empty values out', () => {
    const alert = sampleAlert({ labels: { 'rack-id': 'r1', '9zone': 'z', empty: '' } });
    expect(postableAlert(alert, context, STARTS_AT, 1_000).labels).toMatchObject({ rack_id: 'r1', _zone: 'z' });
    expect(postableAlert(alert, context, STARTS_AT, 1_000).labels).not.toHaveProperty('empty');
  });

  it('is a JSON array, one element per alert', () => {
    const body = JSON.parse(
      formatPostableAlerts([sampleAlert(), sampleAlert({ eventId: 'x' })], context, STARTS_AT, 1_000),
    );
    expect(body).toHaveLength(2);
  });

  it('posts to each Alertmanager API, keeping a path prefix', () => {
    expect(alertmanagerAlertsUrl('http://am:9093')).toBe('http://am:9093/api/v2/alerts');
    expect(alertmanagerAlertsUrl('https://ops.example/alertmanager/')).toBe(
      'https://ops.example/alertmanager/api/v2/alerts',
    );
  });
});

describe('alertmanager receiver config', () => {
  it('takes an HA pair under urls, one target each, with a one-minute resend interval by default', async () => {
    const config = await parseAlertingConfig(
      [
        'receivers:',
        '  - name: am',
        '    type: alertmanager',
        '    urls: [https://am-1.example:9093, https://am-2.example:9093]',
        'route: { receiver: am }',
      ].join('\n'),
      'alerting.yaml',
      { env: {}, resolveHost: publicDns },
    );
    expect(config.receivers[0]).toMatchObject({
      type: 'alertmanager',
      url: 'https://am-1.example:9093/api/v2/alerts',
      targets: ['https://am-1.example:9093/api/v2/alerts', 'https://am-2.example:9093/api/v2/alerts'],
      resendIntervalMs: 60_000,
    });
  });

  it('says where a receiver lacks its URL or mixes the fields', async () => {
    expect(
      await problems(['receivers:', '  - name: hooks', '    format: native', 'route: { receiver: hooks }'].join('\n')),
    ).toEqual([
      'alerting.yaml:2:5 receivers[0].url: expected the receiver URL, e.g. url: https://hooks.example.com/alerts',
    ]);
    const mixed = await problems(
      [
        'receivers:',
        '  - name: am',
        '    type: alertmanager',
        '    url: https://am.example',
        '    urls: [https://am-2.example]',
        'route: { receiver: am }',
      ].join('\n'),
    );
    expect(mixed.join('\n')).toContain('alerting.yaml:5:11 receivers[0].urls: set either url');
    const negative = await problems(
      [
        'receivers:',
        '  - name: am',
        '    type: alertmanager',
        '    url: https://am.example',
        '    resendInterval: -1m',
        'route: { receiver: am }',
      ].join('\n'),
    );
    expect(negative.join('\n')).toContain('alerting.yaml:5:21 receivers[0].resendInterval: expected a duration');
  });

  it('refuses a private Alertmanager address unless the receiver allows it', async () => {
    const found = await problems(
      [
        'receivers:',
        '  - name: am',
        '    type: alertmanager',
        '    urls: [http://10.0.0.9:9093]',
        'route: { receiver: am }',
      ].join('\n'),
    );
    expect(found).toEqual([
      'alerting.yaml:4:12 receivers[0].urls[0]: host 10.0.0.9 is a private address: refused to prevent SSRF; set allowPrivateNetwork: true on this receiver if it really targets an internal service',
    ]);
  });
});

describe('config/alerting.alertmanager.yaml', () => {
  it('loads, with both Alertmanagers of the pair as targets', async () => {
    const config = await loadAlertingConfig(
      new URL('../../../config/alerting.alertmanager.yaml', import.meta.url).pathname,
      { env: { FACILITIES_WEBHOOK_SECRET: `whsec_${Buffer.alloc(32, 7).toString('base64')}` }, resolveHost: publicDns },
    );
    expect(config.receivers.map((r) => [r.name, r.type, r.targets])).toEqual([
      [
        'alertmanager',
        'alertmanager',
        [
          'http://alertmanager-1.monitoring.svc:9093/api/v2/alerts',
          'http://alertmanager-2.monitoring.svc:9093/api/v2/alerts',
        ],
      ],
      ['facilities', 'webhook', ['https://facilities.example.com/hooks/sensors']],
    ]);
    expect(config.receivers[1]!.group).toEqual({
      by: ['alertname', 'site'],
      waitMs: 30_000,
      intervalMs: 300_000,
      repeatMs: 14_400_000,
      maxAlerts: 100,
    });
  });
});

describe('alertmanager firing set', () => {
  it('follows FIRING and RESOLVED, and forgets the alerts of revoked partitions', async () => {
    const { releaseFiring, trackFiring } = await import('../src/stages/resend-stage.js');
    const target = { config: { type: 'alertmanager' }, firing: new Map() } as never as Parameters<
      typeof trackFiring
    >[0];
    trackFiring(target, sampleAlert({ fingerprint: 'a' }), 0);
    trackFiring(target, sampleAlert({ fingerprint: 'b' }), 1);
    trackFiring(target, sampleAlert({ fingerprint: 'c' }), 1);
    trackFiring(target, sampleAlert({ fingerprint: 'c', status: 'RESOLVED', endsAt: STARTS_AT + 1 }), 1);
    expect([...target.firing.keys()]).toEqual(['a', 'b']);
    releaseFiring(target, [1]);
    expect([...target.firing.keys()]).toEqual(['a']);
  });
});

describe('postableAlert of a site alert', () => {
  it('sends no empty device or metric label, only the group labels', () => {
    const site = sampleAlert({ rule: 'site-silent', deviceId: '', metric: '', labels: { site: 'site-b' } });
    expect(
      postableAlert(site, { receiver: 'am', externalURL: '', generatorURL: '' }, STARTS_AT, 60_000).labels,
    ).toEqual({
      alertname: 'site-silent',
      severity: 'critical',
      site: 'site-b',
    });
  });
});
