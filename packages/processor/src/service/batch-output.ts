/**
 * What one batch of readings produced, collected synchronously while the batch runs through the RxJS
 * pipeline, then produced to Kafka as one unit: alerts, window stats, dead letters, and the alert-state
 * changes (the latest state record per fingerprint). A series back to ok is a record like any other, never a
 * tombstone: its `sinceMs` is what makes re-processed older input a no-op after a restore (see the rule
 * engine's contract).
 */
import type { Alert, WindowStats as WindowStatsRecord } from '@sensor-pipeline/shared/core';

export interface DeadLetter {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Record<string, string>;
  readonly code: string;
}

export class BatchOutput {
  readonly alerts: Alert[] = [];
  readonly stats: WindowStatsRecord[] = [];
  readonly deadLetters: DeadLetter[] = [];
  /** Encoded state record per fingerprint, the latest of the batch; `ok` states included, never tombstones. */
  readonly stateChanges = new Map<string, string>();
  lateCount = 0;

  get isEmpty(): boolean {
    return (
      this.alerts.length === 0 &&
      this.stats.length === 0 &&
      this.deadLetters.length === 0 &&
      this.stateChanges.size === 0
    );
  }
}
