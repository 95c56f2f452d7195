/**
 * One processor instance run as the users run it: the built CLI (`node packages/processor/dist/cli.js`) as a
 * child process with its own instance id, logs to a file per start, and its ops server on a free port
 * (learned from its log) for `/readyz` and `/metrics`. The suite sends it real signals.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TopicNames } from '@sensor-pipeline/shared';
import type { DeliveryMode } from './chaos-options.js';

export interface ProcessorProcessOptions {
  readonly cli: string;
  readonly instanceId: string;
  readonly groupId: string;
  readonly delivery: DeliveryMode;
  readonly rulesFile: string;
  readonly topics: TopicNames;
  readonly bootstrapServers: string;
  readonly commitIntervalMs: number;
  /** 0 = the client's default. */
  readonly sessionTimeoutMs: number;
  readonly staticMembership: boolean;
  /** Log files go here, `<instanceId>-<start>.log`. */
  readonly logDir: string;
}

/** Every live child, so an interrupted suite can end them (see `killAllProcessors`). */
const LIVE = new Set<ChildProcess>();

/** SIGKILLs every processor this suite started that is still running (on Ctrl-C or a crash of the suite). */
export function killAllProcessors(): void {
  for (const child of LIVE) {
    child.kill('SIGCONT');
    child.kill('SIGKILL');
  }
}

export class ProcessorProcess {
  private child: ChildProcess | undefined;
  private starts = 0;
  private logFile = '';
  private metricsUrl: string | undefined;
  private exited: Promise<void> = Promise.resolve();
  /** Exits the suite did not ask for (a crash, or a fatal error the service stopped on). */
  unplannedExits = 0;
  /** An unplanned exit not yet answered by a restart (the suite restarts it, as a supervisor would). */
  needsRestart = false;
  private expectingExit = false;
  stopped = false;

  constructor(readonly options: ProcessorProcessOptions) {}

