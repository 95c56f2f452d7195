/**
 * One line describing a webhook payload of any of our formats (native, alertmanager, slack), for the
 * sink's human output. Pure; unknown shapes are summarised by their size.
 */
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
      return {
        format: 'native',
        status: String(a['status']),
        text: `${String(a['status'])} ${String(a['severity'])} ${String(a['rule'])} device=${String(a['deviceId'])} ${String(a['metric'])} ${String(a['statistic'])}=${String(a['value'])} threshold=${String(a['threshold'])} — ${String(a['summary'])}`,
      };
    }
    if (o['version'] === '4' && Array.isArray(o['alerts'])) {
      const first = (o['alerts'][0] ?? {}) as {
        status?: string;
        labels?: Record<string, string>;
        annotations?: Record<string, string>;
      };
      const labels = first.labels ?? {};
      return {
        format: 'alertmanager',
        status: String(o['status']),
        text: `${String(o['status']).toUpperCase()} ${labels['severity'] ?? '?'} ${labels['alertname'] ?? '?'} device=${labels['device'] ?? '?'} (${o['alerts'].length} alert${o['alerts'].length === 1 ? '' : 's'}, receiver ${String(o['receiver'])}) — ${first.annotations?.['summary'] ?? ''}`,
      };
    }
    if (typeof o['text'] === 'string') {
      return { format: 'slack', text: o['text'].split('\n').join(' | ') };
    }
  }
  return { format: 'unknown', text: `${bytes} bytes` };
}
