/**
 * The suite's own Apache Kafka broker (KRaft, `LocalKafka` from infra) on a free port with a data directory
 * of its own, so scenarios can stop it cleanly, `kill -9` it, and start it again on the same data.
 */
import { existsSync, renameSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { LocalKafka } from '@sensor-pipeline/infra';

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
    const log = this.kafka.logFile;
    if (existsSync(log)) renameSync(log, join(this.kafka.dataDir, `broker.out.${Date.now()}`));
    await this.kafka.start({ timeoutMs: 180_000 });
  }
}

/** A free port whose successor is free too (the broker's controller listens on port + 1). */
async function freePortPair(): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const port = await freePort(0);
    if ((await freePort(port + 1).catch(() => -1)) === port + 1) return port;
  }
  throw new Error('no free port pair found for the chaos broker');
}

function freePort(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const chosen = (server.address() as { port: number }).port;
      server.close(() => resolve(chosen));
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
