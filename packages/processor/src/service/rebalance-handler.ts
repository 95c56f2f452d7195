/**
 * The processor's rebalance handling (cooperative-sticky): on assignment the partitions are rebuilt
 * (restorePartition, in parallel) before they are handed to the consumer, so nothing is consumed from a
 * partition whose state is not there yet; on revocation — handled by the consume loop between batches, so the
 * outputs of the batch in hand are part of the drain — in-flight outputs are awaited and offsets committed
 * (at-least-once) before state is dropped and the partitions are given back. Also knows which partitions are
 * being rebuilt and since when the instance holds none, for readiness.
 */
import type { Logger, RawConsumer, RdKafka } from '@sensor-pipeline/shared';
import type { CommitKeeper } from './commit-keeper.js';
import type { IdleAdvancer } from './idle-advancer.js';
import type { PartitionState } from './partition-state.js';
import type { ProcessorMetrics } from './processor-metrics.js';
import type { ResolvedProcessorOptions } from './processor-options.js';
import { restorePartition } from './restore-partition.js';

/** A revocation waiting for the consume loop. */
export interface RevokeEvent {
  readonly partitions: readonly RdKafka.TopicPartition[];
  readonly lost: boolean;
}

export interface RebalanceHandlerOptions {
  readonly options: ResolvedProcessorOptions;
  /** The partitions held, by partition number (the shell's map, shared). */
  readonly partitions: Map<number, PartitionState>;
  /** The group's consumer; asked only once the service has started. */
  readonly consumer: () => RawConsumer;
  readonly commits: CommitKeeper;
  readonly idle: IdleAdvancer;
  readonly metrics: ProcessorMetrics;
  readonly log: Logger;
  /** Runs a broker step until it succeeds (see untilDone). */
  readonly untilDone: (what: string, step: () => Promise<void>) => Promise<void>;
  readonly failed: () => boolean;
  readonly stopping: () => boolean;
  /** The service cannot go on. */
  readonly fail: (err: Error) => void;
  /** The partitions held changed: gauges that depend on them are brought up to date. */
  readonly partitionsChanged: () => void;
}

export class RebalanceHandler {
  /** Partitions being rebuilt before they are assigned to the consumer (or after a rewind). */
  readonly rebuilding = new Set<number>();
  /** Revocations not yet handled by the consume loop, oldest first. */
  private readonly revocations: RevokeEvent[] = [];
  /** When this instance last held no partitions while running; undefined while it holds some. */
  private holdingNoneSince: number | undefined;
  private assignedOnce = false;
  private leaving = false;

  constructor(private readonly o: RebalanceHandlerOptions) {}

  /** When this instance last held no partitions while running, wall clock ms; undefined while it holds some. */
  get holdingNoneSinceMs(): number | undefined {
    return this.holdingNoneSince;
  }

  /** Whether partitions were ever assigned to this instance. */
  get everAssigned(): boolean {
    return this.assignedOnce;
  }

  /** The service started at `nowMs`, holding no partitions. */
  started(nowMs: number): void {
    this.holdingNoneSince = nowMs;
  }

  /** Leaving the group: state is committed and dropped already, rebalances just assign and unassign. */
  leave(): void {
    this.leaving = true;
  }

  /** The consumer's rebalance callback. */
  onRebalance(event: 'assign' | 'revoke', partitions: readonly RdKafka.TopicPartition[], lost: boolean): void {
    if (this.leaving) {
      // leaving the group: state is committed and dropped already
      if (event === 'revoke') this.o.consumer()?.unassign(partitions);
      else this.o.consumer()?.assign(partitions);
      return;
    }
    if (event === 'assign') {
      for (const p of partitions) this.rebuilding.add(p.partition);
      this.holdingNoneSince = undefined;
      this.rebuildAndAssign(partitions).catch((err: unknown) => {
        if (!this.o.stopping()) this.o.fail(err as Error);
      });
    } else {
      // handled by the consume loop between batches: outputs of the batch in hand are part of the drain
      this.revocations.push({ partitions, lost });
    }
  }

