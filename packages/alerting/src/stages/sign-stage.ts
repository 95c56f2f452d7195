/**
 * The sign stage: Standard Webhooks headers for one attempt — `webhook-id` (the alert's event id, the same
 * on every retry and redelivery; for a group notification a hash of the group and its alerts), `webhook-timestamp` (this attempt) and, when the receiver has keys,
 * `webhook-signature` with one `v1,` signature per key.
 */
import { createHash } from 'node:crypto';
import { signWebhook } from '../signing/sign-webhook.js';
import type { Delivery } from './delivery.js';

/** A group notification's id: the same for the same group and alerts (on every retry and after a replay). */
export function notificationId(delivery: Delivery): string {
  const n = delivery.notification;
  if (!n) return delivery.alert.eventId;
  const hash = createHash('sha256').update(n.key);
  for (const a of n.alerts) hash.update(`\u0000${a.eventId}`);
  return `grp_${hash.digest('hex').slice(0, 24)}`;
}

export function signStage(delivery: Delivery, body: string, nowMs: number): Record<string, string> {
  return signWebhook({
    id: notificationId(delivery),
    timestampSeconds: Math.floor(nowMs / 1_000),
    body,
    keys: delivery.target.config.signingKeys.reveal(),
  });
}
