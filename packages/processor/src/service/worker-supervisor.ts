/**
 * `--workers N`: runs N processor workers of the same consumer group under one supervisor, so one
 * deployment unit uses a multi-core machine. Each worker is a child process running the processor CLI with
 * its own Kafka clients and instance slot `<instanceId>-w<i>` (so each has its own stable transactional id).
 * Child processes rather than worker threads: the Kafka client's native addon can be loaded by one thread per
 * process only ("Module did not self-register" in a second thread).
 *
 * The supervisor serves /healthz, /readyz and /metrics for all of them: readiness is every worker ready
 * (asked over IPC every `pollIntervalMs`, answered from the last replies), metrics are the workers' registries
 * summed with prom-client's AggregatorRegistry. A worker that exits unexpectedly is started again in its
 * slot (its restart fences what it left open); `stop()` sends SIGTERM to all and waits for them.
 * `reload()` passes a configuration reload (SIGHUP, `POST /-/reload` of the supervisor) on to every worker
 * over IPC and succeeds when all of them reloaded.
 *
 * Start barrier: at start, each worker connects its clients and then waits (`joinWhenSiblingsAre`) until every
 * worker has, before its consumer joins the group; the supervisor lets them all join together. Otherwise the
 * first to join takes every partition and starts on them, and the next one's join moves half of them again
 * right away, to be rebuilt by replay (measured draining a 1M-reading backlog with two workers: 114k readings/s
 * when the second joined late, 193k when they joined together). A worker that is not there within
 * `startBarrierMs`, or exits meanwhile, does not hold the others back; a worker started again later joins
 * at once.
 */
import { type ChildProcess, fork } from 'node:child_process';
import type { Logger, ReadinessReport } from '@sensor-pipeline/shared';
import { AggregatorRegistry, type MetricObjectWithValues, type MetricValue, Registry } from 'prom-client';

type MetricsJson = MetricObjectWithValues<MetricValue<string>>[];

/** Messages between the supervisor and a worker over the IPC channel. */
export type WorkerRequest = { readonly type: 'readiness' | 'metrics' | 'reload'; readonly id: number };
/** Start barrier: a worker with its clients connected says `joining`; the supervisor answers `join`. */
export type WorkerSignal = { readonly type: 'joining' };
export type SupervisorSignal = { readonly type: 'join' };
export type WorkerReply =
  | { readonly type: 'readiness'; readonly id: number; readonly report: ReadinessReport }
  | { readonly type: 'metrics'; readonly id: number; readonly metrics: MetricsJson }
  | { readonly type: 'reload'; readonly id: number; readonly report?: string; readonly error?: string };

/** The environment variable that tells a processor CLI it is worker `i` of a supervisor. */
export const WORKER_INDEX_ENV = 'PROCESSOR_WORKER_INDEX';

export interface WorkerSupervisorOptions {
  readonly workers: number;
  /** The CLI script to fork and its arguments (the supervisor's own, minus --workers and --metrics-port). */
  readonly script: string;
  readonly args: readonly string[];
  readonly instanceId: string;
  readonly logger: Logger;
  readonly pollIntervalMs?: number;
  /** How long to wait before starting a worker that exited unexpectedly, ms. */
  readonly restartDelayMs?: number;
  /** How long the start barrier waits for every worker to be connected, ms (see the file comment). */
  readonly startBarrierMs?: number;
}

interface Slot {
  readonly index: number;
  child: ChildProcess | undefined;
  report: ReadinessReport | undefined;
}

