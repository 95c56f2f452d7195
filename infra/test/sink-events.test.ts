import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { LineFollower } from '../src/launcher/line-follower.js';
import { parseSinkLine } from '../src/launcher/sink-events.js';

// lines as `alerting sink` prints them (packages/alerting/src/sink/webhook-sink.ts and describe-payload.ts)
const NATIVE_HUMAN =
  '2025-01-01T00:00:57.000Z /webhook native FIRING critical temperature-high device=site-a/dev-0007 temperature mean=85.2 threshold=80 — site-a/dev-0007 temperature 85.2°C above 80°C (mean over 30s) id=msg_1 ✓signed';
const AM_HUMAN =
  '2025-01-01T00:00:57.000Z /alertmanager alertmanager FIRING critical temperature-high device=site-a/dev-0007 (1 alert, receiver oncall-alertmanager) — site-a/dev-0007 hot id=msg_2 ✓signed';
const RESOLVED_DUP =
  '2025-01-01T00:01:42.000Z /webhook native RESOLVED warning cpu-high device=site-a/dev-0013 cpu mean=70 threshold=90 — cool id=msg_3 ✓signed (duplicate)';

describe('parseSinkLine', () => {
  it('reads the human line of a native payload', () => {
    expect(parseSinkLine(NATIVE_HUMAN)).toMatchObject({
      path: '/webhook',
      status: 'FIRING',
      rule: 'temperature-high',
      deviceId: 'site-a/dev-0007',
      metric: 'temperature',
      duplicate: false,
    });
    expect(parseSinkLine(NATIVE_HUMAN)?.text).not.toMatch(/id=msg_1/);
  });

  it('reads alertmanager lines (no metric) and duplicates', () => {
    const am = parseSinkLine(AM_HUMAN)!;
    expect(am).toMatchObject({
      path: '/alertmanager',
      status: 'FIRING',
      rule: 'temperature-high',
      deviceId: 'site-a/dev-0007',
    });
    expect(am.metric).toBeUndefined();
    expect(parseSinkLine(RESOLVED_DUP)).toMatchObject({
      status: 'RESOLVED',
      rule: 'cpu-high',
      deviceId: 'site-a/dev-0013',
      duplicate: true,
    });
  });

  it('reads the JSON line of a native payload', () => {
    const line = JSON.stringify({
      receivedAt: '2025-01-01T00:00:57.000Z',
      path: '/webhook',
      id: 'msg_1',
      verified: true,
      duplicate: false,
      format: 'native',
      payload: {
        type: 'alert.resolved',
        data: {
          eventId: 'e1',
          status: 'RESOLVED',
          severity: 'warning',
          rule: 'memory-high',
          deviceId: 'site-b/dev-0004',
          metric: 'memory',
          summary: 's',
        },
      },
    });
    expect(parseSinkLine(line)).toMatchObject({
      path: '/webhook',
      status: 'RESOLVED',
      rule: 'memory-high',
      deviceId: 'site-b/dev-0004',
      metric: 'memory',
      eventId: 'e1',
    });
  });

  it('reads site and fleet alerts (no device): their group or the fleet stands where the device would', () => {
    const site = parseSinkLine(
      '2025-01-01T00:01:40.000Z /webhook native FIRING critical site-silent site=site-b silence=30467 threshold=30000 — every device of site site-b sent nothing id=msg_4 ✓signed',
    );
    expect(site).toMatchObject({ status: 'FIRING', rule: 'site-silent', deviceId: '', subject: 'site=site-b' });
    expect(site?.metric).toBeUndefined();
    expect(site?.text).toBe(
      'FIRING critical site-silent site=site-b silence=30467 threshold=30000 — every device of site site-b sent nothing',
    );
    const fleet = parseSinkLine(
      '2025-01-01T00:01:40.000Z /alertmanager alertmanager RESOLVED critical fleet-silent fleet (1 alert, receiver am) — back id=msg_5 ✓signed',
    );
    expect(fleet).toMatchObject({ status: 'RESOLVED', rule: 'fleet-silent', deviceId: '', subject: 'fleet' });
    expect(fleet?.text).toBe('RESOLVED critical fleet-silent fleet (1 alert, receiver am) — back');
    const json = (data: Record<string, unknown>) =>
      parseSinkLine(JSON.stringify({ path: '/webhook', duplicate: false, payload: { type: 'x', data } }));
    const base = { status: 'FIRING', severity: 'critical', deviceId: '', metric: '', summary: 's' };
    expect(json({ ...base, rule: 'site-silent', labels: { site: 'site-b' } })).toMatchObject({
      subject: 'site=site-b',
      text: 'FIRING critical site-silent site=site-b — s',
    });
    expect(json({ ...base, rule: 'fleet-silent', labels: {} })?.text).toBe('FIRING critical fleet-silent fleet — s');
    const am = parseSinkLine(
      JSON.stringify({
        path: '/alertmanager',
        payload: {
          status: 'firing',
          alerts: [{ labels: { alertname: 'site-silent', severity: 'critical', site: 'b' } }],
        },
      }),
    );
    expect(am).toMatchObject({ deviceId: '', subject: 'site=b', text: 'FIRING critical site-silent site=b — ' });
  });

  it('ignores log lines, rejections and noise', () => {
    expect(parseSinkLine('{"level":"info","service":"alerting-sink","msg":"webhook sink listening"}')).toBeUndefined();
    expect(parseSinkLine('REJECTED /webhook bad signature webhook-id=x')).toBeUndefined();
    expect(
      parseSinkLine(
        'webhook sink on http://127.0.0.1:9000 (POST any path; GET /healthz, /stats), verifying signatures',
      ),
    ).toBeUndefined();
    expect(parseSinkLine('{not json')).toBeUndefined();
    expect(parseSinkLine('')).toBeUndefined();
  });
});

describe('LineFollower', () => {
  it('hands over complete lines as the file grows, never half a character', () => {
    const dir = mkdtempSync(join(tmpdir(), 'line-follower-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'sink.log');
    writeFileSync(file, 'old line\n');
    const follower = new LineFollower(file);
    expect(follower.poll()).toEqual([]);
    const text = Buffer.from('first °C\nsecond °C\n');
    const cut = text.indexOf(Buffer.from('°')) + 1; // in the middle of a two-byte character
    appendFileSync(file, text.subarray(0, cut));
    expect(follower.poll()).toEqual([]);
    appendFileSync(file, text.subarray(cut));
    expect(follower.poll()).toEqual(['first °C', 'second °C']);
    expect(new LineFollower(file, { fromStart: true }).poll()).toEqual(['old line', 'first °C', 'second °C']);
  });
});
