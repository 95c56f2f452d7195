/**
 * Judges a faulted run against the oracle (a clean run of the same input): alert ids the oracle has and the
 * run lacks are lost, ids the oracle never produced are unexpected, ids seen more than once are duplicated.
 * Lost or unexpected ids fail every mode; duplicates fail exactly-once and are only reported at-least-once
 * (a redelivery repeats an event under its own id). A committed-offset gap left after the run fails too.
 */
import type { DeliveryMode } from './chaos-options.js';

export interface AlertEvent {
  readonly eventId: string;
  readonly rule: string;
  readonly deviceId: string;
  readonly status: string;
  readonly startsAt: number;
}

export interface AlertComparison {
  readonly expected: number;
  readonly received: number;
  readonly lost: readonly AlertEvent[];
  /** One entry per extra copy. */
  readonly duplicated: readonly AlertEvent[];
  readonly unexpected: readonly AlertEvent[];
}

export function compareAlerts(oracle: readonly AlertEvent[], received: readonly AlertEvent[]): AlertComparison {
  const expected = new Map(oracle.map((a) => [a.eventId, a]));
  const seen = new Set<string>();
  const duplicated: AlertEvent[] = [];
  const unexpected: AlertEvent[] = [];
  for (const a of received) {
    if (seen.has(a.eventId)) duplicated.push(a);
    else if (!expected.has(a.eventId)) unexpected.push(a);
    seen.add(a.eventId);
  }
  const lost = [...expected.values()].filter((a) => !seen.has(a.eventId));
  return { expected: expected.size, received: received.length, lost, duplicated, unexpected };
}

/** Why a run fails, or an empty list when it passes. */
export function verdict(comparison: AlertComparison, offsetGap: number, delivery: DeliveryMode): string[] {
  const reasons: string[] = [];
  if (comparison.lost.length > 0) reasons.push(`${comparison.lost.length} lost`);
  if (comparison.unexpected.length > 0) reasons.push(`${comparison.unexpected.length} unexpected`);
  if (delivery === 'exactly-once' && comparison.duplicated.length > 0)
    reasons.push(`${comparison.duplicated.length} duplicated in exactly-once mode`);
  if (offsetGap !== 0) reasons.push(`committed offsets ${offsetGap} behind the readings`);
  return reasons;
}

export function describeAlert(a: AlertEvent): string {
  return `${a.eventId.slice(0, 12)} ${a.rule} ${a.deviceId} ${a.status} @${a.startsAt}`;
}
