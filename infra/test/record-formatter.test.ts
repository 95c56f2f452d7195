import { type Alert, alertCodec, DLQ_HEADERS, sensorReadingCodec, windowStatsCodec } from '@sensor-pipeline/shared';
import { describe, expect, it } from 'vitest';
import { type RawRecord, RecordFormatter } from '../src/tail/record-formatter.js';

const alert: Alert = {
  eventId: 'e-1',
  fingerprint: 'fp',
  status: 'RESOLVED',
  rule: 'cpu-high',
  severity: 'warning',
  deviceId: 'site-a/dev-0013',
  metric: 'cpu',
  statistic: 'mean',
  condition: 'above',
  value: 78.3333,
  threshold: 90,
  startsAt: 1_735_689_657_000,
  endsAt: 1_735_689_698_000,
  window: { spec: 'time:30s', start: 1, end: 2, count: 30, mean: 78.3, median: 78, min: 70, max: 99 },
  labels: { region: 'eu-west' },
  summary: 'CPU back to normal',
};

const record = (value: Buffer | null, headers: Record<string, string> = {}): RawRecord => ({
  topic: 't',
  partition: 2,
  offset: '41',
  timestamp: '1735689698000',
  key: Buffer.from('site-a/dev-0013'),
  value,
  headers,
});

describe('tail record formatting', () => {
  it('decodes alerts into one human line and into JSON', () => {
    const f = new RecordFormatter('alerts');
    const r = record(alertCodec().encode(alert));
    expect(f.human(r)).toBe(
      '2025-01-01T00:01:38.000Z t[2]@41 RESOLVED warning  cpu-high site-a/dev-0013 cpu mean=78.33 above 90 2025-01-01T00:00:57.000Z → 2025-01-01T00:01:38.000Z — CPU back to normal [e-1]',
    );
    expect(JSON.parse(f.json(r))).toEqual({
      topic: 't',
      partition: 2,
      offset: '41',
      timestamp: 1_735_689_698_000,
      key: 'site-a/dev-0013',
      value: alert,
    });
  });

  it('names a site or fleet alert (no deviceId, no metric) by its group or as the fleet', () => {
    const f = new RecordFormatter('alerts');
    const absent = { ...alert, status: 'FIRING' as const, endsAt: null, statistic: 'silence', condition: 'absent' };
    const site = { ...absent, rule: 'site-silent', deviceId: '', metric: '', labels: { site: 'site-b' } };
    expect(f.human(record(alertCodec().encode(site)))).toContain(
      ' site-silent site=site-b silence=78.33 absent 90 since ',
    );
    const fleet = { ...site, rule: 'fleet-silent', labels: {} };
    expect(f.human(record(alertCodec().encode(fleet)))).toContain(' fleet-silent fleet silence=78.33 absent 90 since ');
  });

  it('decodes window stats', () => {
    const stats = {
      deviceId: 'd',
      metric: 'temperature',
      window: 'time:30s',
      windowStart: 0,
      windowEnd: 30_000,
      count: 30,
      mean: 41.5,
      median: 41,
      min: 40,
      max: 43.25,
      stddev: 0.5,
    };
    expect(new RecordFormatter('stats').human(record(windowStatsCodec().encode(stats)))).toMatch(
      /d temperature time:30s n=30 mean=41\.5 median=41 min=40 max=43\.25 stddev=0\.5/,
    );
  });

  it("shows a DLQ record's headers and its bytes, decoded when they still decode", () => {
    const headers = {
      [DLQ_HEADERS.errorCode]: 'DECODE_BAD_MAGIC',
      [DLQ_HEADERS.sourceTopic]: 'sensor.readings',
      other: 'x',
    };
    const f = new RecordFormatter('dlq');
    const bad = f.human(record(Buffer.from('deadbeefdeadbeefdead', 'hex'), headers));
    expect(bad).toMatch(/undecodable \(DECODE_BAD_MAGIC\): deadbeefdeadbeefdead\n/);
    expect(bad).toContain('\n  dlq.error.code=DECODE_BAD_MAGIC\n  dlq.source.topic=sensor.readings');
    expect(bad).not.toContain('other=x');
    const json = JSON.parse(f.json(record(Buffer.from([0xde, 0xad]), headers))) as Record<string, unknown>;
    expect(json).toMatchObject({ value: null, valueBase64: '3q0=', headers, error: { code: 'DECODE_TRUNCATED' } });
    const reading = {
      deviceId: 'd',
      metric: 'cpu' as const,
      value: Number.NaN,
      timestamp: 1_735_689_600_000,
      seq: 3,
      labels: {},
    };
    expect(f.human(record(sensorReadingCodec().encode(reading), headers))).toMatch(
      /d cpu=NaN seq=3 at 2025-01-01T00:00:00\.000Z/,
    );
  });

  it('decodes the deliveries DLQ as alerts', () => {
    expect(
      new RecordFormatter('deliveries-dlq').human(
        record(alertCodec().encode(alert), { [DLQ_HEADERS.errorMessage]: '503 after 8 attempts' }),
      ),
    ).toMatch(/RESOLVED .*cpu-high[\s\S]*dlq\.error\.message=503 after 8 attempts/);
  });
});
