/**
 * The delivery pipeline over real HTTP (receivers are servers on 127.0.0.1), without Kafka: routing and
 * fan-out, exact bodies, signatures checked with the reference library, retries, the DLQ, isolation,
 * dedup, backpressure and the send-time SSRF guard. Nothing here is judged by a stopwatch: retry delays are
 * read from the pipeline's own log of its decisions, waits poll for the condition itself.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger, type Logger } from '@sensor-pipeline/shared';
import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it } from 'vitest';
import { DeliveryPipeline, formatPayload, type SinkRequest, startWebhookSink, type WebhookSink } from '../src/index.js';
import { sampleAlert } from './alert-fixture.js';
import { alertingConfig, alertRecord, alerts, deadLetters, newSecret, receiverConfig } from './harness.js';

const logger = createLogger({ service: 'test', level: process.env['LOG_LEVEL'] ?? 'silent' });
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function sink(options: Parameters<typeof startWebhookSink>[0] = {}): Promise<WebhookSink> {
  const s = await startWebhookSink(options);
  cleanups.push(() => s.close());
  return s;
}

function pipeline(options: ConstructorParameters<typeof DeliveryPipeline>[0]): DeliveryPipeline {
  const p = new DeliveryPipeline(options);
  cleanups.push(() => p.close());
  return p;
}

/** Polls `check` until it holds; the deadline only turns a hang into a failure with a message. */
async function until(what: string, check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what}: not seen within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A logger that keeps what the pipeline logs, parsed: the retry decisions are read from it. */
function recordingLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    service: 'test',
    level: 'debug',
    destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
  });
  return { logger, lines };
}

/** The `delayMs` of every "will retry" decision for `receiver`, in order. */
function retryDelays(lines: readonly Record<string, unknown>[], receiver: string): unknown[] {
  return lines
    .filter((l) => l['msg'] === 'delivery failed; will retry' && l['receiver'] === receiver)
    .map((l) => l['delayMs']);
}