  get id(): string {
    return this.options.instanceId;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  get currentLog(): string {
    return this.logFile;
  }

  start(): void {
    const o = this.options;
    this.starts += 1;
    this.logFile = join(o.logDir, `${o.instanceId}-${this.starts}.log`);
    this.metricsUrl = undefined;
    this.expectingExit = false;
    this.stopped = false;
    this.needsRestart = false;
    this.frozen = false;
    this.killedAsHung = false;
    this.lastAliveMs = Date.now();
    const out = openSync(this.logFile, 'a');
    const args = [
      o.cli,
      '--rules',
      o.rulesFile,
      '--group-id',
      o.groupId,
      '--delivery',
      o.delivery,
      '--instance-id',
      o.instanceId,
      '--metrics-port',
      '0',
      '--commit-interval',
      `${o.commitIntervalMs}ms`,
      // The workload is dated an hour ago and the oracle is a run without pauses: an idle clock following the
      // wall clock during an injected pause (a broker restart) would call every device silent, alerts the
      // oracle cannot have. Absence on the wall clock has tests of its own (absence-outage.int.test.ts).
      '--idle-advance-after',
      '0',
      ...(o.staticMembership ? ['--static-membership'] : []),
    ];
    const child = spawn(process.execPath, args, {
      env: {
        ...process.env,
        KAFKA_BOOTSTRAP_SERVERS: o.bootstrapServers,
        READINGS_TOPIC: o.topics.readings,
        ALERTS_TOPIC: o.topics.alerts,
        STATS_TOPIC: o.topics.stats,
        READINGS_DLQ_TOPIC: o.topics.readingsDlq,
        ALERT_STATE_TOPIC: o.topics.alertState,
        LOG_LEVEL: 'info',
        ...(o.sessionTimeoutMs > 0 ? { KAFKA_CONFIG_SESSION_TIMEOUT_MS: String(o.sessionTimeoutMs) } : {}),
      },
      stdio: ['ignore', out, out],
    });
    closeSync(out);
    this.child = child;
    LIVE.add(child);
    this.exited = new Promise((resolve) =>
      child.once('exit', () => {
        LIVE.delete(child);
        if (!this.expectingExit && !this.stopped) {
          this.unplannedExits += 1;
          this.needsRestart = true;
        }
        resolve();
      }),
    );
  }

  /** Stopped with SIGSTOP on purpose: not answering is expected, not a hang. */
  frozen = false;
  /** When `/healthz` last answered (or the process started), ms since the epoch. */
  private lastAliveMs = 0;
  /** Hung processes the liveness check ended. */
  hangs = 0;
  private killedAsHung = false;

  /** Sends a signal; SIGKILL and SIGTERM are expected to end the process. */
  signal(signal: NodeJS.Signals): void {
    if (!this.child || !this.running) return;
    if (signal === 'SIGSTOP') this.frozen = true;
    if (signal === 'SIGCONT') {
      this.frozen = false;
      this.lastAliveMs = Date.now();
    }
    if (signal === 'SIGKILL' || signal === 'SIGTERM') this.expectingExit = true;
    this.child.kill(signal);
  }

  /** Resolves once the process has exited. */
  waitExit(): Promise<void> {
    return this.exited;
  }

  /** SIGTERM (after SIGCONT, in case it is stopped), then SIGKILL if it has not exited after `timeoutMs`. */
  async stop(timeoutMs = 60_000): Promise<void> {
    if (!this.running) return;
    this.stopped = true;
    this.signal('SIGCONT');
    this.signal('SIGTERM');
    const timedOut = await Promise.race([this.exited.then(() => false), sleep(timeoutMs).then(() => true)]);
    if (timedOut) {
      this.signal('SIGKILL');
      await this.exited;
    }
  }

  /** The ops server's URL, once the process has logged it. */
  url(): string | undefined {
    if (this.metricsUrl) return this.metricsUrl;
    if (!existsSync(this.logFile)) return undefined;
    for (const line of readFileSync(this.logFile, 'utf8').split('\n')) {
      if (!line.includes('ops server listening')) continue;
      try {
        const url = (JSON.parse(line) as { url?: string }).url;
        if (url) return (this.metricsUrl = url);
      } catch {
        // a partial line: try again later
      }
    }
    return undefined;
  }

  /** `/readyz` answered 200. */
  async ready(): Promise<boolean> {
    const url = this.url();
    if (!url || !this.running) return false;
    try {
      const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(3_000) });
      await res.body?.cancel();
      return res.status === 200;
    } catch {
      return false;
    }
  }

  /**
   * A liveness check like an orchestrator's: when `/healthz` has not answered for `timeoutMs` (the event loop
   * is blocked) and the process is not frozen on purpose, it is killed and counted as a hang; the supervisor
   * then restarts it like any process that exited on its own.
   */
  async checkLiveness(timeoutMs: number): Promise<void> {
    if (!this.running || this.frozen || this.stopped) return;
    const url = this.url();
    if (url) {
      try {
        const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) });
        await res.body?.cancel();
        this.lastAliveMs = Date.now();
        return;
      } catch {
        // not answering: judged below
      }
    }
    // checks overlap (one every two seconds, each up to two): only the first to judge a hang kills
    if (this.killedAsHung) return;
    if (Date.now() - this.lastAliveMs > timeoutMs && this.running && !this.frozen && !this.stopped) {
      this.killedAsHung = true;
      this.hangs += 1;
      this.child?.kill('SIGKILL'); // not `signal()`: this exit is unplanned, so the supervisor restarts it
    }
  }

  /** The largest resident set size seen on `/metrics` over every start of this instance, bytes. */
  peakRssBytes = 0;

  /** Reads the process's RSS from `/metrics` (Node's default process metrics) and keeps the peak. */
  async sampleRss(): Promise<void> {
    const url = this.url();
    if (!url || !this.running) return;
    try {
      const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(3_000) });
      const match = /^process_resident_memory_bytes(?:\{[^}]*\})? (\d+(?:\.\d+)?(?:e\+\d+)?)$/m.exec(await res.text());
      if (match) this.peakRssBytes = Math.max(this.peakRssBytes, Number(match[1]));
    } catch {
      // stopped, starting or busy: the next sample will tell
    }
  }

  /** The last lines of the current log, for failure messages. */
  tail(lines = 15): string {
    if (!existsSync(this.logFile)) return '(no log)';
    return readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
