/**
 * At-least-once commit bookkeeping: the batches whose outputs are in flight, each partition's acknowledged
 * offset (settled in order), and the commits of those offsets. A commit moves a partition's committed mark
 * only once the coordinator accepted it, so a failed commit is retried on the next tick; now and then the
 * coordinator's offsets are read back to catch a commit that did not take effect. The committed-offset lag
 * gauge (acknowledged minus committed) is kept here.
 */
import type { Logger, RawConsumer, RdKafka } from '@sensor-pipeline/shared';
import type { InFlightMark, PartitionBatch, PartitionState } from './partition-state.js';
import type { ProcessorMetrics } from './processor-metrics.js';

/** One batch's outputs in flight. */
interface InFlightBatch {
  readonly done: Promise<void>;
  readonly startedMs: number;
  settled: boolean;
}

export interface CommitKeeperOptions {
  /** The partitions held, by partition number (the shell's map, shared). */
  readonly partitions: ReadonlyMap<number, PartitionState>;
  /** The group's consumer; asked only once the service has started. */
  readonly consumer: () => RawConsumer;
  /** True once the service failed or is stopping: no more timed commits then. */
  readonly halted: () => boolean;
  /** How often the coordinator's offsets are read back, ms. */
  readonly commitVerifyIntervalMs: number;
  readonly metrics: ProcessorMetrics;
  readonly log: Logger;
}

export class CommitKeeper {
  private readonly inFlight: InFlightBatch[] = [];
  private lastCommitVerifyMs = 0;
  private committing = false;

  constructor(private readonly o: CommitKeeperOptions) {}

  /**
   * Marks the batches in flight in their partitions, then sends them (`send`, the sink's) and tracks the
   * outputs: once acknowledged, each partition's acknowledged offset moves past them (in order) and
   * `onSettled` runs; a failure goes to `onFailed`.
   */
  track(
    batches: readonly PartitionBatch[],
    send: () => Promise<void>,
    onSettled: () => void,
    onFailed: (err: Error) => void,
  ): void {
    const marks: [PartitionState, InFlightMark][] = batches.map((b) => {
      const mark: InFlightMark = { lastOffset: b.lastOffset, replayFrom: b.replayFrom, settled: false };
      b.state.inFlight.push(mark);
      return [b.state, mark];
    });
    const entry: InFlightBatch = { done: send(), startedMs: Date.now(), settled: false };
    this.inFlight.push(entry);
    entry.done.then(
      () => {
        entry.settled = true;
        for (const [state, mark] of marks) {
          mark.settled = true;
          this.settle(state);
        }
        this.prune();
        onSettled();
      },
      (err: unknown) => onFailed(err as Error),
    );
  }

  /** Batches tracked and not yet pruned (settled ones at the time of the last prune are gone). */
  get inFlightCount(): number {
    return this.inFlight.length;
  }

  /** When the oldest batch still unacknowledged was handed to the sink, wall clock ms; undefined when none. */
  oldestUnsettledMs(): number | undefined {
    return this.inFlight.find((b) => !b.settled)?.startedMs;
  }

  /** Resolves when any batch in flight settles or fails. */
  waitForAny(): Promise<unknown> {
    return Promise.race(this.inFlight.map((b) => b.done)).catch(() => undefined);
  }

  /** Resolves when every batch in flight has settled or failed; undefined when none is pending. */
  whenPendingSettled(): Promise<unknown> | undefined {
    const pending = this.inFlight.filter((b) => !b.settled);
    if (pending.length === 0) return undefined;
    return Promise.allSettled(pending.map((b) => b.done));
  }

  /** Resolves when every batch tracked has settled or failed. */
  allSettled(): Promise<unknown> {
    return Promise.allSettled(this.inFlight.map((b) => b.done));
  }

  /** Moves the partition's acknowledged offset past the settled batches at the head of its in-flight list. */
  settle(state: PartitionState): void {
    while (state.inFlight.length > 0 && state.inFlight[0]!.settled) {
      const mark = state.inFlight.shift()!;
      state.acknowledged = mark.lastOffset + 1;
      state.acknowledgedReplayFrom = mark.replayFrom;
    }
    this.updateCommitLag(state);
  }

