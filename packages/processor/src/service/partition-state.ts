/**
 * What the shell holds per assigned readings partition: its pipeline (windows → rules), where replay would
 * restart, and how far its outputs are acknowledged and its offsets committed. Created by
 * `restorePartition`, dropped on revocation or when a failed transaction leaves it ahead of Kafka.
 */
import type { ReplayCheckpoints } from '../state/replay-checkpoints.js';
import type { BatchOutput } from './batch-output.js';
import type { PartitionPipeline, PartitionRules } from './partition-pipeline.js';

/** A batch of the partition whose outputs are in flight (at-least-once). */
export interface InFlightMark {
  readonly lastOffset: number;
  readonly replayFrom: number;
  settled: boolean;
}

export interface PartitionState {
  readonly topic: string;
  readonly partition: number;
  readonly pipeline: PartitionPipeline;
  readonly rules: PartitionRules;
  readonly checkpoints: ReplayCheckpoints;
  /** Readings at or below this offset only refill windows (their effect is in the restored state). */
  readonly asOfOffset: number;
  /** The offset after the newest batch whose outputs, and all before them, are acknowledged. */
  acknowledged: number;
  /** Where replay would restart as of `acknowledged`: the commit metadata. */
  acknowledgedReplayFrom: number;
  /** The offset the group coordinator has, as far as this instance knows (-1: none). */
  committed: number;
  /** Batches whose outputs are not acknowledged yet, oldest first. */
  readonly inFlight: InFlightMark[];
  /** The next offset expected from the consumer; a record below it is a repeat and is skipped. */
  nextOffset: number;
}

/** One partition's share of a consumed batch: what it produced and how far it reached. */
export interface PartitionBatch {
  readonly state: PartitionState;
  readonly out: BatchOutput;
  readonly lastOffset: number;
  readonly replayFrom: number;
}

/**
 * The partition's outputs as a batch reaching up to its next offset (exclusive), at the replay point its
 * checkpoints give (or right after the batch): how a consumed batch, an idle step and a rules reload hand
 * their outputs to the shell.
 */
export function partitionBatch(state: PartitionState, out: BatchOutput): PartitionBatch {
  const lastOffset = state.nextOffset - 1;
  return { state, out, lastOffset, replayFrom: state.checkpoints.replayFrom() ?? lastOffset + 1 };
}
