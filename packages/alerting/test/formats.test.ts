import { describe, expect, it } from 'vitest';
import {
  type FormatContext,
  formatAlertmanager,
  formatNative,
  formatPayload,
  formatSlack,
  goTime,
  labelSetString,
} from '../src/index.js';
import { STARTS_AT, sampleAlert } from './alert-fixture.js';

const context: FormatContext = {
  receiver: 'oncall',
  externalURL: 'http://alerting.example:9103',
  generatorURL: 'https://grafana.example/d/x?var-device={deviceId}&rule={rule}',
};

describe('native format', () => {
  it('is the alert as JSON in the Standard Webhooks envelope, byte for byte', () => {
    expect(formatNative(sampleAlert())).toBe(
      '{"type":"sensor.alert.firing","timestamp":"2025-01-15T10:30:00.250Z","data":{"eventId":"evt-0001","fingerprint":"fp-cpu-high-dev-0042","status":"FIRING","rule":"cpu-high","severity":"critical","deviceId":"site-a/dev-0042","metric":"cpu","statistic":"mean","condition":"above","value":97.5,"threshold":90,"startsAt":1736937000250,"endsAt":null,"window":{"spec":"time:60s","start":1736936940250,"end":1736937000250,"count":60,"mean":97.5,"median":98,"min":91,"max":100},"labels":{"site":"a","model":"x1"},"summary":"CPU pegged on site-a/dev-0042"}}',
    );
  });

  it('uses endsAt as the event time of a resolved alert', () => {
    const body = JSON.parse(formatNative(sampleAlert({ status: 'RESOLVED', endsAt: STARTS_AT + 90_000 }))) as {
      type: string;
      timestamp: string;
      data: { endsAt: number };
    };
    expect(body.type).toBe('sensor.alert.resolved');
    expect(body.timestamp).toBe('2025-01-15T10:31:30.250Z');
    expect(body.data.endsAt).toBe(STARTS_AT + 90_000);
  });
});

describe('alertmanager format', () => {
  it('is the Alertmanager webhook message v4, in Alertmanager field order, byte for byte', () => {
    expect(formatAlertmanager(sampleAlert(), context)).toBe(
      '{"receiver":"oncall","status":"firing","alerts":[{"status":"firing","labels":{"alertname":"cpu-high","device":"site-a/dev-0042","metric":"cpu","model":"x1","severity":"critical","site":"a"},"annotations":{"condition":"above","eventId":"evt-0001","statistic":"mean","summary":"CPU pegged on site-a/dev-0042","threshold":"90","value":"97.5","window":"time:60s"},"startsAt":"2025-01-15T10:30:00.25Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"https://grafana.example/d/x?var-device=site-a%2Fdev-0042&rule=cpu-high","fingerprint":"fp-cpu-high-dev-0042"}],"groupLabels":{"alertname":"cpu-high","device":"site-a/dev-0042","metric":"cpu"},"commonLabels":{"alertname":"cpu-high","device":"site-a/dev-0042","metric":"cpu","model":"x1","severity":"critical","site":"a"},"commonAnnotations":{"condition":"above","eventId":"evt-0001","statistic":"mean","summary":"CPU pegged on site-a/dev-0042","threshold":"90","value":"97.5","window":"time:60s"},"externalURL":"http://alerting.example:9103","version":"4","groupKey":"{}:{alertname=\\"cpu-high\\", device=\\"site-a/dev-0042\\", metric=\\"cpu\\"}","truncatedAlerts":0}',
    );
  });

  it('resolved: status resolved and a real endsAt; our labels win over alert labels', () => {
    const msg = JSON.parse(
      formatAlertmanager(
        sampleAlert({ status: 'RESOLVED', endsAt: STARTS_AT + 90_000, labels: { alertname: 'spoofed', zone: 'z1' } }),
        { ...context, generatorURL: '' },
      ),
    ) as {
      status: string;
      alerts: { status: string; endsAt: string; labels: Record<string, string>; generatorURL: string }[];
    };
    expect(msg.status).toBe('resolved');
    expect(msg.alerts[0]).toMatchObject({ status: 'resolved', endsAt: '2025-01-15T10:31:30.25Z', generatorURL: '' });
    expect(msg.alerts[0]!.labels).toEqual({
      alertname: 'cpu-high',
      device: 'site-a/dev-0042',
      metric: 'cpu',
      severity: 'critical',
      zone: 'z1',
    });
  });

  it('renders label sets like Prometheus', () => {
    expect(labelSetString({ b: 'x"y', a: '1' })).toBe('{a="1", b="x\\"y"}');
  });
});