  /** Drops settled batches from the in-flight list, wherever they are (their partitions settle in order). */
  prune(): void {
    let kept = 0;
    for (const b of this.inFlight) if (!b.settled) this.inFlight[kept++] = b;
    this.inFlight.length = kept;
  }

  /** A partition given back: its committed-offset lag is no longer exported. */
  forget(state: PartitionState): void {
    this.o.metrics.committedOffsetLag.remove({ topic: state.topic, partition: String(state.partition) });
  }

  /**
   * Commits every partition's acknowledged offset where the coordinator is behind it. The committed mark
   * moves only after the coordinator accepted the commit, so a failed commit is retried on the next tick.
   */
  async commitAcknowledged(): Promise<void> {
    if (this.o.halted() || this.committing) return;
    this.committing = true;
    try {
      await this.verifyCommitted();
      const offsets = this.offsetsToCommit([...this.o.partitions.values()]);
      if (offsets.length === 0) return;
      await this.o.consumer().commit(offsets);
      this.markCommitted(offsets);
    } catch (err) {
      this.o.metrics.commitFailures.inc();
      this.o.log.warn({ err }, 'commit failed; retried on the next tick');
    } finally {
      this.committing = false;
    }
  }

  /** A blocking commit, for revocation and shutdown (nothing consumes then to serve an async answer). */
  commitSync(states: readonly PartitionState[]): void {
    const offsets = this.offsetsToCommit(states);
    if (offsets.length === 0) return;
    for (let attempt = 1; attempt <= 3; attempt++) {
      try {
        this.o.consumer().commitSync(offsets);
        this.markCommitted(offsets);
        return;
      } catch (err) {
        this.o.metrics.commitFailures.inc();
        this.o.log.warn({ err, attempt }, 'commit failed');
      }
    }
  }

  private updateCommitLag(state: PartitionState): void {
    this.o.metrics.committedOffsetLag.set(
      { topic: state.topic, partition: String(state.partition) },
      Math.max(0, state.acknowledged - Math.max(state.committed, 0)),
    );
  }

  private offsetsToCommit(states: readonly PartitionState[]): RdKafka.TopicPartitionOffsetAndMetadata[] {
    return states
      .filter((s) => s.acknowledged > s.committed && s.acknowledged >= 0)
      .map((s) => ({
        topic: s.topic,
        partition: s.partition,
        offset: s.acknowledged,
        metadata: JSON.stringify({ replayFrom: s.acknowledgedReplayFrom }),
      }));
  }

  private markCommitted(offsets: readonly RdKafka.TopicPartitionOffset[]): void {
    for (const o of offsets) {
      const state = this.o.partitions.get(o.partition);
      if (!state) continue;
      state.committed = Math.max(state.committed, o.offset);
      this.updateCommitLag(state);
    }
    this.o.metrics.commits.inc();
  }

  /**
   * A commit sent during a rebalance can be answered without taking effect: now and then, read the
   * coordinator's offsets back and lower the committed mark where they are behind, so the next tick commits again.
   */
  private async verifyCommitted(): Promise<void> {
    const nowMs = Date.now();
    if (nowMs - this.lastCommitVerifyMs < this.o.commitVerifyIntervalMs) return;
    this.lastCommitVerifyMs = nowMs;
    const held = [...this.o.partitions.values()].filter((s) => s.committed >= 0);
    if (held.length === 0) return;
    const offsets = await this.o.consumer().committed(held.map((s) => ({ topic: s.topic, partition: s.partition })));
    for (const o of offsets) {
      const state = this.o.partitions.get(o.partition);
      if (state && o.offset < state.committed) {
        this.o.log.warn(
          { partition: o.partition, coordinator: o.offset, committed: state.committed },
          'a commit did not take effect; committing again',
        );
        state.committed = o.offset;
        this.updateCommitLag(state);
      }
    }
  }
}
