/** The demo/test sink over HTTP: verifies Standard Webhooks signatures (also ones made by the reference library). */
import { Webhook } from 'standardwebhooks';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import {
  formatAlertmanager,
  formatNative,
  parseWebhookSecrets,
  signWebhook,
  startWebhookSink,
  type WebhookSink,
} from '../src/index.js';
import { sampleAlert } from './alert-fixture.js';
import { newSecret } from './harness.js';

let sink: WebhookSink | undefined;
afterEach(async () => {
  await sink?.close();
  sink = undefined;
});

async function post(url: string, body: string, headers: Record<string, string>): Promise<number> {
  const res = await request(url, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
  await res.body.dump();
  return res.statusCode;
}

describe('webhook sink', () => {
  it('accepts requests signed by the reference library and prints one line each', async () => {
    const secret = newSecret();
    const lines: string[] = [];
    sink = await startWebhookSink({ secrets: secret, print: (l) => lines.push(l) });
    const body = formatNative(sampleAlert());
    const ts = new Date();
    const signature = new Webhook(secret).sign('evt-0001', ts, body);
    const status = await post(`${sink.url}/webhook`, body, {
      'webhook-id': 'evt-0001',
      'webhook-timestamp': String(Math.floor(ts.getTime() / 1_000)),
      'webhook-signature': signature,
    });
    expect(status).toBe(204);
    expect(sink.counts()).toEqual({ accepted: 1, unique: 1, duplicates: 0, rejected: 0 });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('/webhook native FIRING critical cpu-high device=site-a/dev-0042');
    expect(lines[0]).toContain('id=evt-0001 ✓signed');
  });

  it('rejects bad, stale and missing signatures with 401', async () => {
    const secret = newSecret();
    const keys = parseWebhookSecrets(secret);
    sink = await startWebhookSink({ secrets: secret });
    const body = '{"text":"hi"}';
    const now = Math.floor(Date.now() / 1_000);
    const good = signWebhook({ id: 'e1', timestampSeconds: now, body, keys });
    expect(await post(sink.url, `${body} `, good)).toBe(401);
    expect(
      await post(
        sink.url,
        body,
        signWebhook({ id: 'e1', timestampSeconds: now, body, keys: parseWebhookSecrets(newSecret()) }),
      ),
    ).toBe(401);
    expect(await post(sink.url, body, signWebhook({ id: 'e1', timestampSeconds: now - 600, body, keys }))).toBe(401);
    expect(await post(sink.url, body, { 'webhook-id': 'e1' })).toBe(401);
    expect(sink.counts()).toMatchObject({ accepted: 0, rejected: 4 });
    expect(await post(sink.url, body, good)).toBe(204);
    expect(await post(sink.url, body, good)).toBe(204);
    expect(sink.counts()).toEqual({ accepted: 2, unique: 1, duplicates: 1, rejected: 4 });
    expect(sink.requests[1]!.duplicate).toBe(true);
  });

  it('answers /healthz, /readyz and /stats, and 405 for other methods', async () => {
    sink = await startWebhookSink();
    const health = await request(`${sink.url}/healthz`);
    expect(health.statusCode).toBe(200);
    expect(await health.body.json()).toEqual({ status: 'ok' });
    const ready = await request(`${sink.url}/readyz`);
    expect(ready.statusCode).toBe(200);
    expect(await ready.body.json()).toEqual({ status: 'ok' });
    const stats = await request(`${sink.url}/stats`);
    expect(await stats.body.json()).toEqual({ accepted: 0, unique: 0, duplicates: 0, rejected: 0 });
    const put = await request(`${sink.url}/x`, { method: 'PUT', body: '' });
    await put.body.dump();
    expect(put.statusCode).toBe(405);
  });

  it('prints JSON lines when asked', async () => {
    const lines: string[] = [];
    sink = await startWebhookSink({ output: 'json', print: (l) => lines.push(l) });
    expect(
      await post(
        `${sink.url}/am`,
        formatAlertmanager(sampleAlert(), { receiver: 'am', externalURL: '', generatorURL: '' }),
        { 'webhook-id': 'evt-0001' },
      ),
    ).toBe(204);
    const line = JSON.parse(lines[0]!) as { path: string; id: string; format: string; payload: { version: string } };
    expect(line).toMatchObject({ path: '/am', id: 'evt-0001', format: 'alertmanager', payload: { version: '4' } });
  });
});
