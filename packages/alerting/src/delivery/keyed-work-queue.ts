/**
 * The queue in front of one receiver: at most `concurrency` jobs run at once, jobs with the same key
 * (the alert fingerprint) run one after another in arrival order, and jobs with different keys never wait
 * for each other. A job that asks to be retried gives its slot back and waits on a timer; only later jobs
 * of the *same* key wait with it (per-fingerprint order), every other key proceeds.
 *
 * `depth` counts every job not finished (queued, running, waiting to retry): the consumer pauses on it.
 * `close()` stops starting jobs and cancels retry timers; jobs left behind are simply not finished, so
 * their offsets are never committed and Kafka redelivers them after a restart.
 */
import { Fifo } from './fifo.js';

/** What a run of a job decided: finished (`undefined`), or run it again after `retryInMs`. */
export type JobStep = { readonly retryInMs: number } | undefined;

export interface KeyedWorkQueueOptions<J> {
  readonly concurrency: number;
  readonly keyOf: (job: J) => string;
  /** Runs one attempt of `job`. A rejection is a bug: reported to `onError` and the job is finished. */
  readonly run: (job: J) => Promise<JobStep>;
  readonly onError?: (err: unknown, job: J) => void;
  /** Called after every finished job (the depth dropped). */
  readonly onFinished?: (job: J) => void;
  readonly setTimer?: (fn: () => void, ms: number) => unknown;
  readonly clearTimer?: (handle: unknown) => void;
}

interface Lane<J> {
  readonly key: string;
  readonly jobs: Fifo<J>;
  state: 'ready' | 'running' | 'waiting';
}

export class KeyedWorkQueue<J> {
  private readonly options: KeyedWorkQueueOptions<J>;
  private readonly lanes = new Map<string, Lane<J>>();
  private readonly ready = new Fifo<Lane<J>>();
  private readonly timers = new Set<unknown>();
  private active = 0;
  private count = 0;
  private waiting = 0;
  private closed = false;
  private idleWaiters: (() => void)[] = [];

  constructor(options: KeyedWorkQueueOptions<J>) {
    if (!Number.isInteger(options.concurrency) || options.concurrency < 1)
      throw new RangeError(`concurrency must be an integer ≥ 1, got ${options.concurrency}`);
    this.options = options;
  }

  /** Jobs not finished: queued, running or waiting to retry. */
  get depth(): number {
    return this.count;
  }

  /** Jobs running right now. */
  get running(): number {
    return this.active;
  }

  /** Keys whose head job waits for a retry timer. */
  get retrying(): number {
    return this.waiting;
  }

  /** True while a job of `key` is queued, running or waiting to retry. */
  hasKey(key: string): boolean {
    return this.lanes.has(key);
  }

  push(job: J): void {
    if (this.closed) throw new Error('queue is closed');
    const key = this.options.keyOf(job);
    this.count += 1;
    let lane = this.lanes.get(key);
    if (lane) {
      lane.jobs.push(job);
      return; // it runs when the jobs ahead of it with the same key are finished
    }
    lane = { key, jobs: new Fifo<J>(), state: 'ready' };
    lane.jobs.push(job);
    this.lanes.set(key, lane);
    this.ready.push(lane);
    this.pump();
  }

  /** Resolves when no job is left (at once when empty). */
  idle(): Promise<void> {
    if (this.count === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Starts nothing more and cancels retry timers. Running jobs finish on their own. */
  close(): void {
    this.closed = true;
    const clear = this.options.clearTimer ?? ((h: unknown) => clearTimeout(h as NodeJS.Timeout));
    for (const timer of this.timers) clear(timer);
    this.timers.clear();
  }

  private pump(): void {
    while (!this.closed && this.active < this.options.concurrency && this.ready.length > 0) {
      const lane = this.ready.shift()!;
      const job = lane.jobs.peek();
      if (job === undefined) continue;
      lane.state = 'running';
      this.active += 1;
      void this.runOne(lane, job);
    }
  }

  private async runOne(lane: Lane<J>, job: J): Promise<void> {
    let step: JobStep;
    try {
      step = await this.options.run(job);
    } catch (err) {
      this.options.onError?.(err, job);
      step = undefined;
    }
    this.active -= 1;
    if (step !== undefined && !this.closed) {
      lane.state = 'waiting';
      this.waiting += 1;
      const setTimer = this.options.setTimer ?? ((fn: () => void, ms: number) => setTimeout(fn, ms));
      const timer = setTimer(
        () => {
          this.timers.delete(timer);
          this.waiting -= 1;
          lane.state = 'ready';
          this.ready.push(lane);
          this.pump();
        },
        Math.max(0, step.retryInMs),
      );
      this.timers.add(timer);
    } else if (step === undefined) {
      lane.jobs.shift();
      this.count -= 1;
      if (lane.jobs.length > 0) {
        lane.state = 'ready';
        this.ready.push(lane);
      } else {
        this.lanes.delete(lane.key);
      }
      this.options.onFinished?.(job);
      if (this.count === 0) {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const resolve of waiters) resolve();
      }
    }
    this.pump();
  }
}
