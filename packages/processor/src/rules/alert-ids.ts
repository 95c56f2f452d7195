/**
 * The two identities of an alert, both pure functions of event data so that a replay after a crash or a
 * rebalance reproduces them exactly:
 * - fingerprint: the alert series, (rule name, deviceId, metric) for a sensor, (rule name, deviceId) for a
 *   device, (rule name, the group's labels) for a label group, the rule name alone for the fleet; FIRING and
 *   its RESOLVED share it, and it keys the series' record in the alert-state topic;
 * - event id: one state change, (fingerprint, status, startsAt). startsAt is event time and a series changes
 *   state at most once per event-time millisecond, so two different changes never share an id, and the same
 *   change computed twice (a replay, a retry) always does: consumers deduplicate on it.
 *
 * SHA-256 over an unambiguous JSON encoding of the parts, truncated: 16 hex digits (64 bits) for the
 * fingerprint, 32 (128 bits) for the event id. Computed only when a state changes, never per reading.
 */
import { createHash } from 'node:crypto';

export function alertFingerprint(rule: string, deviceId: string, metric: string): string {
  return sha256Hex(JSON.stringify([rule, deviceId, metric])).slice(0, 16);
}

/** A device-scope series: the metric is left empty (never a metric name, so it cannot meet a sensor's). */
export function deviceFingerprint(rule: string, deviceId: string): string {
  return alertFingerprint(rule, deviceId, '');
}

/** A group-scope series: the group's label values in the rule's `by` order; a fleet series: no labels. */
export function groupFingerprint(
  rule: string,
  scope: 'group' | 'fleet',
  group: readonly (readonly [string, string])[],
) {
  return sha256Hex(JSON.stringify([rule, scope, group])).slice(0, 16);
}

export function alertEventId(fingerprint: string, status: 'FIRING' | 'RESOLVED', startsAtMs: number): string {
  return sha256Hex(JSON.stringify([fingerprint, status, startsAtMs])).slice(0, 32);
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
