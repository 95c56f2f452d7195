/**
 * A held partition's state, built: its rules (from the alert states restored, none for a partition with no
 * history), its pipeline (the rules' windows, evicted after `replaySpanMs` of silence, sharing the instance's
 * sensor budget), its replay checkpoints, and its offsets as of `start` (the group's committed offset; -1 when
 * it has none: acknowledged and committed -1, consumed from offset 0). Used by restorePartition and by what
 * runs the core without a broker (benchmarks, the core-thread test). Pure: imports nothing that loads the
 * Kafka client.
 */
import type { Logger } from '@sensor-pipeline/shared/core';
import { ReplayCheckpoints } from '../state/replay-checkpoints.js';
import { PartitionPipeline } from './partition-pipeline.js';
import type { PartitionState } from './partition-state.js';
import type { RulesRuntime } from './processor-options.js';
import type { SensorBudget } from './sensor-budget.js';

export interface PartitionStateOptions {
  readonly topic: string;
  readonly partition: number;
  readonly rules: Pick<RulesRuntime, 'windows' | 'createPartitionRules'>;
  readonly log: Logger;
  /** Event time replayed on rebuild; also how long a silent sensor's window is kept, ms. */
  readonly replaySpanMs: number;
  /** Window stats at most once per this much event time per sensor and window, ms; 0 = none. */
  readonly statsIntervalMs: number;
  readonly sensorBudget: SensorBudget;
  readonly now: () => number;
  /** Alert states restored, by fingerprint (encoded records); default none. */
  readonly alertStates?: ReadonlyMap<string, string>;
  /** The group's committed offset; default -1 (none). */
  readonly start?: number;
  /** Readings at or below this offset only refill windows; default -1. */
  readonly asOfOffset?: number;
  /** Where replay restarts as of `start` (the commit metadata); default 0. */
  readonly replayFrom?: number;
}

export function createPartitionState(o: PartitionStateOptions): PartitionState {
  const { topic, partition } = o;
  const rules = o.rules.createPartitionRules(o.alertStates ?? new Map(), o.log);
  const start = o.start ?? -1;
  return {
    topic,
    partition,
    pipeline: new PartitionPipeline({
      topic,
      partition,
      windows: o.rules.windows,
      rules,
      idleEvictMs: o.replaySpanMs,
      statsIntervalMs: o.statsIntervalMs,
      sensorBudget: o.sensorBudget,
      now: o.now,
    }),
    rules,
    checkpoints: new ReplayCheckpoints(o.replaySpanMs),
    asOfOffset: o.asOfOffset ?? -1,
    acknowledged: start,
    acknowledgedReplayFrom: o.replayFrom ?? 0,
    committed: start,
    inFlight: [],
    nextOffset: Math.max(start, 0),
  };
}
