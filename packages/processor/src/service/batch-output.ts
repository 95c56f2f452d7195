/**
 * What one batch of readings produced, collected synchronously while the batch runs through the RxJS
 * pipeline, then produced to Kafka as one unit: alerts, window stats, dead letters, and the alert-state
 * changes (snapshot per fingerprint, or null when a series returned to ok).
 */
import type { Alert, WindowStats as WindowStatsRecord } from '@sensor-pipeline/shared';

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
  /** Encoded state record per fingerprint; null = tombstone (the series is back to ok). */
  readonly stateChanges = new Map<string, string | null>();
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
