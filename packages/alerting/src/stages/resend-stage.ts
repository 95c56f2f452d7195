/**
 * The resend stage of an Alertmanager target: keeps its firing set (the newest FIRING per fingerprint,
 * dropped once RESOLVED) and, every resend interval, queues a re-send of each firing alert behind whatever
 * its fingerprint has queued — so a RESOLVED is never overtaken by an older FIRING — skipping fingerprints
 * with work already queued (that work carries a fresh endsAt itself). Prometheus does the same, so
 * Alertmanager keeps an alert active exactly while it holds.
 */
import type { Alert } from '@sensor-pipeline/shared';
import type { Delivery, ReceiverTarget, SourceRecord } from './delivery.js';

/** A re-send is not a record of the alerts topic: it has no source and is never dead-lettered. */
const RESEND_SOURCE: SourceRecord = { topic: '', partition: -1, offset: '-1', key: null, value: null };

/**
 * Updates a target's firing set with an alert routed to it from `partition` of the alerts topic; true when
 * the set changed (what the state topic keeps for a restart).
 */
export function trackFiring(target: ReceiverTarget, alert: Alert, partition: number): boolean {
  if (target.config.type !== 'alertmanager') return false;
  if (alert.status === 'RESOLVED') return target.firing.delete(alert.fingerprint);
  const before = target.firing.get(alert.fingerprint);
  target.firing.set(alert.fingerprint, { alert, partition });
  return before?.alert.eventId !== alert.eventId;
}

/** Forgets the firing alerts of revoked partitions, so only their new owner keeps re-sending them. */
export function releaseFiring(target: ReceiverTarget, partitions: readonly number[]): void {
  for (const [fingerprint, entry] of target.firing)
    if (partitions.includes(entry.partition)) target.firing.delete(fingerprint);
}

/** Queues a re-send of every firing alert of `target`; returns how many were queued. */
export function resendStage(target: ReceiverTarget, nowMs: number): number {
  let queued = 0;
  for (const { alert } of target.firing.values()) {
    if (target.queue.hasKey(alert.fingerprint)) continue;
    const delivery: Delivery = {
      kind: 'resend',
      target,
      alert,
      source: RESEND_SOURCE,
      acceptedAtMs: nowMs,
      attempts: 0,
      waiters: [],
    };
    target.queue.push(delivery);
    queued += 1;
  }
  return queued;
}
