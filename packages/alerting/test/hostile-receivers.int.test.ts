/**
 * The alerting service against misbehaving receivers, on the real broker with real HTTP servers on
 * loopback: one that never answers, one that answers 200 and then drips its body a byte every two
 * seconds, one that resets the connection, one that redirects to itself forever, one that answers with a
 * 1 GB body (500 and 200), and a host name that resolves to an IPv4-translated loopback address
 * (::ffff:0:7f00:1). The healthy receiver gets every alert, the service keeps running, every alert sent to
 * a bad receiver ends in the deliveries DLQ exactly once with its reason, and offsets reach the end.
 */
import type { LookupAddress } from 'node:dns';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { type Alert, alertCodec, DLQ_HEADERS } from '@sensor-pipeline/shared';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import {
  committedTotal,
  consumeMessages,
  createTopics,
  kafkaSettings,
  produceRaw,
  testLogger,
  uniqueName,
  waitFor,
} from '../../../test/kafka.js';
import {
  createAlertingMetrics,
  createWebhookSender,
  MAX_RESPONSE_BODY_BYTES,
  type ResolveAll,
  startAlertingService,
  startWebhookSink,
} from '../src/index.js';
import { alertingConfig, alerts, receiverConfig } from './harness.js';

const codec = alertCodec();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

interface TestServer {
  readonly url: string;
  readonly port: number;
  /** Requests that reached the handler. */
  requests: number;
}