describe('DeliveryPipeline over HTTP', () => {
  it('routes, fans out, and sends each format with a body exactly as formatted and a valid signature', async () => {
    const secret = newSecret();
    const server = await sink({ secrets: secret });
    const config = alertingConfig(
      [
        receiverConfig('native', `${server.url}/native`, { secret }),
        receiverConfig('am', `${server.url}/am`, { secret, format: 'alertmanager' }),
        receiverConfig('chat', `${server.url}/chat`, { secret, format: 'slack' }),
      ],
      {
        receiver: 'native',
        routes: [
          { match: { severity: ['critical'] }, receiver: 'am', continue: true },
          { match: { severity: ['critical', 'warning'] }, receiver: 'chat' },
        ],
      },
    );
    const dlq = deadLetters();
    const p = pipeline({ config, logger, deadLetter: dlq.write });
    const critical = sampleAlert({ eventId: 'evt-crit', severity: 'critical' });
    const warning = sampleAlert({ eventId: 'evt-warn', severity: 'warning', fingerprint: 'fp-2' });
    const info = sampleAlert({ eventId: 'evt-info', severity: 'info', fingerprint: 'fp-3' });
    const done: string[] = [];
    [critical, warning, info].forEach((a, i) => {
      p.accept(alertRecord(a, i), () => done.push(a.eventId));
    });
    await p.idle();
    expect(done.sort()).toEqual(['evt-crit', 'evt-info', 'evt-warn']);

    const byPath = (path: string): SinkRequest[] => server.requests.filter((r) => r.path === path);
    expect(byPath('/am').map((r) => r.id)).toEqual(['evt-crit']);
    expect(
      byPath('/chat')
        .map((r) => r.id)
        .sort(),
    ).toEqual(['evt-crit', 'evt-warn']);
    expect(byPath('/native').map((r) => r.id)).toEqual(['evt-info']);

    const context = { receiver: 'am', externalURL: 'http://alerting.test', generatorURL: '' };
    expect(byPath('/am')[0]!.body).toBe(formatPayload('alertmanager', critical, context));
    expect(byPath('/native')[0]!.body).toBe(formatPayload('native', info, context));
    expect(byPath('/chat').find((r) => r.id === 'evt-warn')!.body).toBe(formatPayload('slack', warning, context));
    for (const request of server.requests) {
      const headers = Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k, String(v)]));
      expect(() => new Webhook(secret).verify(request.body, headers)).not.toThrow();
      expect(headers['content-type']).toBe('application/json');
    }
    expect(dlq.records).toEqual([]);
  });

  it('a receiver that returns 500 for a while then 200 gets every alert, once each per event id', async () => {
    let failures = 0;
    const server = await sink({
      // its first 10 answers are 500s: with 5 series and 4 requests at a time, several alerts are retried
      respond: () => {
        if (failures < 10) {
          failures++;
          return 500;
        }
        return 200;
      },
    });
    const dlq = deadLetters();
    const config = alertingConfig([
      receiverConfig('flaky', `${server.url}/hook`, {
        retry: { initialMs: 50, multiplier: 2, maxMs: 200, maxAttempts: 20, jitter: 'full', maxRetryAfterMs: 1_000 },
      }),
    ]);
    const p = pipeline({ config, logger, deadLetter: dlq.write, random: () => 0.5 });
    const list = alerts(30, 5);
    let done = 0;
    list.forEach((a, i) => {
      p.accept(alertRecord(a, i), () => done++);
    });
    await p.idle();
    expect(done).toBe(30);
    expect(failures).toBe(10);
    expect(server.counts()).toEqual({ accepted: 30, unique: 30, duplicates: 0, rejected: 0 });
    expect(dlq.records).toEqual([]);
    // per-fingerprint order survived the retries
    for (let f = 0; f < 5; f++) {
      const ids = server.requests
        .filter((r) => (r.json as { data: { fingerprint: string } }).data.fingerprint === `fp-${f}`)
        .map((r) => r.id);
      expect(ids).toEqual(list.filter((a) => a.fingerprint === `fp-${f}`).map((a) => a.eventId));
    }
  });

  it('a receiver that returns 400 gets no retries; the alert goes to the DLQ with the reason', async () => {
    let calls = 0;
    const server = await sink({
      respond: () => {
        calls++;
        return 400;
      },
    });
    const dlq = deadLetters();
    const p = pipeline({
      config: alertingConfig([receiverConfig('strict', `${server.url}/hook`)]),
      logger,
      deadLetter: dlq.write,
    });
    const alert = sampleAlert({ eventId: 'evt-400' });
    const record = alertRecord(alert, 41);
    let done = false;
    p.accept(record, () => (done = true));
    await p.idle();
    expect(done).toBe(true);
    expect(calls).toBe(1);
    expect(dlq.records).toHaveLength(1);
    const dead = dlq.records[0]!;
    expect(dead.key).toBe(alert.deviceId);
    expect(dead.value).toEqual(record.value);
    expect(dead.headers).toMatchObject({
      'dlq.source.topic': 'alerts',
      'dlq.source.partition': '0',
      'dlq.source.offset': '41',
      'dlq.error.code': 'WEBHOOK_HTTP_STATUS',
      'dlq.stage': 'alerting/deliver',
      'delivery.receiver': 'strict',
      'delivery.attempts': '1',
      'delivery.event-id': 'evt-400',
      'delivery.last-status': '400',
      'delivery.outcome': 'not-retriable',
    });
    expect(dead.headers['dlq.error.message']).toMatch(/^HTTP 400/);
  });

  it('dead-letters after the last attempt when a receiver keeps failing, honouring Retry-After', async () => {
    const server = await sink({ respond: () => 503 });
    const http503WithRetryAfter = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(429, { 'retry-after': '1' }).end('slow down');
      });
    });
    await new Promise<void>((r) => http503WithRetryAfter.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => http503WithRetryAfter.close(() => r())));
    const port = (http503WithRetryAfter.address() as AddressInfo).port;

    const dlq = deadLetters();
    const { logger, lines } = recordingLogger();
    const retry = {
      initialMs: 10,
      multiplier: 1,
      maxMs: 10,
      maxAttempts: 3,
      jitter: 'none' as const,
      maxRetryAfterMs: 5_000,
    };
    const p = pipeline({
      config: alertingConfig(
        [
          receiverConfig('down', `${server.url}/hook`, { retry }),
          receiverConfig('limited', `http://127.0.0.1:${port}/`, { retry: { ...retry, maxAttempts: 2 } }),
        ],
        {
          receiver: 'down',
          routes: [{ match: { severity: ['critical'] }, receiver: 'limited' }],
        },
      ),
      logger,
      deadLetter: dlq.write,
    });
    p.accept(alertRecord(sampleAlert({ eventId: 'a', severity: 'warning' }), 1), () => undefined);
    p.accept(alertRecord(sampleAlert({ eventId: 'b', fingerprint: 'fp-b' }), 2), () => undefined);
    await p.idle();
    expect(
      dlq.records.map((r) => [
        r.headers['delivery.receiver'],
        r.headers['delivery.attempts'],
        r.headers['delivery.outcome'],
        r.headers['delivery.last-status'],
      ]),
    ).toEqual(
      expect.arrayContaining([
        ['down', '3', 'retries-exhausted', '503'],
        ['limited', '2', 'retries-exhausted', '429'],
      ]),
    );
    const limited = dlq.records.find((r) => r.headers['delivery.receiver'] === 'limited')!;
    expect(limited.headers['dlq.error.message']).toBe('HTTP 429: slow down');
    // the backoff is 10 ms; Retry-After: 1 (second) wins over it for the receiver that sent it, and only there
    expect(retryDelays(lines, 'limited')).toEqual([1_000]);
    expect(retryDelays(lines, 'down')).toEqual([10, 10]);
  });

  it('a receiver that hangs does not delay a healthy one', async () => {
    const hanging = await sink({ respond: () => new Promise<number>(() => undefined) });
    const healthy = await sink();
    const dlq = deadLetters();
    const config = alertingConfig(
      [
        receiverConfig('healthy', `${healthy.url}/ok`),
        receiverConfig('hanging', `${hanging.url}/stuck`, { timeoutMs: 60_000, concurrency: 2 }),
      ],
      {
        receiver: 'healthy',
        routes: [
          { match: {}, receiver: 'hanging', continue: true },
          { match: {}, receiver: 'healthy' },
        ],
      },
    );
    const p = pipeline({ config, logger, deadLetter: dlq.write });
    const list = alerts(50, 50);
    list.forEach((a, i) => {
      p.accept(alertRecord(a, i), () => undefined);
    });
    // the hanging receiver never answers (its timeout is a minute away), so the healthy one finishing
    // everything while all 50 still wait there is the isolation itself — no stopwatch needed
    await until('the healthy receiver finished all 50', () => p.depths()['healthy'] === 0);
    expect(healthy.counts().accepted).toBe(50);
    expect(p.depths()).toEqual({ healthy: 0, hanging: 50 });
  });

  it('delivers an event id once per receiver when Kafka redelivers it, and completes both records', async () => {
    const gate: { open?: () => void } = {};
    const opened = new Promise<void>((r) => (gate.open = r));
    const server = await sink({
      respond: async () => {
        await opened;
        return 204;
      },
    });
    const p = pipeline({
      config: alertingConfig([receiverConfig('r', `${server.url}/hook`)]),
      logger,
      deadLetter: deadLetters().write,
    });
    const alert = sampleAlert({ eventId: 'evt-dup' });
    const done: number[] = [];
    p.accept(alertRecord(alert, 1), () => done.push(1)); // in flight...
    p.accept(alertRecord(alert, 7), () => done.push(7)); // ...redelivered while in flight
    gate.open!();
    await p.idle();
    p.accept(alertRecord(alert, 9), () => done.push(9)); // redelivered after it was delivered
    await p.idle();
    expect(done).toEqual([1, 7, 9]);
    expect(server.counts().accepted).toBe(1);
  });

  it('reports backpressure when a queue fills, relief at half; dead-letter policy spills instead', async () => {
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const server = await sink({
      respond: async () => {
        await released;
        return 204;
      },
    });
    const dlq = deadLetters();
    const config = alertingConfig(
      [
        receiverConfig('paced', `${server.url}/p`, { queueSize: 10, concurrency: 1 }),
        receiverConfig('spill', `${server.url}/s`, { queueSize: 5, concurrency: 1, onQueueFull: 'dead-letter' }),
      ],
      {
        receiver: 'paced',
        routes: [
          { match: {}, receiver: 'spill', continue: true },
          { match: {}, receiver: 'paced' },
        ],
      },
    );
    let progress = 0;
    const p = pipeline({ config, logger, deadLetter: dlq.write, onProgress: () => progress++ });
    const list = alerts(12, 12);
    list.slice(0, 9).forEach((a, i) => {
      p.accept(alertRecord(a, i), () => undefined);
    });
    expect(p.overloaded).toBe(false);
    list.slice(9).forEach((a, i) => {
      p.accept(alertRecord(a, i + 9), () => undefined);
    });
    expect(p.overloaded).toBe(true);
    expect(p.relieved).toBe(false);
    await until('7 spilled alerts in the DLQ', () => dlq.records.length === 7);
    expect(
      dlq.records.every(
        (r) => r.headers['dlq.error.code'] === 'WEBHOOK_QUEUE_FULL' && r.headers['delivery.receiver'] === 'spill',
      ),
    ).toBe(true);
    release();
    await p.idle();
    expect(p.relieved).toBe(true);
    expect(progress).toBeGreaterThan(0);
  });

  it('refuses private destinations at send time (IP literal and a name resolving to loopback) without a request', async () => {
    const server = await sink();
    const dlq = deadLetters();
    const port = server.port;
    const config = alertingConfig(
      [
        receiverConfig('literal', `http://127.0.0.1:${port}/a`, { allowPrivateNetwork: false }),
        receiverConfig('named', `http://localhost:${port}/b`, { allowPrivateNetwork: false }),
      ],
      {
        receiver: 'literal',
        routes: [
          { match: {}, receiver: 'named', continue: true },
          { match: {}, receiver: 'literal' },
        ],
      },
    );
    const p = pipeline({ config, logger, deadLetter: dlq.write });
    p.accept(alertRecord(sampleAlert(), 1), () => undefined);
    await p.idle();
    expect(server.counts().accepted).toBe(0);
    expect(
      dlq.records
        .map((r) => [r.headers['delivery.receiver'], r.headers['dlq.error.code'], r.headers['delivery.attempts']])
        .sort(),
    ).toEqual([
      ['literal', 'WEBHOOK_DESTINATION_BLOCKED', '1'],
      ['named', 'WEBHOOK_DESTINATION_BLOCKED', '1'],
    ]);
    expect(dlq.records.find((r) => r.headers['delivery.receiver'] === 'named')!.headers['dlq.error.message']).toMatch(
      /localhost resolves to (127\.0\.0\.1|::1) \(loopback\)/,
    );
  });

  it('does not follow redirects', async () => {
    const target = await sink();
    const redirector = createServer((req, res) => {
      req.resume();
      res.writeHead(307, { location: `${target.url}/elsewhere` }).end();
    });
    await new Promise<void>((r) => redirector.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => redirector.close(() => r())));
    const dlq = deadLetters();
    const p = pipeline({
      config: alertingConfig([receiverConfig('r', `http://127.0.0.1:${(redirector.address() as AddressInfo).port}/`)]),
      logger,
      deadLetter: dlq.write,
    });
    p.accept(alertRecord(sampleAlert(), 1), () => undefined);
    await p.idle();
    expect(target.counts().accepted).toBe(0);
    expect(dlq.records[0]!.headers).toMatchObject({
      'dlq.error.code': 'WEBHOOK_REDIRECT',
      'delivery.last-status': '307',
      'delivery.outcome': 'not-retriable',
    });
  });

  it('times out a slow receiver and retries it; an undecodable record goes to the DLQ', async () => {
    const slow = await sink({ respond: () => new Promise<number>((r) => setTimeout(() => r(204), 2_000)) });
    const dlq = deadLetters();
    const p = pipeline({
      config: alertingConfig([
        receiverConfig('slow', `${slow.url}/`, {
          timeoutMs: 100,
          retry: { initialMs: 10, multiplier: 1, maxMs: 10, maxAttempts: 2, jitter: 'none', maxRetryAfterMs: 0 },
        }),
      ]),
      logger,
      deadLetter: dlq.write,
    });
    p.accept(alertRecord(sampleAlert(), 1), () => undefined);
    let undecodableDone = false;
    p.accept(
      { topic: 'alerts', partition: 0, offset: '2', key: Buffer.from('k'), value: Buffer.from('definitely not avro') },
      () => (undecodableDone = true),
    );
    await p.idle();
    expect(undecodableDone).toBe(true);
    const codes = dlq.records.map((r) => [r.headers['dlq.stage'], r.headers['dlq.error.code']]);
    expect(codes).toContainEqual(['alerting/deliver', 'WEBHOOK_TIMEOUT']);
    expect(codes).toContainEqual(['alerting/decode', 'DECODE_BAD_MAGIC']);
    expect(dlq.records.find((r) => r.headers['dlq.stage'] === 'alerting/decode')!.key).toEqual(Buffer.from('k'));
  });

  it('leaves unfinished alerts unfinished on close (their offsets stay uncommitted)', async () => {
    let calls = 0;
    const server = await sink({
      respond: () => {
        calls++;
        return 500;
      },
    });
    const { logger, lines } = recordingLogger();
    const p = new DeliveryPipeline({
      config: alertingConfig([
        receiverConfig('r', `${server.url}/`, {
          retry: { initialMs: 5_000, multiplier: 1, maxMs: 5_000, maxAttempts: 5, jitter: 'none', maxRetryAfterMs: 0 },
        }),
      ]),
      logger,
      deadLetter: async () => undefined,
    });
    let done = false;
    p.accept(alertRecord(sampleAlert(), 1), () => (done = true));
    // the first attempt was answered with 500 and the retry is scheduled 5 s later: close in between
    await until('the first attempt failed and a retry was scheduled', () => retryDelays(lines, 'r').length === 1);
    expect(retryDelays(lines, 'r')).toEqual([5_000]);
    await p.close();
    expect(done).toBe(false);
    expect(p.depths()).toEqual({ r: 1 });
    expect(calls).toBe(1);
    expect(server.requests).toEqual([]);
  });
});
