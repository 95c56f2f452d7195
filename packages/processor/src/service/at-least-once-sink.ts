/**
 * Output sink for at-least-once delivery: a consumed batch's alerts, dead letters and stats are produced as
 * one batch of records (one promise, resolved by delivery reports), then — only once those are acknowledged —
 * each partition's state changes and checkpoint, so the state topic never claims an alert that is not there.
 * The caller commits input offsets after `send` resolves; a crash before that re-processes the readings and
 * repeats outputs with the same deterministic event ids.
 */
import type { RawProducer, RawRecord } from '@sensor-pipeline/shared';
import type { OutputRecords } from './output-records.js';
import type { PartitionBatch } from './partition-state.js';

export class AtLeastOnceSink {
  constructor(
    private readonly producer: RawProducer,
    private readonly records: OutputRecords,
  ) {}

  async send(batches: readonly PartitionBatch[]): Promise<void> {
    const outputs: RawRecord[] = [];
    for (const b of batches)
      this.records.appendOutputs(b.out, outputs, {
        topic: b.state.topic,
        partition: b.state.partition,
        offset: String(b.lastOffset),
      });
    await this.producer.produceBatch(outputs);
    const state: RawRecord[] = [];
    for (const b of batches) {
      if (b.out.stateChanges.size > 0)
        this.records.appendState(b.state.topic, b.state.partition, b.out, b.lastOffset, b.replayFrom, state);
    }
    await this.producer.produceBatch(state);
  }
}
