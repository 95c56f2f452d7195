/**
 * What the suite asks the broker, each call on a short-lived admin client so it survives broker restarts:
 * creating and deleting a scenario's topics, the consumer group's committed offsets against the end of the
 * readings topic (the committed-offset gap), the group's live members, and every alert on the alerts topic
 * read `read_committed` up to its end.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  type Alert,
  alertCodec,
  createAdmin,
  createConsumer,
  createLogger,
  ensureTopics,
  type KafkaJS,
  type KafkaSettings,
  type Logger,
  readPartitionRange,
  type TopicNames,
} from '@sensor-pipeline/shared';

export interface OffsetGap {
  /** Sum over partitions of (end offset − committed offset); 0 when the group has committed everything. */
  readonly gap: number;
  readonly partitions: readonly { partition: number; end: number; committed: number }[];
}

const WORKER = fileURLToPath(new URL('./kafka-probe-worker.ts', import.meta.url));
const REPO = fileURLToPath(new URL('../..', import.meta.url));
const CALL_TIMEOUT_MS = 60_000;

/** SIGKILLs every probe worker (on Ctrl-C). */
export function killAllProbeWorkers(): void {
  for (const child of LIVE_WORKERS) child.kill('SIGKILL');
}
const LIVE_WORKERS = new Set<ChildProcess>();

export class KafkaProbe {
  private readonly logger: Logger = createLogger({
    service: 'chaos-probe',
    level: process.env['CHAOS_LOG_LEVEL'] ?? 'silent',
  });
  private readonly alerts = alertCodec();

  private readonly isolated: boolean;
  private worker: ChildProcess | undefined;
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  /** Worker processes that died (a crash of the client inside them); their calls were retried. */
  workerCrashes = 0;

  /** `isolated` (the default): group queries run in a child process, see kafka-probe-worker.ts. */
  constructor(
    private readonly bootstrapServers: string,
    options: { isolated?: boolean } = {},
  ) {
    this.isolated = options.isolated ?? true;
  }

  /** Ends the worker process, if any. */
  close(): void {
    this.worker?.disconnect();
    this.worker = undefined;
  }

  settings(clientId: string): KafkaSettings {
    return { bootstrapServers: this.bootstrapServers, clientId };
  }

