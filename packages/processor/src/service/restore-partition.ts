/**
 * Rebuilds a readings partition's state before it is consumed: alert states and the checkpoint from the
 * co-partitioned compacted state topic, then windows by replaying readings from `replayFrom` up to the
 * committed offset without publishing.
 *
 * The restored state is proved to match the committed offset. Exactly-once writes a checkpoint in every
 * transaction together with the offsets, so `asOfOffset + 1` must equal the committed offset; a checkpoint
 * behind it (the state partition's last stable offset held back by a predecessor's still-open transaction)
 * is caught up by running the readings in between through the rules, outputs discarded: the same input gives
 * the same transitions, which were published when those readings were first processed. At-least-once
 * commits only after a batch's state records are acknowledged and every transition is recorded, so its
 * rule state as of the checkpoint is the state as of the committed offset.
 */
import {
  type KafkaSettings,
  type Logger,
  readPartitionRange,
  SensorReadingDecoder,
  sensorReadingCodec,
} from '@sensor-pipeline/shared';
import { AlertStateFolder } from '../state/alert-state-records.js';
import { BatchOutput } from './batch-output.js';
import { createPartitionState } from './create-partition-state.js';
import { decodeReadings, releaseRecordBytes } from './decode-readings.js';
import type { ReadingEnvelope } from './partition-pipeline.js';
import type { PartitionState } from './partition-state.js';
import type { ResolvedProcessorOptions } from './processor-options.js';

export interface CommittedPosition {
  /** The group's committed offset; undefined when it has none. */
  readonly offset: number | undefined;
  /** The commit's metadata (`{"replayFrom":n}`), if any. */
  readonly metadata: string | null | undefined;
}

export interface RestoreResult {
  readonly state: PartitionState;
  readonly replayed: number;
  readonly alertStates: number;
  /** Readings run through the rules to catch a stale checkpoint up (0 when it matched). */
  readonly caughtUp: number;
}

export async function restorePartition(
  options: ResolvedProcessorOptions,
  kafka: KafkaSettings,
  topic: string,
  partition: number,
  committed: CommittedPosition,
  log: Logger,
): Promise<RestoreResult> {
  const codec = new SensorReadingDecoder(sensorReadingCodec());
  let replayFrom: number | undefined;
  try {
    const meta = committed.metadata ? (JSON.parse(committed.metadata) as { replayFrom?: number }) : undefined;
    if (Number.isSafeInteger(meta?.replayFrom)) replayFrom = meta!.replayFrom;
  } catch {
    // metadata written by something else: replay from the checkpoint instead
  }

  const folder = new AlertStateFolder(topic, partition);
  await readPartitionRange(kafka, {
    topic: options.topics.alertState,
    partition,
    fromOffset: 0,
    onBatch: (messages) => {
      for (const m of messages) folder.add(m.key, m.value);
    },
  });
  const checkpoint = folder.checkpoint;
  replayFrom ??= checkpoint?.replayFrom;
  const committedOffset = committed.offset;

  let evaluateAfter = Number.POSITIVE_INFINITY;
  if (options.delivery === 'exactly-once' && committedOffset !== undefined) {
    const asOf = checkpoint?.asOfOffset ?? -1;
    if (asOf + 1 < committedOffset) {
      evaluateAfter = asOf;
      replayFrom = Math.min(replayFrom ?? 0, checkpoint?.replayFrom ?? 0);
      log.warn(
        { topic, partition, checkpointAsOf: asOf, committedOffset, replayFrom },
        'state checkpoint behind the committed offset; replaying the readings in between through the rules',
      );
    }
  }

  const start = committedOffset ?? -1;
  const state = createPartitionState({
    topic,
    partition,
    rules: options.rules,
    log,
    replaySpanMs: options.replaySpanMs,
    statsIntervalMs: options.statsIntervalMs,
    sensorBudget: options.sensorBudget,
    now: options.now,
    alertStates: folder.states,
    start,
    // after a catch-up replay the rules are as of the committed offset
    asOfOffset: Number.isFinite(evaluateAfter) ? start - 1 : (checkpoint?.asOfOffset ?? -1),
    replayFrom: replayFrom ?? 0,
  });
  const { pipeline, checkpoints } = state;

  let replayed = 0;
  let caughtUp = 0;
  if (committedOffset !== undefined && replayFrom !== undefined && replayFrom < committedOffset) {
    const envelopes: ReadingEnvelope[] = [];
    replayed = await readPartitionRange(kafka, {
      topic,
      partition,
      fromOffset: replayFrom,
      toOffset: committedOffset,
      onBatch: (messages) => {
        envelopes.length = 0;
        decodeReadings(
          messages,
          0,
          messages.length,
          {
            topic,
            partition,
            codec,
            limits: options.limits,
            nowMs: options.now(),
            checkpoints,
            evaluateAfter,
            live: false,
          },
          envelopes,
        );
        for (const e of envelopes) if (e.evaluate) caughtUp++;
        // outputs discarded: alerts and state of these readings were published when they were first processed
        pipeline.run(envelopes, new BatchOutput(), false);
        releaseRecordBytes(envelopes);
      },
    });
  }
  return { state, replayed, alertStates: folder.states.size, caughtUp };
}
