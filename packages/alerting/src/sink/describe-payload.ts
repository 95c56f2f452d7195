/**
 * One line describing a webhook payload of any of our formats (native, alertmanager, slack), for the
 * sink's human output. Pure; unknown shapes are summarised by their size. What the alert is about comes
 * right after the rule: `device=<id>` (then the metric, if any), a group's labels (`site=site-b`) or `fleet`.
 */
import { alertSubject } from '@sensor-pipeline/shared';

export interface PayloadSummary {
  readonly format: 'native' | 'alertmanager' | 'slack' | 'unknown';
  readonly status?: string;
  readonly text: string;
}

export function describePayload(json: unknown, bytes: number): PayloadSummary {
  if (json && typeof json === 'object') {
    const o = json as Record<string, unknown>;
    if (o['data'] && typeof o['data'] === 'object' && typeof o['type'] === 'string') {
      const a = o['data'] as Record<string, unknown>;
      const subject = subjectText(String(a['deviceId'] ?? ''), String(a['metric'] ?? ''), stringRecord(a['labels']));
      return {
        format: 'native',
        status: String(a['status']),
        text: `${String(a['status'])} ${String(a['severity'])} ${String(a['rule'])} ${subject} ${String(a['statistic'])}=${String(a['value'])} threshold=${String(a['threshold'])} — ${String(a['summary'])}`,
      };
    }
    if (o['version'] === '4' && Array.isArray(o['alerts'])) {
      const first = (o['alerts'][0] ?? {}) as {
        status?: string;
        labels?: Record<string, string>;
        annotations?: Record<string, string>;
      };
      const labels = first.labels ?? {};
      const subject = subjectText(labels['device'] ?? '', '', labels);
      return {
        format: 'alertmanager',
        status: String(o['status']),
        text: `${String(o['status']).toUpperCase()} ${labels['severity'] ?? '?'} ${labels['alertname'] ?? '?'} ${subject} (${o['alerts'].length} alert${o['alerts'].length === 1 ? '' : 's'}, receiver ${String(o['receiver'])}) — ${first.annotations?.['summary'] ?? ''}`,
      };
    }
    if (typeof o['text'] === 'string') {
      return { format: 'slack', text: o['text'].split('\n').join(' | ') };
    }
  }
  return { format: 'unknown', text: `${bytes} bytes` };
}

/** `device=site-a/dev-1 cpu`, `device=site-a/dev-1`, `site=site-b` or `fleet`. */
function subjectText(deviceId: string, metric: string, labels: Readonly<Record<string, string>>): string {
  const subject = alertSubject({ deviceId, metric, labels });
  return subject.scope === 'sensor' || subject.scope === 'device' ? `device=${subject.text}` : subject.text;
}

function stringRecord(value: unknown): Record<string, string> {
  if (!value || typeof value !== 'object') return {};
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, String(v)]));
}