  /**
   * Joins a throwaway consumer group once on a fresh broker, so the group coordinator (and its
   * `__consumer_offsets` topic) exists before the first offsets query: the client's admin `fetchOffsets`
   * was seen to crash the process (SIGSEGV) when asked while the coordinator was still being created.
   */
  async warmUp(timeoutMs: number): Promise<void> {
    const topic = 'chaos-warm-up';
    await this.withAdmin((admin) => ensureTopics(admin, [{ topic, numPartitions: 1 }]));
    let joined!: () => void;
    const assigned = new Promise<void>((resolve) => (joined = resolve));
    const consumer = createConsumer(this.settings('chaos-warm-up'), {
      logger: this.logger,
      groupId: 'chaos-warm-up',
      onRebalance: (event) => {
        if (event === 'assign') joined();
      },
    });
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: [topic] });
      void consumer.run({ eachMessage: async () => undefined });
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        assigned,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no group coordinator after ${timeoutMs} ms`)), timeoutMs);
        }),
      ]).finally(() => clearTimeout(timer));
    } finally {
      await consumer.disconnect().catch(() => undefined);
    }
  }

  /** Creates every topic of a scenario, laid out as the processor expects (state co-partitioned, compacted). */
  async createTopics(topics: TopicNames, partitions: number): Promise<void> {
    await this.withAdmin((admin) =>
      ensureTopics(admin, [
        { topic: topics.readings, numPartitions: partitions },
        { topic: topics.alerts, numPartitions: 3 },
        { topic: topics.readingsDlq, numPartitions: 1 },
        { topic: topics.stats, numPartitions: 3 },
        {
          topic: topics.alertState,
          numPartitions: partitions,
          config: { 'cleanup.policy': 'compact', 'min.compaction.lag.ms': '60000' },
        },
      ]),
    );
  }

  async deleteTopics(topics: TopicNames): Promise<void> {
    await this.withAdmin((admin) =>
      admin.deleteTopics({
        topics: [topics.readings, topics.alerts, topics.readingsDlq, topics.stats, topics.alertState],
        timeout: 30_000,
      }),
    ).catch(() => undefined);
  }

  async offsetGap(groupId: string, topic: string): Promise<OffsetGap> {
    if (this.isolated) return (await this.ask('offsetGap', [groupId, topic])) as OffsetGap;
    return this.withAdmin(async (admin) => {
      const ends = await admin.fetchTopicOffsets(topic);
      const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
      const committedOf = new Map((entry?.partitions ?? []).map((p) => [p.partition, Math.max(0, Number(p.offset))]));
      const partitions = ends
        .map((e) => ({ partition: e.partition, end: Number(e.high), committed: committedOf.get(e.partition) ?? 0 }))
        .sort((a, b) => a.partition - b.partition);
      return { gap: partitions.reduce((sum, p) => sum + Math.max(0, p.end - p.committed), 0), partitions };
    });
  }

  /** The sum of the group's committed offsets over the topic: how far the group has got. */
  async committedTotal(groupId: string, topic: string): Promise<number> {
    const { partitions } = await this.offsetGap(groupId, topic);
    return partitions.reduce((sum, p) => sum + p.committed, 0);
  }

  /** Members of the consumer group the broker currently counts (a stopped process stays until its session ends). */
  async groupMembers(groupId: string): Promise<number> {
    if (this.isolated) return (await this.ask('groupMembers', [groupId])) as number;
    return this.withAdmin(async (admin) => {
      const described = await admin.describeGroups([groupId]);
      const group = described.groups[0] as { members?: unknown[] } | undefined;
      return group?.members?.length ?? 0;
    });
  }

  /** Every alert on the topic, read_committed, from the start to the end offsets as they are now. */
  async readAlerts(topic: string, timeoutMs: number): Promise<Alert[]> {
    const partitions = await this.withAdmin((admin) => admin.fetchTopicOffsets(topic));
    const out: Alert[] = [];
    for (const { partition } of partitions) {
      await readPartitionRange(this.settings('chaos-alerts-reader'), {
        topic,
        partition,
        fromOffset: 0,
        readCommitted: true,
        timeoutMs,
        onBatch: (messages) => {
          for (const m of messages) if (m.value) out.push(this.alerts.decode(m.value));
        },
      });
    }
    return out;
  }

  /** One call in the worker process; a worker that died is replaced and the call asked again, once. */
  private async ask(method: 'offsetGap' | 'groupMembers', args: string[], retry = true): Promise<unknown> {
    const worker = this.startWorker();
    const id = this.nextId++;
    try {
      return await new Promise<unknown>((resolve, reject) => {
        const timer = setTimeout(() => {
          this.pending.delete(id);
          worker.kill('SIGKILL');
          reject(new Error(`the probe worker did not answer ${method} in ${CALL_TIMEOUT_MS} ms`));
        }, CALL_TIMEOUT_MS);
        this.pending.set(id, {
          resolve: (v) => {
            clearTimeout(timer);
            resolve(v);
          },
          reject: (e) => {
            clearTimeout(timer);
            reject(e);
          },
        });
        worker.send({ id, method, args });
      });
    } catch (err) {
      if (retry && (err as { workerDied?: boolean }).workerDied) return this.ask(method, args, false);
      throw err;
    }
  }

  private startWorker(): ChildProcess {
    if (this.worker) return this.worker;
    const worker = fork(WORKER, [this.bootstrapServers], {
      cwd: REPO,
      execArgv: ['--conditions=source', '--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    LIVE_WORKERS.add(worker);
    worker.on('message', (message: { id: number; result?: unknown; error?: string }) => {
      const call = this.pending.get(message.id);
      if (!call) return;
      this.pending.delete(message.id);
      if (message.error !== undefined) call.reject(new Error(message.error));
      else call.resolve(message.result);
    });
    worker.once('exit', (code, signal) => {
      LIVE_WORKERS.delete(worker);
      if (this.worker === worker) this.worker = undefined;
      if (signal === 'SIGSEGV' || signal === 'SIGABRT' || code === 139) this.workerCrashes += 1;
      for (const [id, call] of this.pending) {
        this.pending.delete(id);
        call.reject(Object.assign(new Error(`the probe worker exited (${signal ?? code})`), { workerDied: true }));
      }
    });
    this.worker = worker;
    return worker;
  }

  private async withAdmin<T>(use: (admin: KafkaJS.Admin) => Promise<T>): Promise<T> {
    const admin = createAdmin(this.settings('chaos-probe'), this.logger);
    await admin.connect();
    try {
      return await use(admin);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }
}
