/**
 * Writes what a restart must not forget to the state topic (state-record.ts), one series or inhibiting
 * source at a time, in the alerts partition its record came from. Each write encodes the key's current
 * value when it is made (and again on a retry), so the latest state always wins; the records that changed
 * it finish only once the write is acknowledged (`afterWrites`).
 */
import type { Alert, AvroCodec } from '@sensor-pipeline/shared';
import type { ReceiverTarget } from '../stages/delivery.js';
import {
  encodeInhibitState,
  encodeTargetState,
  inhibitStateKey,
  type TargetSeriesState,
  targetStateKey,
} from './state-record.js';

export interface StateWriterOptions {
  /**
   * Writes one record of the state topic to `partition`; resolves true once acknowledged, false when given
   * up at shutdown. Without it nothing is kept (every write resolves true at once).
   */
  readonly write?: (partition: number, key: string, snapshot: () => Buffer | null) => Promise<boolean>;
  readonly codec: AvroCodec<Alert>;
  /** The inhibiting source kept for a fingerprint, as the inhibitor holds it now. */
  readonly inhibitSource: (fingerprint: string) => Alert | undefined;
  /** Registers a write in flight, so the pipeline's `idle` waits for it. */
  readonly track: <T>(promise: Promise<T>) => Promise<T>;
}

export class StateWriter {
  private readonly options: StateWriterOptions;

  constructor(options: StateWriterOptions) {
    this.options = options;
  }

  /** Writes one series of one target (a tombstone once nothing is left of it). */
  target(target: ReceiverTarget, fingerprint: string, partition: number): Promise<boolean> {
    const { write, codec, track } = this.options;
    if (!write || partition < 0) return Promise.resolve(true);
    return track(
      write(partition, targetStateKey(target.id, fingerprint), () =>
        encodeTargetState(targetSeriesState(target, fingerprint), codec),
      ),
    );
  }

  /** Writes one inhibiting source (a tombstone once it is gone). */
  inhibit(fingerprint: string, partition: number): Promise<boolean> {
    const { write, codec, track, inhibitSource } = this.options;
    if (!write || partition < 0) return Promise.resolve(true);
    return track(
      write(partition, inhibitStateKey(fingerprint), () => encodeInhibitState(inhibitSource(fingerprint), codec)),
    );
  }
}

/** What the state topic keeps for one series at one target. */
export function targetSeriesState(target: ReceiverTarget, fingerprint: string): TargetSeriesState {
  const notified = target.grouping?.notified.get(fingerprint);
  return {
    alert: target.firing.get(fingerprint)?.alert ?? notified?.alert,
    notifiedAtMs: notified?.atMs,
    parked: target.parked.get(fingerprint)?.position,
  };
}
