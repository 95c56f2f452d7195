/**
 * One running service of the pipeline, started from its `ServiceSpec`: spawned in a process group of its
 * own (so a Ctrl-C on the terminal reaches only the launcher, which then stops the services in order),
 * stdout and stderr appended to `<logDir>/<name>.log`, readiness polled on its `/readyz`, and stopped with
 * SIGTERM, then SIGKILL after a deadline.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PipelineError, StartupError } from '@sensor-pipeline/shared';
import type { ServiceSpec } from '../pipeline-services.js';

export interface ExitStatus {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface StopResult {
  readonly name: string;
  readonly status: ExitStatus;
  /** True when it exited by itself within the deadline with status 0. */
  readonly clean: boolean;
  readonly killed: boolean;
  readonly ms: number;
}

export class ServiceNotReadyError extends PipelineError {
  override readonly name = 'ServiceNotReadyError';
  constructor(
    readonly service: string,
    message: string,
  ) {
    super('SERVICE_NOT_READY', message, { retriable: false });
  }
}

export function describeExit(status: ExitStatus): string {
  return status.signal ? `killed by ${status.signal}` : `exit code ${status.code}`;
}

export class ServiceProcess {
  readonly logFile: string;
  private child: ChildProcess | undefined;
  private exitStatus: ExitStatus | undefined;
  private exitPromise: Promise<ExitStatus> | undefined;
  private lastReadyAnswer = 'no answer yet';

  constructor(
    readonly spec: ServiceSpec,
    private readonly options: { readonly cwd: string; readonly logDir: string; readonly baseEnv?: NodeJS.ProcessEnv },
  ) {
    this.logFile = join(options.logDir, `${spec.name}.log`);
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.exitStatus === undefined;
  }

  get exited(): ExitStatus | undefined {
    return this.exitStatus;
  }

  get opsUrl(): string {
    return `http://127.0.0.1:${this.spec.opsPort}`;
  }

  /** Resolves when the process has exited (at once if it never started). */
  whenExited(): Promise<ExitStatus> {
    return this.exitPromise ?? Promise.resolve({ code: null, signal: null });
  }

  /** Spawns the service. `node` in the spec is this Node.js binary. */
  start(): void {
    if (this.child) throw new StartupError(`${this.spec.name} was already started`);
    const [command, ...args] = this.spec.command;
    if (!command) throw new StartupError(`${this.spec.name} has an empty command`);
    const out = openSync(this.logFile, 'a');
    try {
      this.child = spawn(command === 'node' ? process.execPath : command, args, {
        cwd: this.options.cwd,
        env: { ...(this.options.baseEnv ?? process.env), ...this.spec.env },
        stdio: ['ignore', out, out],
        detached: true,
      });
    } finally {
      closeSync(out);
    }
    const child = this.child;
    this.exitPromise = new Promise<ExitStatus>((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitStatus = { code, signal };
        resolve(this.exitStatus);
      });
      child.once('error', (err) => {
        this.exitStatus = { code: 127, signal: null };
        this.lastReadyAnswer = `could not start: ${err.message}`;
        resolve(this.exitStatus);
      });
    });
  }

  /** One /readyz probe: true on 200. */
  async probeReady(timeoutMs = 1_000): Promise<boolean> {
    try {
      const res = await fetch(`${this.opsUrl}${this.spec.readyPath}`, { signal: AbortSignal.timeout(timeoutMs) });
      const body = (await res.text()).slice(0, 300);
      this.lastReadyAnswer = `${res.status} ${body}`;
      return res.status === 200;
    } catch (err) {
      this.lastReadyAnswer = `no answer (${(err as Error).message})`;
      return false;
    }
  }

  /**
   * Waits until /readyz answers 200. A service that may finish (the simulator with --count) and exits 0
   * before answering counts as ready. Throws `ServiceNotReadyError` naming the service, its last answer and
   * the tail of its log when it exits first or the timeout passes.
   */
  async waitReady(timeoutMs: number, isCancelled: () => boolean = () => false): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.exitStatus) {
        if (this.spec.mayFinish && this.exitStatus.code === 0) return;
        throw new ServiceNotReadyError(
          this.spec.name,
          `${this.spec.name} exited (${describeExit(this.exitStatus)}) before it was ready at ${this.opsUrl}${this.spec.readyPath}; ` +
            `last lines of ${this.logFile}:\n${this.logTail()}`,
        );
      }
      if (await this.probeReady()) return;
      if (isCancelled())
        throw new ServiceNotReadyError(this.spec.name, `stopped while waiting for ${this.spec.name} to be ready`);
      if (Date.now() > deadline) {
        throw new ServiceNotReadyError(
          this.spec.name,
          `${this.spec.name} was not ready at ${this.opsUrl}${this.spec.readyPath} within ${Math.round(timeoutMs / 1000)} s ` +
            `(last answer: ${this.lastReadyAnswer}); last lines of ${this.logFile}:\n${this.logTail()}`,
        );
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** SIGTERM, wait up to `timeoutMs`, then SIGKILL the whole process group. */
  async stop(timeoutMs: number): Promise<StopResult> {
    const started = Date.now();
    if (!this.child || this.exitStatus) {
      const status = this.exitStatus ?? { code: 0, signal: null };
      return { name: this.spec.name, status, clean: status.code === 0, killed: false, ms: 0 };
    }
    this.signal('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
    const first = await Promise.race([this.whenExited(), timedOut]);
    clearTimeout(timer);
    let killed = false;
    if (first === 'timeout') {
      killed = true;
      this.signal('SIGKILL');
    }
    const status = await this.whenExited();
    this.signal('SIGKILL'); // anything the service left behind in its group
    return { name: this.spec.name, status, clean: !killed && status.code === 0, killed, ms: Date.now() - started };
  }

  /** Sends `signal` to the service's own process only (not its group): for signals it passes on itself (SIGHUP). */
  signalLeader(signal: NodeJS.Signals): void {
    const pid = this.child?.pid;
    if (pid === undefined || this.exitStatus !== undefined) return;
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }

  /** Sends `signal` to the service's process group (it leads one; see `start`). */
  signal(signal: NodeJS.Signals): void {
    const pid = this.child?.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch {
      try {
        if (this.exitStatus === undefined) process.kill(pid, signal);
      } catch {
        // already gone
      }
    }
  }

  /** The last `lines` lines of its log. */
  logTail(lines = 25): string {
    if (!existsSync(this.logFile)) return '(no log)';
    const size = statSync(this.logFile).size;
    const fd = openSync(this.logFile, 'r');
    const buf = Buffer.alloc(Math.min(size, 64_000));
    try {
      readSync(fd, buf, 0, buf.length, size - buf.length);
    } finally {
      closeSync(fd);
    }
    const all = buf.toString('utf8').split('\n');
    if (buf.length < size) all.shift(); // the first line is cut
    if (all.at(-1) === '') all.pop();
    return all.slice(-lines).join('\n') || '(empty log)';
  }
}
