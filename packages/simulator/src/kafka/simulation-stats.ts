/**
 * Counters of a running simulation, read by the progress line, the metrics endpoint and the summary:
 * messages handed to the Kafka client, acknowledged by the broker (acks=all), failed after the client's
 * retries, and still in flight; poison records by kind; failure reasons with counts.
 */
import type { PoisonKind } from '../core/poison.js';

export interface SimulationStats {
  /** Messages handed to the Kafka client. */
  produced: number;
  /** Messages the broker acknowledged. */
  acked: number;
  /** Messages that failed after the client's retries (or could not be queued). */
  failed: number;
  /** Wall-clock time the run started, Unix epoch ms. */
  startedAtMs: number;
  /** Event time of the newest reading produced, Unix epoch ms (0 before the first). */
  eventTimeMs: number;
  poison: Record<PoisonKind, number>;
  /** Failure reason → messages. */
  failures: Map<string, number>;
}

export function emptyStats(startedAtMs: number): SimulationStats {
  return {
    produced: 0,
    acked: 0,
    failed: 0,
    startedAtMs,
    eventTimeMs: 0,
    poison: { 'random-bytes': 0, 'truncated-avro': 0, 'nan-value': 0, 'future-timestamp': 0 },
    failures: new Map(),
  };
}

export function inFlight(stats: SimulationStats): number {
  return stats.produced - stats.acked - stats.failed;
}

export interface SimulationSummary {
  readonly produced: number;
  readonly acked: number;
  readonly failed: number;
  /** Produced but neither acknowledged nor failed when the run gave up waiting (shutdown deadline). */
  readonly unconfirmed: number;
  readonly poison: Readonly<Record<PoisonKind, number>>;
  readonly poisonTotal: number;
  readonly failures: Readonly<Record<string, number>>;
  readonly elapsedMs: number;
  /** Acknowledged messages per second of wall time. */
  readonly ackedPerSecond: number;
  readonly firstEventTimeMs: number | null;
  readonly lastEventTimeMs: number | null;
  /** Why the run ended: complete (count/duration reached), stopped (signal or stop()), or failed. */
  readonly reason: 'complete' | 'stopped' | 'failed';
  /** True when every produced message was acknowledged. */
  readonly ok: boolean;
}
