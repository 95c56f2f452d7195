/**
 * The sign stage: Standard Webhooks headers for one attempt — `webhook-id` (the alert's event id, the same
 * on every retry and redelivery), `webhook-timestamp` (this attempt) and, when the receiver has keys,
 * `webhook-signature` with one `v1,` signature per key.
 */
import { signWebhook } from '../signing/sign-webhook.js';
import type { Delivery } from './delivery.js';

export function signStage(delivery: Delivery, body: string, nowMs: number): Record<string, string> {
  return signWebhook({
    id: delivery.alert.eventId,
    timestampSeconds: Math.floor(nowMs / 1_000),
    body,
    keys: delivery.target.config.signingKeys.reveal(),
  });
}
