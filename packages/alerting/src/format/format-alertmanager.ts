/**
 * The `alertmanager` payload: Prometheus Alertmanager's webhook message, version "4", one alert per
 * message, with the field order and formatting Alertmanager itself produces (Go sorts map keys; times in
 * RFC 3339; `endsAt` is Go's zero time while firing), so tools built for Alertmanager webhooks work
 * unchanged.
 *
 * Labels: the alert's labels, then `alertname` (the rule), `severity`, `device` and `metric`, which win
 * on a clash; a label with an empty value is left out (Prometheus' meaning of an empty label), so a site or
 * fleet alert — no device, no metric — carries no `device=""`, only its group's labels (e.g. `site`).
 * Annotations: `summary`, and the numbers behind the alert as strings. The group is the alert series:
 * `groupLabels` = alertname, device, metric (a group alert: alertname and its group's labels; a fleet alert:
 * alertname); `groupKey` = `{}:{alertname="…", device="…", metric="…"}`.
 */
import { type Alert, alertSubject } from '@sensor-pipeline/shared';
import { GO_ZERO_TIME, goTime } from './go-time.js';
import type { FormatContext } from './payload-format.js';

export interface AlertmanagerAlert {
  readonly status: 'firing' | 'resolved';
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly startsAt: string;
  readonly endsAt: string;
  readonly generatorURL: string;
  readonly fingerprint: string;
}

export interface AlertmanagerMessage {
  readonly receiver: string;
  readonly status: 'firing' | 'resolved';
  readonly alerts: AlertmanagerAlert[];
  readonly groupLabels: Record<string, string>;
  readonly commonLabels: Record<string, string>;
  readonly commonAnnotations: Record<string, string>;
  readonly externalURL: string;
  readonly version: '4';
  readonly groupKey: string;
  readonly truncatedAlerts: number;
}

export function alertmanagerLabels(alert: Alert): Record<string, string> {
  return sortKeys(
    withoutEmpty({
      ...alert.labels,
      alertname: alert.rule,
      severity: alert.severity,
      device: alert.deviceId,
      metric: alert.metric,
    }),
  );
}

/** The labels that name the alert series: alertname plus device and metric, or plus a group's labels. */
export function alertmanagerGroupLabels(alert: Alert): Record<string, string> {
  const subject = alertSubject(alert);
  return sortKeys(
    withoutEmpty({ ...subject.group, alertname: alert.rule, device: alert.deviceId, metric: alert.metric }),
  );
}

export function alertmanagerAnnotations(alert: Alert): Record<string, string> {
  return sortKeys({
    summary: alert.summary,
    value: String(alert.value),
    threshold: String(alert.threshold),
    condition: alert.condition,
    statistic: alert.statistic,
    window: alert.window.spec,
    eventId: alert.eventId,
  });
}

export function alertmanagerMessage(alert: Alert, context: FormatContext): AlertmanagerMessage {
  const status = alert.status === 'RESOLVED' ? 'resolved' : 'firing';
  const labels = alertmanagerLabels(alert);
  const annotations = alertmanagerAnnotations(alert);
  const groupLabels = alertmanagerGroupLabels(alert);
  return {
    receiver: context.receiver,
    status,
    alerts: [
      {
        status,
        labels,
        annotations,
        startsAt: goTime(alert.startsAt),
        endsAt: status === 'resolved' && alert.endsAt !== null ? goTime(alert.endsAt) : GO_ZERO_TIME,
        generatorURL: renderGeneratorURL(context.generatorURL, alert),
        fingerprint: alert.fingerprint,
      },
    ],
    groupLabels,
    commonLabels: labels,
    commonAnnotations: annotations,
    externalURL: context.externalURL,
    version: '4',
    groupKey: `{}:${labelSetString(groupLabels)}`,
    truncatedAlerts: 0,
  };
}

export function formatAlertmanager(alert: Alert, context: FormatContext): string {
  return JSON.stringify(alertmanagerMessage(alert, context));
}

/** Prometheus' `LabelSet.String()`: `{a="1", b="2"}`, sorted, values quoted like Go's %q. */
export function labelSetString(labels: Readonly<Record<string, string>>): string {
  const parts = Object.keys(labels)
    .sort()
    .map((name) => `${name}=${JSON.stringify(labels[name])}`);
  return `{${parts.join(', ')}}`;
}

/** The `links.generatorURL` template filled in for one alert (URL-encoded values); empty without a template. */
export function renderGeneratorURL(template: string, alert: Alert): string {
  if (!template) return '';
  const values: Record<string, string> = {
    rule: alert.rule,
    deviceId: alert.deviceId,
    metric: alert.metric,
    fingerprint: alert.fingerprint,
    eventId: alert.eventId,
  };
  return template.replace(/\{(rule|deviceId|metric|fingerprint|eventId)\}/g, (_m, name: string) =>
    encodeURIComponent(values[name] ?? ''),
  );
}

function withoutEmpty(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== ''));
}

function sortKeys(record: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(record).sort()) out[key] = record[key]!;
  return out;
}
