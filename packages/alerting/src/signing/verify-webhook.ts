/**
 * Verifies a Standard Webhooks request, pure (the clock is an argument): the three headers are present,
 * the timestamp is within `toleranceMs` of now (either way, against replays), and at least one `v1`
 * signature matches one of the keys (constant-time comparison). Used by the sink; any other receiver can
 * use the reference `standardwebhooks` library instead.
 */
import { timingSafeEqual } from 'node:crypto';
import { WEBHOOK_HEADERS, webhookSignature } from './sign-webhook.js';

export type VerifyResult =
  | { readonly ok: true; readonly id: string; readonly timestampSeconds: number }
  | { readonly ok: false; readonly reason: 'missing-headers' | 'bad-timestamp' | 'stale' | 'bad-signature' };

export const DEFAULT_TOLERANCE_MS = 300_000; // five minutes, as the specification suggests

export function verifyWebhook(
  headers: Readonly<Record<string, string | string[] | undefined>>,
  body: string,
  keys: readonly Buffer[],
  nowMs: number,
  toleranceMs: number = DEFAULT_TOLERANCE_MS,
): VerifyResult {
  const get = (name: string): string | undefined => {
    const value = headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  const id = get(WEBHOOK_HEADERS.id);
  const timestamp = get(WEBHOOK_HEADERS.timestamp);
  const signature = get(WEBHOOK_HEADERS.signature);
  if (!id || !timestamp || !signature) return { ok: false, reason: 'missing-headers' };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'bad-timestamp' };
  const timestampSeconds = Number(timestamp);
  if (Math.abs(nowMs - timestampSeconds * 1_000) > toleranceMs) return { ok: false, reason: 'stale' };
  const offered = signature
    .split(' ')
    .filter((s) => s.startsWith('v1,'))
    .map((s) => Buffer.from(s.slice(3), 'base64'));
  for (const key of keys) {
    const expected = Buffer.from(webhookSignature(key, id, timestampSeconds, body), 'base64');
    if (offered.some((candidate) => candidate.length === expected.length && timingSafeEqual(candidate, expected))) {
      return { ok: true, id, timestampSeconds };
    }
  }
  return { ok: false, reason: 'bad-signature' };
}
