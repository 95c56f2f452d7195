/**
 * A webhook receiver for demos and tests: an HTTP server that verifies Standard Webhooks signatures
 * (401 for missing, bad or stale ones — default tolerance five minutes), prints each accepted alert as a
 * line (human or JSON), keeps counts (accepted, unique ids, duplicates, rejected) and answers `/healthz`,
 * `/stats` and Prometheus `/metrics`. A body over `maxBodyBytes` is answered 413 at once and the connection
 * closed, without reading the rest. Accepts POSTs on any path, so one sink can stand in for several
 * receivers (`/webhook`, `/alertmanager`, ...). Started in-process by tests and the launcher, or by `alerting sink`.
 *
 * The human line (`<time> <path> <format> <STATUS> <severity> <rule> device=<id> ...`, or `site=<site>` /
 * `fleet` in place of `device=<id>` for a group or fleet alert) is parsed by the launcher (infra/src/launcher/sink-events.ts): change both together.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '@sensor-pipeline/shared';
import { parseWebhookSecrets } from '../signing/parse-webhook-secrets.js';
import { DEFAULT_TOLERANCE_MS, verifyWebhook } from '../signing/verify-webhook.js';
import { describePayload, type PayloadSummary } from './describe-payload.js';
import { SINK_METRICS_CONTENT_TYPE, sinkMetricsText } from './sink-metrics.js';

export interface WebhookSinkOptions {
  /** 0 (default) picks a free port. */
  readonly port?: number;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** `whsec_...` secrets (space-separated); without them every request is accepted unverified. */
  readonly secrets?: string;
  readonly toleranceMs?: number;
  /** Where lines go (one per accepted or rejected request); default: nowhere. */
  readonly print?: (line: string) => void;
  readonly output?: 'human' | 'json';
  readonly logger?: Logger;
  readonly now?: () => number;
  /** Status to answer an accepted request with (default 204); lets tests and demos simulate failures. */
  readonly respond?: (request: SinkRequest) => number | Promise<number>;
  /** How many accepted requests `requests` keeps (oldest dropped); default 100,000. */
  readonly keep?: number;
  /** Largest body accepted, bytes (default 1 MiB). */
  readonly maxBodyBytes?: number;
}

export interface SinkRequest {
  readonly path: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
  /** The parsed body (undefined when not JSON). */
  readonly json: unknown;
  readonly id: string | undefined;
  readonly timestampSeconds: number | undefined;
  readonly receivedAtMs: number;
  readonly verified: boolean;
  readonly summary: PayloadSummary;
  /** True when this webhook-id was accepted before on the same path. */
  readonly duplicate: boolean;
}

export interface SinkCounts {
  readonly accepted: number;
  readonly unique: number;
  readonly duplicates: number;
  readonly rejected: number;
}

export interface WebhookSink {
  readonly url: string;
  readonly port: number;
  /** Accepted requests, oldest first. */
  readonly requests: readonly SinkRequest[];
  counts(): SinkCounts;
  close(): Promise<void>;
}

