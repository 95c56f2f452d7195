/**
 * The send stage's I/O: one HTTP POST to a receiver with undici, through a dedicated connection pool per
 * receiver (`connections` = the receiver's concurrency, so a slow receiver only exhausts its own pool).
 *
 * The receiver's `timeout` is a hard deadline for the whole attempt: one AbortSignal per request covers
 * connecting, sending, waiting for the headers and reading the body, so a receiver that answers 200 and
 * then drips its body a byte at a time cannot hold a delivery past it (undici's per-phase timers stay as a
 * first line). At most `MAX_RESPONSE_BODY_BYTES` of a response body are read (the start of it for the DLQ
 * reason on failures); the rest is cancelled with the connection, so a 1 GB answer costs 64 KiB.
 * `close()` destroys the pool, aborting requests in flight. Redirects are never followed (undici's
 * `request` does not follow them, and 3xx is reported as such); the SSRF guard runs for IP-literal hosts
 * before the request and for host names inside the socket's DNS lookup, so the connection goes exactly to
 * the addresses that were checked.
 *
 * Never throws: the outcome is a response summary or a `DeliveryError` saying whether a retry can help.
 */
import { Agent, request } from 'undici';
import type { ReceiverConfig } from '../config/alerting-config.js';
import { blockedLiteral } from '../ssrf/check-destination.js';
import { DestinationBlockedError } from '../ssrf/destination-blocked-error.js';
import { guardedLookup, type ResolveAll } from '../ssrf/guarded-lookup.js';
import type { ResponseSummary } from './classify-response.js';
import { DeliveryError } from './delivery-error.js';

export type SendResult =
  | { readonly kind: 'response'; readonly response: ResponseSummary }
  | { readonly kind: 'error'; readonly error: DeliveryError };

export interface WebhookSender {
  /** POSTs `body` with `headers`. */
  send(body: string, headers: Readonly<Record<string, string>>): Promise<SendResult>;
  /** Aborts requests in flight and closes the connections. */
  close(): Promise<void>;
}

export interface WebhookSenderOptions {
  /** DNS for the guarded lookup; tests inject one to simulate rebinding. */
  readonly resolveAll?: ResolveAll;
  readonly userAgent?: string;
}

const SNIPPET_BYTES = 256;
/** Most bytes of a response body read before the rest is cancelled. */
export const MAX_RESPONSE_BODY_BYTES = 65_536; // 64 KiB
export const USER_AGENT = 'sensor-pipeline-alerting/0.1';

export function createWebhookSender(receiver: ReceiverConfig, options: WebhookSenderOptions = {}): WebhookSender {
  const url = new URL(receiver.url);
  const agent = new Agent({
    connections: receiver.concurrency,
    pipelining: 1,
    keepAliveTimeout: 30_000, // keep idle connections half a minute
    headersTimeout: receiver.timeoutMs,
    bodyTimeout: receiver.timeoutMs,
    connect: receiver.allowPrivateNetwork
      ? { timeout: receiver.timeoutMs }
      : { timeout: receiver.timeoutMs, lookup: guardedLookup(options.resolveAll) },
  });
  const fixedHeaders = {
    ...receiver.headers,
    'content-type': 'application/json',
    'user-agent': options.userAgent ?? USER_AGENT,
  };
  let closed = false;

  return {
    async send(body, headers) {
      if (!receiver.allowPrivateNetwork) {
        const verdict = blockedLiteral(url.hostname);
        if (verdict) return { kind: 'error', error: new DestinationBlockedError(url.hostname, verdict) };
      }
      // one deadline for the whole exchange: connect, request, headers and body
      const signal = AbortSignal.timeout(receiver.timeoutMs);
      try {
        const res = await request(url, {
          method: 'POST',
          dispatcher: agent,
          headers: { ...fixedHeaders, ...headers },
          body,
          signal,
        });
        const header = (name: string): string | undefined => {
          const value = res.headers[name];
          return Array.isArray(value) ? value[0] : value;
        };
        let bodySnippet: string | undefined;
        if (res.statusCode >= 200 && res.statusCode < 300) {
          // reads at most the cap, then cancels; rejects when the deadline passes first
          await res.body.dump({ limit: MAX_RESPONSE_BODY_BYTES, signal });
        } else {
          bodySnippet = await readSnippet(res.body, signal);
        }
        return {
          kind: 'response',
          response: {
            status: res.statusCode,
            retryAfter: header('retry-after'),
            location: header('location'),
            bodySnippet,
          },
        };
      } catch (err) {
        return { kind: 'error', error: toDeliveryError(err, closed, receiver.timeoutMs) };
      }
    },
    async close() {
      closed = true;
      await agent
        .destroy(new DeliveryError('WEBHOOK_NETWORK', 'request aborted: shutting down', { retriable: true }))
        .catch(() => undefined);
    },
  };
}

/** The start of a failure's body (leaving the loop cancels the rest); the status is what matters. */
async function readSnippet(
  body: AsyncIterable<Buffer> & { destroy(err?: Error): void },
  signal: AbortSignal,
): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  const onAbort = (): void => body.destroy(signal.reason as Error);
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    for await (const chunk of body) {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= SNIPPET_BYTES) break;
    }
  } catch {
    // a body cut short or past the deadline: keep what came
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  const text = Buffer.concat(chunks).subarray(0, SNIPPET_BYTES).toString('utf8').replace(/\s+/g, ' ').trim();
  return text === '' ? undefined : text;
}

const TIMEOUT_CODES = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ETIMEDOUT',
]);

function toDeliveryError(err: unknown, closed: boolean, timeoutMs: number): DeliveryError {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof DeliveryError) return e;
  }
  const code = (err as { code?: string } | undefined)?.code;
  const message = (err as Error | undefined)?.message ?? String(err);
  if (closed)
    return new DeliveryError('WEBHOOK_NETWORK', 'request aborted: shutting down', { retriable: true, cause: err });
  if ((code && TIMEOUT_CODES.has(code)) || (err as Error | undefined)?.name === 'TimeoutError') {
    return new DeliveryError('WEBHOOK_TIMEOUT', `no complete response within ${timeoutMs} ms`, {
      retriable: true,
      cause: err,
    });
  }
  const causeCode = (err as { cause?: { code?: string } } | undefined)?.cause?.code;
  return new DeliveryError('WEBHOOK_NETWORK', `${code ?? causeCode ?? 'network error'}: ${message}`, {
    retriable: true,
    cause: err,
  });
}