/** A plain HTTP server on loopback whose handler misbehaves; closed (connections too) after the test. */
async function hostileServer(
  handler: (req: IncomingMessage, res: ServerResponse, s: TestServer) => void,
): Promise<TestServer> {
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const state = { url: '', port: 0, requests: 0 } as { url: string; port: number; requests: number };
  const server: Server = createServer((req, res) => {
    state.requests += 1;
    req.resume();
    handler(req, res, state);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.port = (server.address() as AddressInfo).port;
  state.url = `http://127.0.0.1:${state.port}`;
  cleanups.push(async () => {
    for (const t of timers) clearInterval(t);
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  (state as unknown as { timers: Set<NodeJS.Timeout> }).timers = timers;
  return state;
}

function timersOf(s: TestServer): Set<NodeJS.Timeout> {
  return (s as unknown as { timers: Set<NodeJS.Timeout> }).timers;
}

/** Writes up to `totalBytes` as fast as the client takes them; records the most one response managed. */
function hugeBody(status: number, totalBytes: number, written: { maxPerResponse: number }) {
  return (_req: IncomingMessage, res: ServerResponse): void => {
    const chunk = Buffer.alloc(65_536, 0x7a);
    let bytes = 0;
    res.writeHead(status, { 'content-type': 'text/plain', 'content-length': String(totalBytes) });
    const pump = (): void => {
      while (bytes < totalBytes && !res.destroyed) {
        bytes += chunk.length;
        written.maxPerResponse = Math.max(written.maxPerResponse, bytes);
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      if (!res.destroyed) res.end();
    };
    pump();
  };
}

describe('alerting service with hostile receivers (real broker, real HTTP servers)', () => {
  it('delivers every alert to the healthy receiver and dead-letters each bad delivery once with its reason', async () => {
    const healthy = await startWebhookSink();
    cleanups.push(() => healthy.close());

    const hang = await hostileServer(() => undefined); // never answers
    const drip = await hostileServer((_req, res, s) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('o');
      const timer = setInterval(() => (res.destroyed ? clearInterval(timer) : res.write('k')), 2_000);
      timersOf(s).add(timer);
    });
    const reset = await hostileServer((req) => req.socket.resetAndDestroy());
    const redirect = await hostileServer((_req, res, s) => {
      res.writeHead(302, { location: `${s.url}/again` }).end();
    });
    const hugeFailWritten = { maxPerResponse: 0 };
    const hugeFail = await hostileServer(hugeBody(500, 1_073_741_824, hugeFailWritten));
    const hugeOkWritten = { maxPerResponse: 0 };
    const hugeOk = await hostileServer(hugeBody(200, 1_073_741_824, hugeOkWritten));
    // the translated receiver's name resolves to ::ffff:0:7f00:1 (127.0.0.1 behind RFC 6145)
    const translatedDns: ResolveAll = (_host, _options, callback) =>
      callback(null, [{ address: '::ffff:0:7f00:1', family: 6 } satisfies LookupAddress]);

    const [alertsTopic, dlqTopic] = await createTopics([uniqueName('alerts'), uniqueName('deliveries-dlq')], {
      partitions: 3,
    });
    const t = { alerts: alertsTopic!, deliveriesDlq: dlqTopic! };
    const retry = {
      initialMs: 20,
      multiplier: 2,
      maxMs: 100,
      maxAttempts: 2,
      jitter: 'none' as const,
      maxRetryAfterMs: 100,
    };
    const bad = [
      receiverConfig('hang', `${hang.url}/hook`, { timeoutMs: 1_000, retry }),
      // a deadline longer than the drip interval: only a deadline over the whole body stops it
      receiverConfig('drip', `${drip.url}/hook`, { timeoutMs: 3_000, retry }),
      // generous deadlines where the outcome must not be a timeout, even on a busy machine
      receiverConfig('reset', `${reset.url}/hook`, { timeoutMs: 30_000, retry }),
      receiverConfig('redirect', `${redirect.url}/hook`, { timeoutMs: 30_000, retry }),
      receiverConfig('huge-500', `${hugeFail.url}/hook`, { timeoutMs: 30_000, retry }),
      receiverConfig('translated', `http://hooks.translated.test:${healthy.port}/hook`, {
        timeoutMs: 30_000,
        retry,
        allowPrivateNetwork: false,
      }),
    ];
    const config = alertingConfig(
      [
        receiverConfig('healthy', `${healthy.url}/ok`, { timeoutMs: 30_000 }),
        receiverConfig('huge-200', `${hugeOk.url}/hook`, { timeoutMs: 30_000, retry }),
        ...bad,
      ],
      {
        receiver: 'healthy',
        routes: [
          ...[...bad.map((r) => r.name), 'huge-200'].map((name) => ({
            match: { rule: ['hostile'] },
            receiver: name,
            continue: true,
          })),
          { match: {}, receiver: 'healthy' },
        ],
      },
    );
    const registry = new Registry();
    const groupId = uniqueName('alerting');
    const service = await startAlertingService({
      config: { ...config, consumer: { ...config.consumer, groupId } },
      kafka: kafkaSettings('alerting-hostile-test'),
      logger: testLogger,
      topics: t,
      metrics: createAlertingMetrics(registry),
      createSender: (receiver) =>
        createWebhookSender(receiver, receiver.name === 'translated' ? { resolveAll: translatedDns } : {}),
    });
    cleanups.push(() => service.stop());

    const hostile: Alert[] = alerts(3, 3, { rule: 'hostile' }).map((a) => ({
      ...a,
      eventId: `h-${a.eventId}`,
      fingerprint: `h-${a.fingerprint}`,
      deviceId: `site-h/${a.deviceId}`,
    }));
    const ordinary = alerts(60, 20);
    await produceRaw(
      t.alerts,
      [...hostile, ...ordinary].map((a) => ({ key: a.deviceId, value: codec.encode(a) })),
    );

    await waitFor(() => healthy.counts().unique === 63, {
      timeoutMs: 60_000,
      message: () => `healthy receiver: ${JSON.stringify(healthy.counts())}`,
    });
    // every bad receiver's delivery of every hostile alert ends in the DLQ, once, with its reason
    const dead = await consumeMessages(t.deliveriesDlq, { count: bad.length * hostile.length, timeoutMs: 90_000 });
    const byReceiver = new Map<string, { code: string; eventId: string }[]>();
    for (const d of dead) {
      const receiver = d.headers['delivery.receiver']!;
      const list = byReceiver.get(receiver) ?? [];
      list.push({ code: d.headers[DLQ_HEADERS.errorCode]!, eventId: d.headers['delivery.event-id']! });
      byReceiver.set(receiver, list);
      expect(codec.decode(d.value).rule).toBe('hostile');
    }
    const expectedCodes: Record<string, string> = {
      hang: 'WEBHOOK_TIMEOUT',
      drip: 'WEBHOOK_TIMEOUT',
      reset: 'WEBHOOK_NETWORK',
      redirect: 'WEBHOOK_REDIRECT',
      'huge-500': 'WEBHOOK_HTTP_STATUS',
      translated: 'WEBHOOK_DESTINATION_BLOCKED',
    };
    for (const [receiver, code] of Object.entries(expectedCodes)) {
      const entries = byReceiver.get(receiver) ?? [];
      expect(
        entries.map((e) => e.code),
        receiver,
      ).toEqual(hostile.map(() => code));
      expect(entries.map((e) => e.eventId).sort(), receiver).toEqual(hostile.map((a) => a.eventId).sort());
    }
    expect(dead).toHaveLength(bad.length * hostile.length);

    // the service is still up, has finished every record and committed the end of every partition
    expect(service.readiness().ready).toBe(true);
    await waitFor(async () => (await committedTotal(groupId, t.alerts)) === 63, {
      timeoutMs: 30_000,
      message: 'offsets committed to the end',
    });
    const metrics = await registry.metrics();
    expect(metrics).toMatch(/alerting_deliveries_total\{receiver="huge-200",outcome="delivered"\} 3/);
    expect(healthy.counts()).toMatchObject({ unique: 63, duplicates: 0 });
    // the translated name never reached the sink behind it; redirects were not followed
    expect(healthy.requests.filter((r) => r.path === '/hook')).toEqual([]);
    expect(redirect.requests).toBe(hostile.length); // 302 is final: one attempt each, no redirect followed
    // 1 GB answers were cut: what the servers managed to write is the cap plus socket buffers, not the body
    expect(hugeFailWritten.maxPerResponse).toBeLessThan(32 * 1_048_576);
    expect(hugeOkWritten.maxPerResponse).toBeLessThan(32 * 1_048_576);
    expect(MAX_RESPONSE_BODY_BYTES).toBe(65_536);
  });
});
