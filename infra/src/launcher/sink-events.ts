/**
 * Reads the demo sink's output: one line per webhook it accepted, either its human line
 * (`<time> <path> native FIRING critical temperature-high device=site-a/dev-0007 ...`; a site or fleet alert has
 * `site=site-b` or `fleet` where `device=` would be) or its JSON line
 * (`{"receivedAt":...,"payload":{"type":"alert.firing","data":{...Alert}}}`). The launcher shows these as
 * they arrive and counts FIRING/RESOLVED; the launcher test waits on them. Pino log lines and anything
 * else are not events. Pure.
 */
import { alertSubject } from '@sensor-pipeline/shared';

export interface SinkEvent {
  /** The path it was posted to: one per receiver pointing at the sink (e.g. /webhook, /alertmanager). */
  readonly path: string;
  readonly status: 'FIRING' | 'RESOLVED';
  readonly rule: string;
  /** Empty for a site or fleet alert. */
  readonly deviceId: string;
  readonly metric?: string;
  /** What the alert is about: the deviceId, the group's labels (`site=site-b`) or `fleet`. */
  readonly subject: string;
  readonly eventId?: string;
  readonly duplicate: boolean;
  /** A one-line description for the terminal. */
  readonly text: string;
}

const HUMAN =
  /^(\S+) (\S+) (native|alertmanager|slack|unknown) (FIRING|RESOLVED) (\S+) (\S+) (device=\S+|fleet|[^\s=]+=\S+)(?: ([^\s=(—]+)(?= |$))?(.*)$/;

export function parseSinkLine(line: string): SinkEvent | undefined {
  const trimmed = line.trim();
  if (trimmed.startsWith('{')) return parseJsonLine(trimmed);
  const m = HUMAN.exec(trimmed);
  if (!m) return undefined;
  const [, , path, , status, severity, rule, who, metric, rest] = m;
  const deviceId = who!.startsWith('device=') ? who!.slice('device='.length) : '';
  const subject = deviceId || who!;
  return {
    path: path!,
    status: status as 'FIRING' | 'RESOLVED',
    rule: rule!,
    deviceId,
    ...(metric ? { metric } : {}),
    subject,
    duplicate: /\(duplicate\)\s*$/.test(trimmed),
    text: roundNumbers(
      `${status} ${severity} ${rule} ${subject}${metric ? ` ${metric}` : ''}${rest ?? ''}`.replace(/ id=\S+.*$/, ''),
    ),
  };
}

/** `mean=95.14366666666666` → `mean=95.14`: the terminal needs two decimals, the payload keeps them all. */
function roundNumbers(text: string): string {
  return text.replace(/=(-?\d+\.\d{3,})\b/g, (_, n: string) => `=${Math.round(Number(n) * 100) / 100}`);
}

function parseJsonLine(text: string): SinkEvent | undefined {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const payload = o['payload'];
  if (!payload || typeof payload !== 'object') return undefined;
  const p = payload as Record<string, unknown>;
  const duplicate = o['duplicate'] === true;
  const path = typeof o['path'] === 'string' ? o['path'] : '/';
  // native format: { type, data: Alert }
  const data = p['data'];
  if (data && typeof data === 'object') {
    const a = data as Record<string, unknown>;
    if (a['status'] !== 'FIRING' && a['status'] !== 'RESOLVED') return undefined;
    const deviceId = String(a['deviceId'] ?? '');
    const metric = String(a['metric'] ?? '');
    const subject = subjectOf(deviceId, metric, a['labels']);
    return {
      path,
      status: a['status'],
      rule: String(a['rule']),
      deviceId,
      ...(metric ? { metric } : {}),
      subject: deviceId || subject,
      ...(typeof a['eventId'] === 'string' ? { eventId: a['eventId'] } : {}),
      duplicate,
      text: `${a['status']} ${String(a['severity'])} ${String(a['rule'])} ${subject} — ${String(a['summary'])}`,
    };
  }
  // alertmanager format: { status: firing|resolved, alerts: [{ labels: { alertname, device, metric } }] }
  if (Array.isArray(p['alerts']) && typeof p['status'] === 'string') {
    const first = (p['alerts'][0] ?? {}) as { labels?: Record<string, string>; annotations?: Record<string, string> };
    const labels = first.labels ?? {};
    const status = p['status'].toUpperCase();
    if (status !== 'FIRING' && status !== 'RESOLVED') return undefined;
    const deviceId = labels['device'] ?? labels['deviceId'] ?? '';
    const subject = subjectOf(deviceId, '', labels);
    return {
      path,
      status,
      rule: labels['alertname'] ?? '?',
      deviceId,
      ...(labels['metric'] ? { metric: labels['metric'] } : {}),
      subject,
      duplicate,
      text: `${status} ${labels['severity'] ?? '?'} ${labels['alertname'] ?? '?'} ${subject} — ${first.annotations?.['summary'] ?? ''}`,
    };
  }
  return undefined;
}

/** `site-a/dev-1 cpu` (with the metric when there is one), `site=site-b` or `fleet`. */
function subjectOf(deviceId: string, metric: string, labels: unknown): string {
  const record: Record<string, string> = {};
  if (labels && typeof labels === 'object')
    for (const [k, v] of Object.entries(labels)) if (typeof v === 'string') record[k] = v;
  return alertSubject({ deviceId, metric, labels: record }).text;
}
