/**
 * The dedup stage, per target: an event id delivered (or dead-lettered) within `dedup.window` is a
 * duplicate and not sent again; one still under way is joined (the record finishes with it) instead of
 * starting a second delivery. Anything else is new.
 */
import type { Delivery, ReceiverTarget } from './delivery.js';

export type DedupVerdict =
  | { readonly kind: 'new' }
  | { readonly kind: 'duplicate' }
  | { readonly kind: 'joined'; readonly delivery: Delivery };

export function dedupStage(target: ReceiverTarget, eventId: string, nowMs: number): DedupVerdict {
  if (target.dedup.has(eventId, nowMs)) return { kind: 'duplicate' };
  const running = target.inflight.get(eventId);
  return running ? { kind: 'joined', delivery: running } : { kind: 'new' };
}
