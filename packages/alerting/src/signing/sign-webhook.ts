/**
 * Standard Webhooks signing (https://www.standardwebhooks.com), pure: the headers `webhook-id` (stable
 * across retries: the alert's event id), `webhook-timestamp` (Unix seconds of this attempt) and
 * `webhook-signature` (`v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, one per key, space-separated).
 */
import { createHmac } from 'node:crypto';

export const WEBHOOK_HEADERS = {
  id: 'webhook-id',
  timestamp: 'webhook-timestamp',
  signature: 'webhook-signature',
} as const;

export interface SignInput {
  readonly id: string;
  readonly timestampSeconds: number;
  readonly body: string;
  /** Raw HMAC keys (see `parseWebhookSecrets`); empty → no signature header. */
  readonly keys: readonly Buffer[];
}

export function webhookSignature(key: Buffer, id: string, timestampSeconds: number, body: string): string {
  return createHmac('sha256', key).update(`${id}.${timestampSeconds}.${body}`).digest('base64');
}

export function signWebhook(input: SignInput): Record<string, string> {
  const headers: Record<string, string> = {
    [WEBHOOK_HEADERS.id]: input.id,
    [WEBHOOK_HEADERS.timestamp]: String(input.timestampSeconds),
  };
  if (input.keys.length > 0) {
    headers[WEBHOOK_HEADERS.signature] = input.keys
      .map((key) => `v1,${webhookSignature(key, input.id, input.timestampSeconds, input.body)}`)
      .join(' ');
  }
  return headers;
}
