/**
 * Puts back what the state topic kept for one alerts-topic partition (read before it is consumed):
 * inhibiting sources, Alertmanager firing sets, what groups notified and when, and parked series. Records
 * of targets no longer configured are ignored. Returns the targets it touched, so the caller can arm their
 * group timers and re-send their firing alerts.
 */

import type { ReceiverTarget } from '../stages/delivery.js';
import type { Inhibitor } from '../stages/inhibit-stage.js';
import type { StateRecord } from './state-record.js';

export interface RestoredState {
  readonly restored: number;
  readonly ignored: number;
  readonly touched: ReadonlySet<ReceiverTarget>;
}

export function restoreState(
  partition: number,
  records: readonly StateRecord[],
  inhibitor: Inhibitor,
  targetById: (id: string) => ReceiverTarget | undefined,
  nowMs: number,
): RestoredState {
  let restored = 0;
  let ignored = 0;
  const touched = new Set<ReceiverTarget>();
  for (const record of records) {
    if (record.kind === 'inhibit') {
      inhibitor.restore(record.alert, partition);
      restored += 1;
      continue;
    }
    const target = targetById(record.target);
    if (!target) {
      ignored += 1;
      continue;
    }
    const { alert, notifiedAtMs, parked } = record.state;
    if (parked) target.parked.set(record.fingerprint, { position: parked, partition });
    if (alert && target.config.type === 'alertmanager') target.firing.set(record.fingerprint, { alert, partition });
    if (alert && target.grouping) {
      const atMs = notifiedAtMs ?? nowMs;
      target.grouping.state.restore(alert, atMs, nowMs);
      target.grouping.notified.set(record.fingerprint, { alert, atMs });
      target.grouping.partitions.set(record.fingerprint, partition);
    }
    touched.add(target);
    restored += 1;
  }
  return { restored, ignored, touched };
}
