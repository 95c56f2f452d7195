import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  dlqReasons,
  firingLines,
  MAX_FIRING_LINES,
  plainView,
  statusLines,
  ttyView,
  type ViewState,
} from '../src/launcher/live-view.js';

const state: ViewState = {
  startedAtMs: Date.now() - 65_000,
  bootstrapServers: '127.0.0.1:9092',
  logDir: '.run/logs',
  services: new Map([
    ['sink', 'ready'],
    ['alerting', 'ready'],
    ['processor', 'ready'],
    ['simulator', 'finished'],
  ]),
  snapshot: {
    atMs: 0,
    produced: 12_345,
    processed: 12_300,
    processorDlq: 2,
    alertsFiring: 5,
    alertsResolved: 4,
    firingNow: 1,
    delivered: 9,
    deadLettered: 0,
    retrying: 0,
    lag: { processor: 45, alerting: 0 },
  },
  rates: { producedPerSec: 150, processedPerSec: 149.6 },
  sink: { firing: 5, resolved: 4, duplicates: 1 },
};

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (d: Buffer) => (text += d.toString()));
  return { stream, text: () => text };
}

describe('live view', () => {
  it('shows readings/s, lag, alerts, deliveries and services', () => {
    const lines = statusLines(state);
    expect(lines[0]).toMatch(/150\/s produced \(12,345\) · 150\/s processed \(12,300\) · lag 45 · DLQ 2/);
    expect(lines[1]).toMatch(/5 firing · 4 resolved produced · 1 firing now · alerting lag 0/);
    expect(lines[2]).toMatch(
      /9 delivered · 0 queued · 0 dead-lettered · sink got 5 FIRING \/ 4 RESOLVED \(\+1 duplicates\)/,
    );
    expect(lines[3]).toMatch(/simulator finished/);
    expect(statusLines({ ...state, snapshot: { atMs: 0, lag: {} }, rates: {} })[0]).toMatch(/–\/s produced \(–\)/);
  });

  it('says why readings went to the DLQ, by reason, most first', () => {
    const line = statusLines({
      ...state,
      snapshot: {
        ...state.snapshot!,
        processorDlq: 26_823,
        processorDlqByReason: { READING_LATE_BEYOND_GRACE: 26_820, DECODE_EMPTY: 3 },
      },
    })[0];
    expect(line).toMatch(/DLQ 26,823 \(READING_LATE_BEYOND_GRACE 26,820, DECODE_EMPTY 3\)$/);
    expect(dlqReasons({ A: 1, B: 4, C: 2, D: 3, Z: 0 })).toBe(' (B 4, D 3, C 2, 1 more reasons)');
    expect(dlqReasons({ A: 0 })).toBe('');
    expect(dlqReasons(undefined)).toBe('');
    expect(statusLines(state)[0]).toMatch(/DLQ 2$/); // no reasons known: only the number
  });

  it('lists the alerts firing now under the status, most severe and oldest first, at most a screenful', () => {
    const alert = (deviceId: string, severity: string, startsAt: number) => ({
      site: deviceId.split('/')[0]!,
      severity,
      rule: severity === 'critical' ? 'temperature-high' : 'cpu-high',
      deviceId,
      metric: severity === 'critical' ? 'temperature' : 'cpu',
      condition: 'above',
      value: 91.25,
      threshold: 80,
      startsAt,
    });
    const lines = statusLines({
      ...state,
      firingNow: [alert('site-b/dev-2', 'warning', 1_000), alert('site-a/dev-1', 'critical', 2_000)],
    });
    expect(lines.slice(4)).toEqual([
      'firing now critical temperature-high site-a/dev-1 temperature 91.3 > 80 since 00:00:02 (site-a)',
      '           warning  cpu-high site-b/dev-2 cpu 91.3 > 80 since 00:00:01 (site-b)',
    ]);
    const group = { ...alert('', 'critical', 3_000), rule: 'site-silent', metric: '', condition: 'absent' };
    expect(
      firingLines([
        { ...group, site: 'site-b', subject: 'site=site-b' },
        { ...group, rule: 'fleet-silent', site: 'fleet', subject: 'fleet' },
      ]),
    ).toEqual([
      'firing now critical site-silent site=site-b 91.3 absent 80 since 00:00:03',
      '           critical fleet-silent fleet 91.3 absent 80 since 00:00:03',
    ]);
    expect(statusLines({ ...state, firingNow: [] }).slice(4)).toEqual(['firing now none']);
    expect(statusLines(state)).toHaveLength(4); // the console did not answer: no list
    const many = Array.from({ length: MAX_FIRING_LINES + 3 }, (_, i) => alert(`site-a/dev-${i}`, 'warning', i));
    const manyLines = firingLines(many);
    expect(manyLines).toHaveLength(MAX_FIRING_LINES + 1);
    expect(manyLines.at(-1)).toContain('… and 3 more');
  });

  it('prints plain lines: news at once, the status at most once per interval', () => {
    const out = capture();
    const view = plainView(out.stream, 60_000);
    view.info('starting processor');
    view.status(state);
    view.status(state);
    view.alert({
      path: '/webhook',
      status: 'FIRING',
      rule: 'cpu-high',
      deviceId: 'd1',
      subject: 'd1',
      duplicate: false,
      text: 'FIRING warning cpu-high d1 cpu',
    });
    view.close();
    const lines = out.text().trim().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[3]).toBe(lines[1]!.replace(/^\[[^\]]+\]/, lines[3]!.slice(0, 10)));
    expect(lines[0]).toMatch(/^\[\d\d:\d\d:\d\d\] starting processor$/);
    expect(lines[1]).toMatch(/readings 150\/s produced .* \| alerts .* \| webhooks .* \| services /);
    expect(lines[2]).toMatch(/sink received FIRING warning cpu-high d1 cpu$/);
  });

  it('redraws the status block in place on a terminal, with alerts scrolling above it', () => {
    const out = capture();
    const view = ttyView(Object.assign(out.stream, { columns: 200 }) as unknown as NodeJS.WriteStream);
    view.status(state);
    view.alert({
      path: '/webhook',
      status: 'RESOLVED',
      rule: 'cpu-high',
      deviceId: 'd1',
      subject: 'd1',
      duplicate: false,
      text: 'RESOLVED warning cpu-high d1 cpu',
    });
    view.close();
    const text = out.text();
    expect(text).toContain('\x1b[6F\x1b[0J'); // the six-line block is cleared before the alert line
    expect(text).toMatch(/RESOLVED.*warning cpu-high d1 cpu/);
    expect(text.trimEnd().endsWith(statusLines(state)[3]!)).toBe(true); // the final status stays, without the hint
  });
});
