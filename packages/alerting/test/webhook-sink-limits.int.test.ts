/**
 * The demo sink under oversized bodies: an endless chunked body is answered 413 while the sender is still
 * sending (the sink stops reading at its limit instead of reading forever), and a declared Content-Length
 * over the limit is refused without reading a byte of the body.
 */
import { request as httpRequest } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { startWebhookSink, type WebhookSink } from '../src/sink/webhook-sink.js';

let sink: WebhookSink | undefined;
afterEach(async () => {
  await sink?.close();
  sink = undefined;
});

interface Outcome {
  readonly status: number | undefined;
  /** Whether the sender had already finished its body when the answer arrived. */
  readonly bodyFinishedFirst: boolean;
  readonly bytesSent: number;
}

/**
 * POSTs a chunked body of `chunkBytes` chunks until the sink answers or `maxBytes` were sent (then ends it).
 * A sink that reads everything before answering only answers after the end.
 */
function postEndless(url: string, maxBytes: number, chunkBytes = 65_536): Promise<Outcome> {
  return new Promise((resolve) => {
    const chunk = Buffer.alloc(chunkBytes, 0x61);
    let bytesSent = 0;
    let ended = false;
    let answered = false;
    let status: number | undefined;
    const done = (): void => resolve({ status, bodyFinishedFirst: ended && status !== undefined, bytesSent });
    const req = httpRequest(`${url}/webhook`, { method: 'POST', headers: { 'content-type': 'application/json' } });
    req.on('response', (res) => {
      status = res.statusCode;
      answered = true;
      if (!ended) {
        // the answer came while the body was still being sent
        resolve({ status, bodyFinishedFirst: false, bytesSent });
      }
      res.resume();
      res.on('close', done);
    });
    req.on('error', () => (answered ? undefined : done()));
    const pump = (): void => {
      while (!answered && bytesSent < maxBytes) {
        bytesSent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      if (!answered) {
        ended = true;
        req.end();
      }
    };
    pump();
  });
}

describe('webhook sink body limit', () => {
  it('answers 413 to an endless chunked body while it is still being sent, having read at most its limit', async () => {
    sink = await startWebhookSink({ maxBodyBytes: 1_048_576 });
    // 512 MiB would take the old sink several seconds to read; it answers only after the end
    const outcome = await postEndless(sink.url, 512 * 1_048_576);
    expect(outcome.status).toBe(413);
    expect(outcome.bodyFinishedFirst).toBe(false);
    expect(sink.counts()).toMatchObject({ accepted: 0, rejected: 1 });
  });

  it('refuses a declared Content-Length over the limit without reading the body', async () => {
    sink = await startWebhookSink({ maxBodyBytes: 1_024 });
    const status = await new Promise<number | undefined>((resolve) => {
      const req = httpRequest(`${sink!.url}/webhook`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': String(10 * 1_048_576) },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode);
      });
      req.on('error', () => resolve(undefined));
      req.write('{"partial":'); // never sends the rest
    });
    expect(status).toBe(413);
    expect(sink.counts().rejected).toBe(1);
  });

  it('still accepts bodies up to the limit, and keeps serving after refusing one', async () => {
    sink = await startWebhookSink({ maxBodyBytes: 4_096 });
    expect((await postEndless(sink.url, 8_192, 1_024)).status).toBe(413);
    const ok = await new Promise<number | undefined>((resolve) => {
      const req = httpRequest(`${sink!.url}/webhook`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode);
      });
      req.on('error', () => resolve(undefined));
      req.end(JSON.stringify({ text: 'x'.repeat(3_000) }));
    });
    expect(ok).toBe(204);
    expect(sink.counts()).toMatchObject({ accepted: 1, rejected: 1 });
  });
});
