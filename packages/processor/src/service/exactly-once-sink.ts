/**
 * Output sink for exactly-once delivery: one Kafka transaction per consumed batch holds its alerts, dead
 * letters, stats, every partition's state changes and checkpoint, and the consumer offsets
 * (`sendOffsetsToTransaction`). read_committed readers see all of it or none of it.
 *
 * Errors follow the client's contract: a retriable commit failure is retried (the same commit call may
 * succeed); an abortable one aborts the transaction, and `send` rejects with a retriable `TRANSACTION_FAILED`:
 * the caller rewinds the batch's partitions to their committed offsets and rebuilds their state (their
 * readings are in the windows already). A fatal error (fenced by a newer instance with the same
 * transactional id), or an abort that itself fails, rejects with a non-retriable error: the service stops, so
 * no transaction is ever left open behind it. A record the broker refuses for itself (too large for its topic,
 * invalid) aborts the transaction like any failed record; the transaction is then made again record by record,
 * each refused output replaced by its DLQ record (a refused state record is dropped), so the stream goes on.
 */
import {
  type LibrdkafkaError,
  type Logger,
  PipelineError,
  type RawProducer,
  type RawRecord,
  type RdKafka,
} from '@sensor-pipeline/shared';
import { type OutputRecords, type OutputSource, RECORD_REFUSALS } from './output-records.js';
import type { PartitionBatch } from './partition-state.js';

export interface ExactlyOnceSinkOptions {
  /** How long one transactional call may take, ms. */
  readonly callTimeoutMs?: number;
  /** Attempts of a commit or abort that fails with a retriable error. */
  readonly attempts?: number;
  /** Wait before the first retry, doubled each time, ms. */
  readonly retryBackoffMs?: number;
}

export class ExactlyOnceSink {
  private readonly callTimeoutMs: number;
  private readonly attempts: number;
  private readonly retryBackoffMs: number;

  constructor(
    private readonly producer: RawProducer,
    private readonly consumer: RdKafka.KafkaConsumer,
    private readonly records: OutputRecords,
    private readonly log: Logger,
    options: ExactlyOnceSinkOptions = {},
  ) {
    this.callTimeoutMs = options.callTimeoutMs ?? 30_000;
    this.attempts = options.attempts ?? 10;
    this.retryBackoffMs = options.retryBackoffMs ?? 200;
  }

  async send(batches: readonly PartitionBatch[]): Promise<void> {
    const records: RawRecord[] = [];
    /** Per record, where its batch came from; undefined for state records (dropped if refused). */
    const sources: (OutputSource | undefined)[] = [];
    const offsets: RdKafka.TopicPartitionOffset[] = [];
    for (const b of batches) {
      const source = { topic: b.state.topic, partition: b.state.partition, offset: String(b.lastOffset) };
      this.records.appendOutputs(b.out, records, source);
      while (sources.length < records.length) sources.push(source);
      this.records.appendState(b.state.topic, b.state.partition, b.out, b.lastOffset, b.replayFrom, records);
      while (sources.length < records.length) sources.push(undefined);
      offsets.push({ topic: b.state.topic, partition: b.state.partition, offset: b.lastOffset + 1 });
    }
    const what = offsets.map((o) => `${o.topic}[${o.partition}]@${o.offset}`).join(' ');
    // records the broker refused for themselves, by index: their DLQ record, or null (a state record, dropped)
    const replaced = new Map<number, RawRecord | null>();
    let oneByOne = false;
    for (let round = 0; ; round++) {
      try {
        await this.producer.beginTransaction();
        if (oneByOne) await this.produceOneByOne(records, sources, replaced);
        else await this.producer.produceBatch(records);
        await this.producer.sendOffsetsToTransaction(offsets, this.consumer, this.callTimeoutMs);
        await this.retrying('commit', () => this.producer.commitTransaction(this.callTimeoutMs));
        return;
      } catch (err) {
        if ((err as LibrdkafkaError).fatal) {
          throw new PipelineError('TRANSACTION_FAILED', `transaction up to ${what} failed for good`, {
            cause: err,
            retriable: false,
          });
        }
        try {
          await this.retrying('abort', () => this.producer.abortTransaction(this.callTimeoutMs));
        } catch (abortErr) {
          throw new PipelineError(
            'TRANSACTION_FAILED',
            `transaction up to ${what} could neither commit nor abort: ${(abortErr as Error).message}`,
            { cause: err, retriable: false },
          );
        }
        // a record refused for itself: the transaction again, record by record, with each refused one set aside
        if (this.refusesRecord(err) && round <= records.length) {
          if (!oneByOne)
            this.log.warn({ err, what }, 'a record was refused; producing the transaction record by record');
          oneByOne = true;
          continue;
        }
        throw new PipelineError('TRANSACTION_FAILED', `transaction up to ${what} aborted: ${(err as Error).message}`, {
          cause: err,
          retriable: true,
        });
      }
    }
  }

  /** Produces the records one at a time; the first one refused for itself gets its replacement, then rejects. */
  private async produceOneByOne(
    records: readonly RawRecord[],
    sources: readonly (OutputSource | undefined)[],
    replaced: Map<number, RawRecord | null>,
  ): Promise<void> {
    for (let i = 0; i < records.length; i++) {
      const record = replaced.has(i) ? replaced.get(i)! : records[i]!;
      if (record === null) continue;
      try {
        await this.producer.produceBatch([record]);
      } catch (err) {
        if (this.refusesRecord(err) && !replaced.has(i)) {
          const e = err as LibrdkafkaError;
          const source = sources[i];
          this.log.warn({ err, topic: record.topic }, 'output record refused; set aside to the DLQ');
          replaced.set(i, source ? this.records.refused(record, e.kafkaCode, e.message, source) : null);
        }
        throw err;
      }
    }
  }

  private refusesRecord(err: unknown): boolean {
    const code = (err as Partial<LibrdkafkaError>).kafkaCode;
    return code !== undefined && RECORD_REFUSALS.has(code) && this.producer.fatalError === undefined;
  }

  /** Runs a transactional call, again while it fails with a retriable (not abortable, not fatal) error. */
  private async retrying(what: string, call: () => Promise<void>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await call();
      } catch (err) {
        const e = err as LibrdkafkaError;
        if (!e.retriable || e.abortable || e.fatal || attempt >= this.attempts) throw err;
        const waitMs = this.retryBackoffMs * 2 ** Math.min(attempt - 1, 6);
        this.log.warn({ err, attempt, waitMs }, 'transaction %s failed with a retriable error; retrying', what);
        await new Promise((resolve) => setTimeout(resolve, waitMs));
      }
    }
  }
}