export async function startWebhookSink(options: WebhookSinkOptions = {}): Promise<WebhookSink> {
  const keys = options.secrets ? parseWebhookSecrets(options.secrets) : [];
  const toleranceMs = options.toleranceMs ?? DEFAULT_TOLERANCE_MS;
  const now = options.now ?? Date.now;
  const keep = options.keep ?? 100_000;
  const maxBodyBytes = options.maxBodyBytes ?? 1_048_576;
  const print = options.print ?? (() => undefined);
  const log = options.logger?.child({ component: 'webhook-sink' });
  const requests: SinkRequest[] = [];
  const seen = new Set<string>();
  let accepted = 0;
  let duplicates = 0;
  let rejected = 0;

  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const json = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    // listening is all the sink needs to be ready: /readyz answers like /healthz
    if (req.method === 'GET' && (path === '/healthz' || path === '/readyz')) return json(200, { status: 'ok' });
    if (req.method === 'GET' && path === '/stats')
      return json(200, { accepted, unique: seen.size, duplicates, rejected });
    if (req.method === 'GET' && path === '/metrics') {
      res.writeHead(200, { 'content-type': SINK_METRICS_CONTENT_TYPE });
      return res.end(sinkMetricsText({ accepted, unique: seen.size, duplicates, rejected }));
    }
    if (req.method !== 'POST')
      return json(405, { error: 'POST webhooks here; GET /healthz, /readyz, /stats or /metrics' });

    readBody(req, maxBodyBytes).then(
      async (body) => {
        if (body === undefined) {
          // answered at once, without reading the rest; the connection is closed so nothing more is read
          rejected += 1;
          log?.warn({ path, maxBodyBytes }, 'refused a webhook body over the limit');
          res
            .writeHead(413, { 'content-type': 'application/json', connection: 'close' })
            .end(JSON.stringify({ error: `body larger than ${maxBodyBytes} bytes` }), () => req.socket.destroy());
          return;
        }
        const receivedAtMs = now();
        let verifiedId: string | undefined;
        let timestampSeconds: number | undefined;
        if (keys.length > 0) {
          const result = verifyWebhook(req.headers, body, keys, receivedAtMs, toleranceMs);
          if (!result.ok) {
            rejected += 1;
            const line = `REJECTED ${path} ${result.reason} webhook-id=${String(req.headers['webhook-id'] ?? '-')}`;
            print(
              options.output === 'json'
                ? JSON.stringify({ rejected: true, path, reason: result.reason, id: req.headers['webhook-id'] ?? null })
                : line,
            );
            log?.warn({ path, reason: result.reason }, 'rejected webhook');
            return json(401, { error: `signature verification failed: ${result.reason}` });
          }
          verifiedId = result.id;
          timestampSeconds = result.timestampSeconds;
        }
        let parsed: unknown;
        try {
          parsed = JSON.parse(body);
        } catch {
          parsed = undefined;
        }
        const id = verifiedId ?? header(req, 'webhook-id');
        const ts =
          timestampSeconds ?? (header(req, 'webhook-timestamp') ? Number(header(req, 'webhook-timestamp')) : undefined);
        const seenKey = `${path}\u0000${id ?? body}`;
        const duplicate = seen.has(seenKey);
        const summary = describePayload(parsed, Buffer.byteLength(body));
        const request: SinkRequest = {
          path,
          headers: { ...req.headers },
          body,
          json: parsed,
          id,
          timestampSeconds: ts,
          receivedAtMs,
          verified: keys.length > 0,
          summary,
          duplicate,
        };
        const status = options.respond ? await options.respond(request) : 204;
        if (status >= 200 && status < 300) {
          accepted += 1;
          if (duplicate) duplicates += 1;
          seen.add(seenKey);
          requests.push(request);
          if (requests.length > keep) requests.shift();
          print(
            options.output === 'json'
              ? JSON.stringify({
                  receivedAt: new Date(receivedAtMs).toISOString(),
                  path,
                  id: id ?? null,
                  verified: request.verified,
                  duplicate,
                  format: summary.format,
                  payload: parsed ?? body,
                })
              : `${new Date(receivedAtMs).toISOString()} ${path} ${summary.format} ${summary.text} id=${id ?? '-'}${request.verified ? ' ✓signed' : ''}${duplicate ? ' (duplicate)' : ''}`,
          );
        }
        res
          .writeHead(status, { 'content-type': 'application/json' })
          .end(status === 204 ? undefined : JSON.stringify({ status }));
      },
      (err: unknown) => {
        log?.warn({ err }, 'reading a webhook request failed');
        if (!res.headersSent) json(400, { error: 'bad request' });
      },
    );
  });
  server.keepAliveTimeout = 60_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host && options.host !== '0.0.0.0' ? options.host : '127.0.0.1';
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  log?.info({ url, verifying: keys.length > 0, toleranceMs }, 'webhook sink listening');

  return {
    url,
    port,
    requests,
    counts: () => ({ accepted, unique: seen.size, duplicates, rejected }),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The request body as text, or `undefined` as soon as it is known to exceed `maxBytes` (a declared
 * Content-Length over the limit, or the bytes read so far): reading stops there, so an endless chunked body
 * costs at most the limit.
 */
function readBody(req: IncomingMessage, maxBytes: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBytes) {
      req.pause();
      resolve(undefined);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxBytes) {
        req.off('data', onData);
        req.pause();
        chunks.length = 0;
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
