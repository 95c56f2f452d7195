/**
 * The idle-partition clock driver: remembers when each partition last delivered a record (or was assigned),
 * and, for every partition that is caught up and has been silent for `afterMs` (idleAdvanceDue), advances its
 * event clock to the wall clock (PartitionPipeline.idle) so absence alerts fire while data is missing. What a
 * step produces goes out like a batch's outputs, with the partition's unchanged resume point. Time is an
 * argument; the shell sends the batches.
 */
import { BatchOutput } from './batch-output.js';
import { idleAdvanceDue } from './idle-advance-due.js';
import { type PartitionBatch, type PartitionState, partitionBatch } from './partition-state.js';

export interface IdleAdvanceStep {
  readonly nowMs: number;
  /** The partitions held. */
  readonly partitions: Iterable<PartitionState>;
  /** Partitions being rebuilt: left alone. */
  readonly rebuilding: ReadonlySet<number>;
  /** The partition's end offset as the consumer last learnt it; undefined when not known. */
  readonly highWatermark: (topic: string, partition: number) => number | undefined;
  /** Metrics and logs for a partition's outputs. */
  readonly observe: (state: PartitionState, out: BatchOutput) => void;
}

export class IdleAdvancer {
  /** Per partition: when it last delivered a record (or was assigned), wall clock ms. */
  private readonly lastDeliveryMs = new Map<number, number>();

  /** @param afterMs the idle interval; 0 = idle advance is off. */
  constructor(readonly afterMs: number) {}

  /** The partition delivered a record, or was (re)assigned, at `atMs`. */
  delivered(partition: number, atMs: number): void {
    this.lastDeliveryMs.set(partition, atMs);
  }

  /** The partition was given back. */
  forget(partition: number): void {
    this.lastDeliveryMs.delete(partition);
  }

  /**
   * Advances the event clock of every partition that is caught up and idle, and returns what that fires. A
   * partition being rebuilt, with a backlog, or whose end offset the consumer has not learnt yet is left alone.
   */
  advance(step: IdleAdvanceStep): PartitionBatch[] {
    const { nowMs } = step;
    const batches: PartitionBatch[] = [];
    for (const state of step.partitions) {
      if (step.rebuilding.has(state.partition)) continue;
      const due = idleAdvanceDue({
        nowMs,
        lastDeliveryMs: this.lastDeliveryMs.get(state.partition) ?? nowMs,
        afterMs: this.afterMs,
        highWatermark: step.highWatermark(state.topic, state.partition),
        nextOffset: state.nextOffset,
      });
      if (!due) continue; // busy, or a backlog: event time only
      const out = new BatchOutput();
      // a partition that has consumed nothing has no resume point for outputs to go with: it only moves its clock
      state.pipeline.idle(nowMs, out, state.nextOffset > 0);
      if (out.isEmpty || state.nextOffset === 0) continue;
      batches.push(partitionBatch(state, out));
      step.observe(state, out);
    }
    return batches;
  }
}