export class WorkerSupervisor {
  private readonly slots: Slot[];
  private readonly log: Logger;
  private readonly pending = new Map<number, (reply: WorkerReply) => void>();
  private nextId = 1;
  private poller: NodeJS.Timeout | undefined;
  private stopping = false;
  /** Workers waiting at the start barrier; undefined once it is open. */
  private waiting: Set<Slot> | undefined = new Set();
  private barrierTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: WorkerSupervisorOptions) {
    if (!Number.isInteger(options.workers) || options.workers < 1)
      throw new RangeError(`workers must be a positive integer, got ${options.workers}`);
    this.log = options.logger.child({ component: 'worker-supervisor' });
    this.slots = Array.from({ length: options.workers }, (_, index) => ({
      index,
      child: undefined,
      report: undefined,
    }));
  }

  start(): void {
    for (const slot of this.slots) this.spawn(slot);
    this.barrierTimer = setTimeout(() => {
      if (this.waiting)
        this.log.warn({ waiting: this.waiting.size }, 'not every worker connected in time; joining without');
      this.openBarrier();
    }, this.options.startBarrierMs ?? 30_000);
    this.barrierTimer.unref();
    this.poller = setInterval(() => void this.pollReadiness(), this.options.pollIntervalMs ?? 1_000);
    this.poller.unref();
  }

  /** Ready when every worker said so on its last answer. */
  readiness(): ReadinessReport {
    const workers = this.slots.map((s) => ({ worker: s.index, ready: s.report?.ready ?? false, ...s.report?.details }));
    return { ready: !this.stopping && workers.every((w) => w.ready), details: { workers } };
  }

  /** A registry-like view for the ops server: the workers' metrics, summed. */
  registry(): Registry {
    const view = new Registry();
    view.metrics = async () => {
      const all = await Promise.all(
        this.slots.map((s) =>
          this.ask(s, 'metrics')
            .then((r) => (r.type === 'metrics' ? r.metrics : []))
            .catch(() => []),
        ),
      );
      return AggregatorRegistry.aggregate(all.filter((m) => m.length > 0)).metrics();
    };
    return view;
  }

  /** Asks every worker to reload; resolves with their reports, rejects naming the workers that refused. */
  async reload(): Promise<string> {
    const replies = await Promise.all(
      this.slots.map(async (s) => {
        try {
          const reply = await this.ask(s, 'reload', 30_000);
          if (reply.type !== 'reload') return { worker: s.index, error: 'unexpected reply' };
          return reply.error === undefined ? { worker: s.index, report: reply.report } : { worker: s.index, ...reply };
        } catch (err) {
          return { worker: s.index, error: (err as Error).message };
        }
      }),
    );
    const failed = replies.filter((r) => r.error !== undefined);
    const errors = new Set(failed.map((r) => r.error));
    // every worker reads the same file: the same refusal is said once
    if (failed.length === replies.length && errors.size === 1) throw new Error([...errors][0]);
    if (failed.length > 0) throw new Error(failed.map((r) => `worker ${r.worker}: ${r.error}`).join('; '));
    const reports = new Set(replies.map((r) => r.report));
    return reports.size === 1
      ? `${[...reports][0]} (${replies.length} workers)`
      : replies.map((r) => `worker ${r.worker}: ${r.report}`).join('; ');
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.poller);
    clearTimeout(this.barrierTimer);
    await Promise.all(
      this.slots.map(
        (s) =>
          new Promise<void>((resolve) => {
            const child = s.child;
            if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
          }),
      ),
    );
  }

  private spawn(slot: Slot): void {
    const child = fork(
      this.options.script,
      [...this.options.args, '--instance-id', `${this.options.instanceId}-w${slot.index}`],
      {
        env: { ...process.env, [WORKER_INDEX_ENV]: String(slot.index) },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      },
    );
    slot.child = child;
    slot.report = undefined;
    child.on('message', (reply: WorkerReply | WorkerSignal) => {
      if (reply.type === 'joining') return this.joining(slot);
      const resolve = this.pending.get(reply.id);
      if (!resolve) return;
      this.pending.delete(reply.id);
      resolve(reply);
    });
    child.on('exit', (code, signal) => {
      slot.report = undefined;
      // a worker gone before the barrier opened does not hold the others back
      if (this.waiting) this.openBarrier();
      if (this.stopping) return;
      this.log.error({ worker: slot.index, code, signal }, 'worker exited; starting it again');
      setTimeout(() => !this.stopping && this.spawn(slot), this.options.restartDelayMs ?? 1_000).unref();
    });
    this.log.info({ worker: slot.index, pid: child.pid }, 'worker started');
  }

  /** A worker is connected and ready to join the group: at the barrier, or straight in once it is open. */
  private joining(slot: Slot): void {
    if (!this.waiting) return void slot.child?.send({ type: 'join' } satisfies SupervisorSignal);
    this.waiting.add(slot);
    if (this.waiting.size === this.slots.length) this.openBarrier();
  }

  private openBarrier(): void {
    const waiting = this.waiting;
    if (!waiting) return;
    this.waiting = undefined;
    clearTimeout(this.barrierTimer);
    for (const slot of waiting) if (slot.child?.connected) slot.child.send({ type: 'join' } satisfies SupervisorSignal);
  }

  private ask(slot: Slot, type: WorkerRequest['type'], timeoutMs = 5_000): Promise<WorkerReply> {
    const child = slot.child;
    if (!child?.connected) return Promise.reject(new Error(`worker ${slot.index} is not running`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`worker ${slot.index} did not answer`));
      }, timeoutMs);
      this.pending.set(id, (reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
      child.send({ type, id } satisfies WorkerRequest);
    });
  }

  private async pollReadiness(): Promise<void> {
    await Promise.all(
      this.slots.map(async (s) => {
        try {
          const reply = await this.ask(s, 'readiness');
          if (reply.type === 'readiness') s.report = reply.report;
        } catch {
          s.report = undefined;
        }
      }),
    );
  }
}

/**
 * Worker side of the start barrier: tells the supervisor this worker is connected and resolves when it may
 * join the group (at once without a supervisor, or when `timeoutMs` passes without an answer).
 */
export function joinWhenSiblingsAre(timeoutMs = 60_000): Promise<void> {
  if (!process.send) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      process.off('message', onMessage);
      resolve();
    };
    const onMessage = (message: SupervisorSignal | WorkerRequest): void => {
      if (message.type === 'join') done();
    };
    const timer = setTimeout(done, timeoutMs);
    process.on('message', onMessage);
    try {
      process.send!({ type: 'joining' } satisfies WorkerSignal);
    } catch {
      done(); // the supervisor is gone: nothing to wait for
    }
  });
}

/** Worker side: answers the supervisor's readiness, metrics and reload requests over the IPC channel. */
export function serveSupervisor(
  readiness: () => ReadinessReport,
  registry: Registry,
  reload?: () => Promise<string>,
): void {
  process.on('message', (request: WorkerRequest) => {
    if (request.type === 'reload') {
      const reply = (body: { report?: string; error?: string }) =>
        process.send?.({ type: 'reload', id: request.id, ...body } satisfies WorkerReply);
      if (!reload) return reply({ error: 'this worker cannot reload' });
      reload().then(
        (report) => reply({ report }),
        (err: unknown) => reply({ error: err instanceof Error ? err.message : String(err) }),
      );
      return;
    }
    if (request.type === 'readiness') {
      process.send?.({ type: 'readiness', id: request.id, report: readiness() } satisfies WorkerReply);
    } else if (request.type === 'metrics') {
      void registry
        .getMetricsAsJSON()
        .then((metrics) => process.send?.({ type: 'metrics', id: request.id, metrics } satisfies WorkerReply));
    }
  });
}
