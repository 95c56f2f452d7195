/**
 * Exactly-once transaction handling: one Kafka transaction per batch (ExactlyOnceSink) holds its outputs,
 * the state changes, checkpoints and the consumer offsets. Once it commits, the partitions' acknowledged and
 * committed marks move past the batch. A transaction that aborts rewinds its partitions: their windows hold
 * readings whose outputs were thrown away, so their state is dropped, rebuilt from Kafka, and consuming
 * starts again from the committed offsets. One that can neither commit nor abort (non-retriable) is thrown.
 */
import { isRetriable, type Logger, type RawConsumer, type RdKafka } from '@sensor-pipeline/shared';
import type { ExactlyOnceSink } from './exactly-once-sink.js';
import type { IdleAdvancer } from './idle-advancer.js';
import type { PartitionBatch, PartitionState } from './partition-state.js';
import type { ProcessorMetrics } from './processor-metrics.js';
import type { ResolvedProcessorOptions } from './processor-options.js';
import type { RebalanceHandler } from './rebalance-handler.js';
import { restorePartition } from './restore-partition.js';

export interface TransactionRunnerOptions {
  readonly options: ResolvedProcessorOptions;
  readonly sink: ExactlyOnceSink;
  /** The partitions held, by partition number (the shell's map, shared). */
  readonly partitions: Map<number, PartitionState>;
  readonly consumer: RawConsumer;
  readonly rebalance: RebalanceHandler;
  readonly idle: IdleAdvancer;
  readonly metrics: ProcessorMetrics;
  readonly log: Logger;
  /** Runs a broker step until it succeeds (see untilDone). */
  readonly untilDone: (what: string, step: () => Promise<void>, maxAttempts?: number) => Promise<void>;
}

export class TransactionRunner {
  private since: number | undefined;

  constructor(private readonly o: TransactionRunnerOptions) {}

  /** When the transaction under way started, wall clock ms; undefined when none. */
  get transactionSinceMs(): number | undefined {
    return this.since;
  }

  /**
   * Sends the batches in one transaction; `onCommitted` runs once it committed. An aborted transaction
   * rewinds its partitions (those revoked meanwhile are given back first, not rewound).
   */
  async send(batches: readonly PartitionBatch[], onCommitted: () => void): Promise<void> {
    this.since = Date.now();
    try {
      await this.o.sink.send(batches);
      for (const b of batches) {
        b.state.acknowledged = b.lastOffset + 1;
        b.state.committed = b.lastOffset + 1;
      }
      this.o.metrics.commits.inc();
      onCommitted();
    } catch (err) {
      this.o.metrics.commitFailures.inc();
      if (!isRetriable(err)) throw err;
      this.o.log.warn({ err }, 'transaction aborted; rewinding its partitions to the committed offsets');
      // partitions revoked meanwhile (a commit refused for a lost generation) are given back, not rewound
      await this.o.rebalance.handleRevocations();
      await this.rewind(batches.map((b) => b.state).filter((s) => this.o.partitions.get(s.partition) === s));
    } finally {
      this.since = undefined;
    }
  }

  /**
   * After an aborted transaction: the partitions' windows hold readings whose outputs were thrown away. Drop
   * their state, rebuild it from Kafka, and consume again from the committed offsets.
   */
  private async rewind(states: readonly PartitionState[]): Promise<void> {
    if (states.length === 0) return;
    const { consumer, partitions, options: o, log } = this.o;
    const { rebuilding } = this.o.rebalance;
    const tps = states.map((s) => ({ topic: s.topic, partition: s.partition }));
    try {
      consumer.client.pause(tps);
    } catch (err) {
      // not assigned any more (revoked or leaving): nothing is consumed from them to hold back
      log.warn({ err, partitions: tps }, 'pausing partitions to rewind failed');
    }
    for (const s of states) {
      s.pipeline.close();
      partitions.delete(s.partition);
      rebuilding.add(s.partition);
    }
    let committed: RdKafka.TopicPartitionOffsetAndMetadata[] = [];
    await this.o.untilDone('reading committed offsets', async () => {
      committed = await consumer.committed(tps);
    });
    for (const tp of tps) {
      const c = committed.find((x) => x.partition === tp.partition);
      const offset = c && c.offset >= 0 ? c.offset : undefined;
      await this.o.untilDone(`rebuilding ${tp.topic}[${tp.partition}]`, async () => {
        const result = await restorePartition(
          o,
          o.kafka,
          tp.topic,
          tp.partition,
          { offset, metadata: c?.metadata },
          log.child({ partition: tp.partition }),
        );
        partitions.set(tp.partition, result.state);
        this.o.idle.delivered(tp.partition, o.now());
      });
      await this.o.untilDone(
        `seeking ${tp.topic}[${tp.partition}]`,
        () => seek(consumer.client, { ...tp, offset: offset ?? -2 }),
        10,
      );
      rebuilding.delete(tp.partition);
    }
    try {
      consumer.client.resume(tps);
    } catch (err) {
      log.warn({ err, partitions: tps }, 'resuming rewound partitions failed');
    }
  }
}

function seek(consumer: RdKafka.KafkaConsumer, to: RdKafka.TopicPartitionOffset): Promise<void> {
  return new Promise((resolve, reject) => consumer.seek(to, 5_000, (err) => (err ? reject(err) : resolve())));
}
