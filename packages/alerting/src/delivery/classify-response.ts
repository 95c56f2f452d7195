/**
 * What a receiver's HTTP status means for the delivery, pure: 2xx delivered; 408, 429 and 5xx retriable
 * (honouring `Retry-After`); 3xx refused (redirects are not followed); any other 4xx final.
 */
import { DeliveryError } from './delivery-error.js';
import { parseRetryAfterMs } from './parse-retry-after.js';

export type AttemptVerdict =
  | { readonly kind: 'delivered' }
  | { readonly kind: 'failed'; readonly error: DeliveryError };

export interface ResponseSummary {
  readonly status: number;
  readonly retryAfter?: string | undefined;
  readonly location?: string | undefined;
  /** The start of the response body, for the DLQ reason. */
  readonly bodySnippet?: string | undefined;
}

const RETRIABLE_4XX = new Set([408, 429]);

export function classifyResponse(response: ResponseSummary, nowMs: number): AttemptVerdict {
  const { status } = response;
  if (status >= 200 && status < 300) return { kind: 'delivered' };
  const detail = response.bodySnippet ? `: ${response.bodySnippet}` : '';
  if (status >= 300 && status < 400) {
    return {
      kind: 'failed',
      error: new DeliveryError(
        'WEBHOOK_REDIRECT',
        `HTTP ${status} redirect${response.location ? ` to ${response.location}` : ''} not followed; configure the final URL`,
        {
          retriable: false,
          status,
        },
      ),
    };
  }
  const retriable = status >= 500 || RETRIABLE_4XX.has(status);
  const retryAfterMs = retriable ? parseRetryAfterMs(response.retryAfter, nowMs) : undefined;
  return {
    kind: 'failed',
    error: new DeliveryError('WEBHOOK_HTTP_STATUS', `HTTP ${status}${detail}`, {
      retriable,
      status,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    }),
  };
}
