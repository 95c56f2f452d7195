/**
 * What a scenario script works with: processor instances it starts, signals and restarts, the broker it
 * restarts or kills, and waits on conditions — the group's committed progress, `/readyz`, the group's
 * member count — never on elapsed time. Every fault is logged as a progress line and kept for the report.
 * A background supervisor restarts an instance that exits on its own, as an orchestrator would.
 */
import type { TopicNames } from '@sensor-pipeline/shared';
import type { ChaosBroker } from './chaos-broker.js';
import type { ChaosOptions, DeliveryMode } from './chaos-options.js';
import type { KafkaProbe } from './kafka-probe.js';
import { ProcessorProcess } from './processor-process.js';
import type { SeededRandom } from './seeded-random.js';

/** How long `/healthz` may go unanswered before an instance counts as hung and is killed (30 s). */
const LIVENESS_TIMEOUT_MS = 30_000;

export class ScenarioContext {
  readonly instances = new Map<string, ProcessorProcess>();
  /** The faults injected, in order, for the report. */
  readonly faults: string[] = [];
  private readonly supervisor: NodeJS.Timeout;
  private restartsBySupervisor = 0;
  private committedAtLastFault = -1;
  private ticks = 0;

  constructor(
    readonly name: string,
    readonly delivery: DeliveryMode,
    readonly random: SeededRandom,
    readonly broker: ChaosBroker,
    readonly probe: KafkaProbe,
    readonly topics: TopicNames,
    readonly groupId: string,
    readonly totalReadings: number,
    private readonly options: ChaosOptions & { readonly rulesFile: string; readonly logDir: string },
  ) {
    this.supervisor = setInterval(() => this.supervise(), 250);
  }

  note(line: string): void {
    this.options.progress(`${this.name}: ${line}`);
  }

  /** Starts (or restarts) the instance with this id and waits until `/readyz` answers 200. */
  async start(instanceId: string): Promise<ProcessorProcess> {
    let instance = this.instances.get(instanceId);
    if (!instance) {
      instance = new ProcessorProcess({
        cli: this.options.processorCli,
        instanceId,
        groupId: this.groupId,
        delivery: this.delivery,
        rulesFile: this.options.rulesFile,
        topics: this.topics,
        bootstrapServers: this.broker.bootstrapServers,
        commitIntervalMs: this.options.commitIntervalMs,
        sessionTimeoutMs: this.options.sessionTimeoutMs,
        staticMembership: this.options.staticMembership,
        logDir: this.options.logDir,
      });
      this.instances.set(instanceId, instance);
    }
    instance.start();
    await this.waitReady(instance);
    return instance;
  }

  async waitReady(instance: ProcessorProcess): Promise<void> {
    await this.waitFor(
      `instance ${instance.id} ready (/readyz 200)`,
      () => instance.ready(),
      () => instance.tail(),
    );
  }

  /** Sends `signal` and, when it ends the process, starts it again with the same instance id. */
  async signalAndRestart(instance: ProcessorProcess, signal: 'SIGKILL' | 'SIGTERM'): Promise<void> {
    const committed = await this.committed();
    this.fault(`${signal} instance ${instance.id} (pid ${instance.pid}) at ${committed} committed`, committed);
    instance.signal(signal);
    await instance.waitExit();
    await this.start(instance.id);
    this.note(`instance ${instance.id} restarted and ready (pid ${instance.pid})`);
  }

  /** Adds an instance to the group mid-stream (scale out) and waits until it is ready. */
  async scaleOut(instanceId: string): Promise<ProcessorProcess> {
    const committed = await this.committed();
    this.fault(`instance ${instanceId} added (scale out) at ${committed} committed`, committed);
    return this.start(instanceId);
  }

  /** Ends an instance for good with SIGTERM (scale in). */
  async remove(instance: ProcessorProcess): Promise<void> {
    const committed = await this.committed();
    this.fault(`SIGTERM instance ${instance.id} for good (scale in) at ${committed} committed`, committed);
    await instance.stop();
  }

  /** Freezes an instance with SIGSTOP. */
  async freeze(instance: ProcessorProcess): Promise<void> {
    const committed = await this.committed();
    this.fault(`SIGSTOP instance ${instance.id} (pid ${instance.pid}) at ${committed} committed`, committed);
    instance.signal('SIGSTOP');
  }

