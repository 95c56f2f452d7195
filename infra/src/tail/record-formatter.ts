/**
 * Turns one record of a pipeline topic into what `sensor-pipeline tail` prints: decoded with the shared
 * codecs (alerts and deliveries DLQ as Alert, stats as WindowStats, readings DLQ as SensorReading when the
 * bytes still decode), `dlq.*` headers shown, and undecodable values as hex (human) or base64 (JSON).
 */
import {
  type Alert,
  type AvroCodec,
  alertCodec,
  alertSubject,
  type SensorReading,
  sensorReadingCodec,
  type WindowStats,
  windowStatsCodec,
} from '@sensor-pipeline/shared';

export const TAIL_TOPICS = {
  alerts: { role: 'alerts', schema: 'Alert' },
  stats: { role: 'stats', schema: 'WindowStats' },
  dlq: { role: 'readingsDlq', schema: 'SensorReading' },
  'deliveries-dlq': { role: 'deliveriesDlq', schema: 'Alert' },
} as const;

export type TailTopic = keyof typeof TAIL_TOPICS;

export interface RawRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly timestamp: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, string>>;
}

type Decoded = Alert | WindowStats | SensorReading;

export class RecordFormatter {
  private readonly codec: AvroCodec<Decoded>;

  constructor(readonly kind: TailTopic) {
    const schema = TAIL_TOPICS[kind].schema;
    this.codec = (
      schema === 'Alert' ? alertCodec() : schema === 'WindowStats' ? windowStatsCodec() : sensorReadingCodec()
    ) as AvroCodec<Decoded>;
  }

  /** One JSON line: where it is, its key and headers, the decoded value (or the error and the raw bytes). */
  json(record: RawRecord): string {
    const decoded = this.codec.safeDecode(record.value);
    return JSON.stringify({
      topic: record.topic,
      partition: record.partition,
      offset: record.offset,
      timestamp: Number(record.timestamp),
      key: record.key?.toString('utf8') ?? null,
      ...(Object.keys(record.headers).length > 0 ? { headers: record.headers } : {}),
      ...(decoded.ok
        ? { value: decoded.value }
        : {
            value: null,
            error: { code: decoded.error.code, message: decoded.error.message },
            valueBase64: record.value?.toString('base64') ?? null,
          }),
    });
  }

  /** One human line (two or more for a DLQ record: its headers, then the value). */
  human(record: RawRecord): string {
    const where = `${record.topic}[${record.partition}]@${record.offset}`;
    const time = new Date(Number(record.timestamp)).toISOString();
    const decoded = this.codec.safeDecode(record.value);
    const dlq = Object.entries(record.headers).filter(([k]) => k.startsWith('dlq.'));
    const head = dlq.length > 0 ? `\n  ${dlq.map(([k, v]) => `${k}=${v}`).join('\n  ')}` : '';
    if (!decoded.ok) {
      const hex = record.value
        ? record.value.subarray(0, 256).toString('hex') +
          (record.value.length > 256 ? `… (${record.value.length} bytes)` : '')
        : 'null';
      return `${time} ${where} key=${record.key?.toString('utf8') ?? '-'} undecodable (${decoded.error.code}): ${hex}${head}`;
    }
    return `${time} ${where} ${describe(this.kind, decoded.value)}${head}`;
  }
}

function describe(kind: TailTopic, value: Decoded): string {
  if (kind === 'alerts' || kind === 'deliveries-dlq') {
    const a = value as Alert;
    const when =
      a.status === 'FIRING'
        ? `since ${new Date(a.startsAt).toISOString()}`
        : `${new Date(a.startsAt).toISOString()} → ${a.endsAt === null ? '?' : new Date(a.endsAt).toISOString()}`;
    // a site or fleet alert has no deviceId and metric: `site=site-b` or `fleet` stands in their place
    return `${a.status.padEnd(8)} ${a.severity.padEnd(8)} ${a.rule} ${alertSubject(a).text} ${a.statistic}=${round(a.value)} ${a.condition} ${round(a.threshold)} ${when} — ${a.summary} [${a.eventId}]`;
  }
  if (kind === 'stats') {
    const s = value as WindowStats;
    return `${s.deviceId} ${s.metric} ${s.window} n=${s.count} mean=${round(s.mean)} median=${round(s.median)} min=${round(s.min)} max=${round(s.max)} stddev=${round(s.stddev)} (${new Date(s.windowEnd).toISOString()})`;
  }
  const r = value as SensorReading;
  return `${r.deviceId} ${r.metric}=${r.value} seq=${r.seq} at ${Number.isSafeInteger(r.timestamp) ? new Date(r.timestamp).toISOString() : r.timestamp}`;
}

function round(n: number): string {
  return Number.isFinite(n) ? String(Math.round(n * 100) / 100) : String(n);
}
