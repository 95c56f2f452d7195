/**
 * The suite's own Apache Kafka broker (KRaft, `LocalKafka` from infra) on a free port with a data directory
 * of its own, so scenarios can stop it cleanly, `kill -9` it, and start it again on the same data.
 */
import { freePortPair, LocalKafka } from '@sensor-pipeline/infra';

/** Brokers started by this suite, so an interrupted run can stop them (see `stopAllBrokers`). */
const LIVE = new Set<ChaosBroker>();

/** SIGKILLs every broker this suite started (on Ctrl-C); its data directory stays for a look. */
export function killAllBrokers(): void {
  for (const broker of LIVE) {
    const pid = broker.pid;
    if (pid !== undefined) process.kill(pid, 'SIGKILL');
  }
}

export class ChaosBroker {
  private constructor(private readonly kafka: LocalKafka) {}

  static async start(dataDir: string, progress: (line: string) => void): Promise<ChaosBroker> {
    const kafka = new LocalKafka({ port: await freePortPair(), dataDir, progress: (l) => progress(`broker: ${l}`) });
    const broker = new ChaosBroker(kafka);
    LIVE.add(broker);
    await broker.startAgain();
    return broker;
  }

  get bootstrapServers(): string {
    return this.kafka.bootstrapServers;
  }

  get pid(): number | undefined {
    return this.kafka.runningPid();
  }

  /** A clean restart: SIGTERM (controlled shutdown), then start on the same data directory. */
  async restart(): Promise<void> {
    await this.kafka.stop({ timeoutMs: 60_000 });
    await this.startAgain();
  }

  /** `kill -9` the broker, wait until it is gone, then start it on the same data directory. */
  async killAndRestart(): Promise<void> {
    const pid = this.kafka.runningPid();
    if (pid !== undefined) {
      process.kill(pid, 'SIGKILL');
      while (this.kafka.runningPid() !== undefined) await sleep(100);
    }
    await this.startAgain();
  }

  async stop(): Promise<void> {
    LIVE.delete(this);
    await this.kafka.stop({ timeoutMs: 60_000 });
  }

  /**
   * LocalKafka judges readiness by "Kafka Server started" in its log, which it appends to: the previous
   * start's line would make a restart look ready at once. Each start gets a fresh log; old ones are kept.
   */
  private async startAgain(): Promise<void> {
    await this.kafka.start({ timeoutMs: 180_000 });
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