  async thaw(instance: ProcessorProcess): Promise<void> {
    const committed = await this.committed();
    this.fault(`SIGCONT instance ${instance.id} at ${committed} committed`, committed);
    instance.signal('SIGCONT');
  }

  async restartBroker(how: 'clean' | 'kill -9'): Promise<void> {
    const committed = await this.committed();
    this.fault(
      `broker ${how === 'clean' ? 'clean restart' : 'kill -9 and restart'} at ${committed} committed`,
      committed,
    );
    if (how === 'clean') await this.broker.restart();
    else await this.broker.killAndRestart();
    this.note('broker back');
  }

  /** Fault points: `n` sorted shares of the workload in [from, to), drawn from the seed. */
  points(n: number, from = 0.25, to = 0.85): number[] {
    return Array.from({ length: n }, () => this.random.between(from, to)).sort((a, b) => a - b);
  }

  /**
   * Waits until the group has committed at least `share` of the workload's readings, and more than when the
   * last fault was injected (unless everything is committed): each fault then hits an instance that holds
   * partitions and has done work since the previous one, not one still waiting for its assignment.
   */
  async waitProgress(share: number): Promise<number> {
    const target = Math.floor(share * this.totalReadings);
    const after = this.committedAtLastFault;
    return this.waitFor(
      `the group to commit ${target} of ${this.totalReadings} readings (and more than ${after})`,
      async () => {
        const committed = await this.committed();
        const moved = committed > after || committed >= this.totalReadings;
        return committed >= target && moved ? committed : undefined;
      },
    );
  }

  /** Waits until the broker counts exactly `n` members in the group. */
  async waitMembers(n: number): Promise<void> {
    await this.waitFor(
      `the group to have ${n} member(s)`,
      async () => (await this.probe.groupMembers(this.groupId)) === n,
    );
  }

  async committed(): Promise<number> {
    return this.probe.committedTotal(this.groupId, this.topics.readings).catch(() => -1);
  }

  /** Instances the liveness check ended because `/healthz` stopped answering. */
  get hangs(): number {
    let n = 0;
    for (const p of this.instances.values()) n += p.hangs;
    return n;
  }

  get unplannedExits(): number {
    let n = 0;
    for (const p of this.instances.values()) n += p.unplannedExits;
    return n;
  }

  /** Stops the supervisor and every instance (SIGCONT, SIGTERM, SIGKILL after a minute). */
  async close(): Promise<void> {
    clearInterval(this.supervisor);
    await Promise.all([...this.instances.values()].map((p) => p.stop()));
  }

  private fault(description: string, committed: number): void {
    this.committedAtLastFault = Math.max(this.committedAtLastFault, committed);
    this.faults.push(description);
    this.note(description);
  }

  /** The largest RSS any instance of the scenario reached, bytes. */
  get peakRssBytes(): number {
    let peak = 0;
    for (const p of this.instances.values()) peak = Math.max(peak, p.peakRssBytes);
    return peak;
  }

  private supervise(): void {
    if (this.ticks++ % 8 === 0) {
      for (const p of this.instances.values()) {
        void p.sampleRss();
        void p.checkLiveness(LIVENESS_TIMEOUT_MS);
      }
    }
    for (const p of this.instances.values()) {
      if (!p.needsRestart || this.restartsBySupervisor >= 20) continue;
      this.restartsBySupervisor += 1;
      this.note(
        `instance ${p.id} exited on its own${p.hangs > 0 ? ' or hung' : ''}; restarting it (its log: ${p.currentLog})`,
      );
      p.start();
    }
  }

  private async waitFor<T>(
    what: string,
    check: () => Promise<T | undefined | false> | T | undefined | false,
    detail?: () => string,
  ): Promise<T> {
    const deadline = Date.now() + this.options.waitTimeoutMs;
    for (;;) {
      const value = await Promise.resolve(check()).catch(() => undefined);
      if (value !== undefined && value !== false) return value;
      if (Date.now() > deadline) {
        throw new Error(
          `gave up waiting for ${what} after ${this.options.waitTimeoutMs} ms${detail ? `\n${detail()}` : ''}`,
        );
      }
      await sleep(200);
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