  /** Handles the revocations received so far, oldest first (between batches). */
  async handleRevocations(): Promise<void> {
    while (this.revocations.length > 0) await this.handleRevoke(this.revocations.shift()!);
  }

  /** Brings the partition count and the holding-none clock up to date, then the other gauges. */
  updatePartitionGauges(): void {
    this.o.metrics.partitions.set(this.o.partitions.size);
    if (this.o.partitions.size > 0 || this.rebuilding.size > 0) this.holdingNoneSince = undefined;
    else this.holdingNoneSince ??= Date.now();
    this.o.partitionsChanged();
  }

  /** Rebuilds every newly assigned partition (in parallel), then hands them all to the consumer. */
  private async rebuildAndAssign(partitions: readonly RdKafka.TopicPartition[]): Promise<void> {
    const { options: o, metrics } = this.o;
    const started = Date.now();
    let committed: RdKafka.TopicPartitionOffsetAndMetadata[] = [];
    await this.o.untilDone('reading committed offsets', async () => {
      committed = await this.o.consumer().committed(partitions);
    });
    await Promise.all(
      partitions.map(async (tp) => {
        const c = committed.find((x) => x.partition === tp.partition);
        const offset = c && c.offset >= 0 ? c.offset : undefined;
        await this.o.untilDone(`rebuilding ${tp.topic}[${tp.partition}]`, async () => {
          const log = this.o.log.child({ partition: tp.partition });
          const result = await restorePartition(
            o,
            o.kafka,
            tp.topic,
            tp.partition,
            { offset, metadata: c?.metadata },
            log,
          );
          this.o.partitions.get(tp.partition)?.pipeline.close();
          this.o.partitions.set(tp.partition, result.state);
          this.o.idle.delivered(tp.partition, o.now());
          metrics.readings.inc({ outcome: 'replayed' }, result.replayed);
          log.info(
            {
              topic: tp.topic,
              partition: tp.partition,
              committedOffset: offset ?? null,
              replayed: result.replayed,
              caughtUp: result.caughtUp,
              alertStates: result.alertStates,
              asOfOffset: result.state.asOfOffset,
            },
            'partition state rebuilt',
          );
        });
      }),
    );
    if (this.o.failed() || this.o.stopping()) return;
    metrics.rebuildSeconds.observe((Date.now() - started) / 1000);
    // the consumer starts at the committed offsets (the group's own), where the rebuilt state ends
    this.o.consumer().assign(
      partitions.map((tp) => {
        const state = this.o.partitions.get(tp.partition);
        return state && state.committed >= 0
          ? { topic: tp.topic, partition: tp.partition, offset: state.committed }
          : { topic: tp.topic, partition: tp.partition };
      }),
    );
    for (const p of partitions) this.rebuilding.delete(p.partition);
    this.assignedOnce = true;
    this.updatePartitionGauges();
  }

  /** Revoked partitions: wait for their outputs, commit, drop state, give them back. */
  private handleRevoke(event: RevokeEvent): Promise<void> | void {
    const { partitions, commits } = this.o;
    const states = event.partitions
      .map((tp) => partitions.get(tp.partition))
      .filter((s): s is PartitionState => s !== undefined);
    const finish = (): void => {
      if (!event.lost && this.o.options.delivery === 'at-least-once') {
        for (const s of states) commits.settle(s);
        commits.commitSync(states);
      }
      for (const s of states) {
        s.pipeline.close();
        partitions.delete(s.partition);
        this.o.idle.forget(s.partition);
        commits.forget(s);
      }
      this.o.consumer().unassign(event.partitions);
      this.updatePartitionGauges();
    };
    const pending = commits.whenPendingSettled();
    if (pending === undefined) return finish();
    return pending.then(finish);
  }
}
