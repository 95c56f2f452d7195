/**
 * The body Alertmanager's API accepts (`POST /api/v2/alerts`): a JSON array of postable alerts — labels,
 * annotations, startsAt, endsAt, generatorURL — as Prometheus sends them. A firing alert carries an
 * `endsAt` of `now + 4 × resendInterval` (Prometheus' rule), so Alertmanager keeps it active exactly as long
 * as we keep re-sending it and never resolves it on its own while it holds, yet does resolve it if this
 * service disappears. A resolved alert carries its own `endsAt` (its startsAt is the firing's, so
 * Alertmanager merges the two into one alert and marks it resolved).
 *
 * Labels are the same as the `alertmanager` webhook format's (`alertname`, `severity`, `device`, `metric`
 * and the alert's labels), with names made valid for Alertmanager (`[a-zA-Z_][a-zA-Z0-9_]*`, anything else
 * becomes `_`) and empty values left out (Prometheus' meaning of an empty label). Pure: time is an argument.
 */
import type { Alert } from '@sensor-pipeline/shared';
import { alertmanagerAnnotations, alertmanagerLabels, renderGeneratorURL } from './format-alertmanager.js';
import type { FormatContext } from './payload-format.js';

export interface PostableAlert {
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly startsAt: string;
  readonly endsAt: string;
  readonly generatorURL?: string;
}

/** How far ahead of the send a firing alert's `endsAt` lies, in resend intervals (Prometheus uses 4). */
export const ENDS_AT_RESEND_INTERVALS = 4;

export function postableAlert(
  alert: Alert,
  context: FormatContext,
  nowMs: number,
  resendIntervalMs: number,
): PostableAlert {
  const resolved = alert.status === 'RESOLVED';
  const endsAtMs = resolved ? (alert.endsAt ?? nowMs) : nowMs + ENDS_AT_RESEND_INTERVALS * resendIntervalMs;
  const generatorURL = renderGeneratorURL(context.generatorURL, alert);
  return {
    labels: validLabels(alertmanagerLabels(alert)),
    annotations: alertmanagerAnnotations(alert),
    startsAt: new Date(alert.startsAt).toISOString(),
    // never before startsAt: Alertmanager refuses an alert that ends before it starts
    endsAt: new Date(Math.max(endsAtMs, alert.startsAt)).toISOString(),
    ...(generatorURL ? { generatorURL } : {}),
  };
}

/** The request body for a batch of alerts. */
export function formatPostableAlerts(
  alerts: readonly Alert[],
  context: FormatContext,
  nowMs: number,
  resendIntervalMs: number,
): string {
  return JSON.stringify(alerts.map((a) => postableAlert(a, context, nowMs, resendIntervalMs)));
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function validLabels(labels: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(labels)) {
    if (value === '') continue;
    const valid = LABEL_NAME.test(name) ? name : name.replace(/^[^a-zA-Z_]/, '_').replace(/[^a-zA-Z0-9_]/g, '_');
    out[valid] = value;
  }
  return out;
}
