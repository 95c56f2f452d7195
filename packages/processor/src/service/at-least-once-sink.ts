/**
 * Output sink for at-least-once delivery: a consumed batch's alerts, dead letters and stats are produced as
 * one batch of records (one promise, resolved by delivery reports), then — only once those are acknowledged —
 * each partition's state changes and checkpoint, so the state topic never claims an alert that is not there.
 * The caller commits input offsets after `send` resolves; a crash before that re-processes the readings and
 * repeats outputs with the same deterministic event ids.
 */
import type { LibrdkafkaError, Logger, RawProducer, RawRecord } from '@sensor-pipeline/shared';
import { type OutputRecords, type OutputSource, RECORD_REFUSALS } from './output-records.js';
import type { PartitionBatch } from './partition-state.js';

export class AtLeastOnceSink {
  constructor(
    private readonly producer: RawProducer,
    private readonly records: OutputRecords,
    private readonly log?: Logger,
  ) {}

  async send(batches: readonly PartitionBatch[]): Promise<void> {
    const outputs: RawRecord[] = [];
    const sources: OutputSource[] = [];
    for (const b of batches) {
      const source = { topic: b.state.topic, partition: b.state.partition, offset: String(b.lastOffset) };
      this.records.appendOutputs(b.out, outputs, source);
      while (sources.length < outputs.length) sources.push(source);
    }
    await this.produceSettingAside(outputs, sources);
    const state: RawRecord[] = [];
    for (const b of batches) {
      if (b.out.stateChanges.size > 0)
        this.records.appendState(b.state.topic, b.state.partition, b.out, b.lastOffset, b.replayFrom, state);
    }
    await this.produceSettingAside(state, []);
  }

  /**
   * Produces `records`; when one is refused for itself (too large for the topic, invalid), the batch is produced
   * again record by record (repeats carry the same event ids) and each refused record is replaced by its DLQ
   * record, so the stream goes on. Any other failure — the broker or the producer as a whole — rejects.
   */
  private async produceSettingAside(records: readonly RawRecord[], sources: readonly OutputSource[]): Promise<void> {
    try {
      await this.producer.produceBatch(records);
      return;
    } catch (err) {
      if (!this.refusesRecord(err)) throw err;
      this.log?.warn({ err, records: records.length }, 'a record was refused; producing the batch record by record');
    }
    for (let i = 0; i < records.length; i++) {
      const record = records[i]!;
      try {
        await this.producer.produceBatch([record]);
      } catch (err) {
        if (!this.refusesRecord(err)) throw err;
        const e = err as LibrdkafkaError;
        this.log?.warn({ err, topic: record.topic }, 'output record refused; set aside to the DLQ');
        await this.producer.produceBatch([this.records.refused(record, e.kafkaCode, e.message, sources[i])]);
      }
    }
  }

  private refusesRecord(err: unknown): boolean {
    const code = (err as Partial<LibrdkafkaError>).kafkaCode;
    return code !== undefined && RECORD_REFUSALS.has(code) && this.producer.fatalError === undefined;
  }
}