describe('slack format', () => {
  it('is {"text": ...} in mrkdwn, byte for byte', () => {
    expect(formatSlack(sampleAlert())).toBe(
      '{"text":":rotating_light: *[FIRING] cpu-high* (critical) on `site-a/dev-0042`\\ncpu mean is 97.5 (above 90) over time:60s\\nCPU pegged on site-a/dev-0042"}',
    );
  });

  it('escapes &, < and >; describes absence in seconds; resolved gets a check mark', () => {
    const text = (
      JSON.parse(
        formatSlack(
          sampleAlert({
            status: 'RESOLVED',
            condition: 'absent',
            statistic: 'silence',
            value: 125_000,
            threshold: 60_000,
            summary: 'a < b & c > d',
          }),
        ),
      ) as { text: string }
    ).text;
    expect(text).toBe(
      ':white_check_mark: *[RESOLVED] cpu-high* (critical) on `site-a/dev-0042`\ncpu silent for 125s (threshold 60s)\na &lt; b &amp; c &gt; d',
    );
  });
});

describe('formatPayload and goTime', () => {
  it('dispatches on the format', () => {
    expect(formatPayload('native', sampleAlert(), context)).toBe(formatNative(sampleAlert()));
    expect(formatPayload('alertmanager', sampleAlert(), context)).toBe(formatAlertmanager(sampleAlert(), context));
    expect(formatPayload('slack', sampleAlert(), context)).toBe(formatSlack(sampleAlert()));
  });

  it('formats times like Go (trailing fractional zeros trimmed)', () => {
    expect(goTime(Date.UTC(2024, 4, 1, 12))).toBe('2024-05-01T12:00:00Z');
    expect(goTime(Date.UTC(2024, 4, 1, 12, 0, 0, 100))).toBe('2024-05-01T12:00:00.1Z');
    expect(goTime(Date.UTC(2024, 4, 1, 12, 0, 0, 123))).toBe('2024-05-01T12:00:00.123Z');
  });
});

describe('site and fleet alerts (empty deviceId and metric)', () => {
  const site = sampleAlert({
    rule: 'site-silent',
    fingerprint: 'fp-site-silent-b',
    deviceId: '',
    metric: '',
    statistic: 'silence',
    condition: 'absent',
    value: 30_500,
    threshold: 30_000,
    labels: { site: 'site-b' },
    summary: 'every device of site site-b sent nothing',
  });
  const fleet = sampleAlert({ ...site, rule: 'fleet-silent', labels: {}, summary: 'no device sent anything' });
  type Message = {
    alerts: { labels: Record<string, string> }[];
    groupLabels: Record<string, string>;
    commonLabels: Record<string, string>;
    groupKey: string;
  };

  it('alertmanager: no empty device or metric label; the series is the rule and the group labels', () => {
    const s = JSON.parse(formatAlertmanager(site, context)) as Message;
    expect(s.alerts[0]!.labels).toEqual({ alertname: 'site-silent', severity: 'critical', site: 'site-b' });
    expect(s.commonLabels).toEqual(s.alerts[0]!.labels);
    expect(s.groupLabels).toEqual({ alertname: 'site-silent', site: 'site-b' });
    expect(s.groupKey).toBe('{}:{alertname="site-silent", site="site-b"}');
    const f = JSON.parse(formatAlertmanager(fleet, context)) as Message;
    expect(f.alerts[0]!.labels).toEqual({ alertname: 'fleet-silent', severity: 'critical' });
    expect(f.groupLabels).toEqual({ alertname: 'fleet-silent' });
    expect(f.groupKey).toBe('{}:{alertname="fleet-silent"}');
  });

  it('slack: names the site or the fleet, not an empty device, and no empty metric', () => {
    const text = (alert: typeof site) => (JSON.parse(formatSlack(alert)) as { text: string }).text;
    expect(text(site)).toBe(
      ':rotating_light: *[FIRING] site-silent* (critical) on `site=site-b`\nsilent for 30.5s (threshold 30s)\nevery device of site site-b sent nothing',
    );
    expect(text(fleet).split('\n')[0]).toBe(':rotating_light: *[FIRING] fleet-silent* (critical) across the fleet');
    expect(text({ ...site, deviceId: 'site-a/dev-1', labels: {} }).split('\n')[0]).toMatch(/on `site-a\/dev-1`$/);
  });
});
