/**
 * Graceful shutdown on SIGINT/SIGTERM: runs the registered steps in reverse order of registration (stop
 * taking work, finish the batch in hand, commit, leave the group, close servers), each bounded by a
 * deadline. A second signal, or the deadline passing, exits at once with status 1.
 */
import type { Logger } from '../logger.js';

export type ShutdownStep = (signal: string) => Promise<void> | void;

export interface ShutdownController {
  /** Adds a step; steps run last-registered first. */
  add(name: string, step: ShutdownStep): void;
  /** Starts the shutdown as if a signal came (e.g. after a fatal error). Resolves when all steps ran. */
  shutdown(reason: string, exitCode?: number): Promise<void>;
  readonly stopping: boolean;
  /** Resolves when a shutdown starts; long-running loops race against it. */
  readonly stopped: Promise<string>;
}

export function onShutdown(
  logger: Logger,
  options: { timeoutMs?: number; exit?: (code: number) => void } = {},
): ShutdownController {
  const timeoutMs = options.timeoutMs ?? 30_000; // 30 seconds to drain, commit and leave the group
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const log = logger.child({ component: 'shutdown' });
  const steps: { name: string; step: ShutdownStep }[] = [];
  let stopping = false;
  let resolveStopped!: (reason: string) => void;
  const stopped = new Promise<string>((resolve) => (resolveStopped = resolve));
  let running: Promise<void> | undefined;

  const run = async (reason: string, exitCode: number): Promise<void> => {
    stopping = true;
    resolveStopped(reason);
    log.info({ reason, timeoutMs }, 'shutting down');
    const timer = setTimeout(() => {
      log.error({ timeoutMs }, 'shutdown deadline passed; exiting now');
      exit(1);
    }, timeoutMs);
    timer.unref();
    let code = exitCode;
    for (const { name, step } of [...steps].reverse()) {
      try {
        await step(reason);
        log.debug({ step: name }, 'shutdown step done');
      } catch (err) {
        code = 1;
        log.error({ err, step: name }, 'shutdown step failed');
      }
    }
    clearTimeout(timer);
    log.info({ exitCode: code }, 'stopped');
    exit(code);
  };

  const onSignal = (signal: NodeJS.Signals): void => {
    if (running) {
      log.warn({ signal }, 'second signal: exiting without finishing shutdown');
      exit(1);
      return;
    }
    running = run(signal, 0);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  return {
    add(name, step) {
      steps.push({ name, step });
    },
    shutdown(reason, exitCode = 0) {
      running ??= run(reason, exitCode);
      return running;
    },
    get stopping() {
      return stopping;
    },
    stopped,
  };
}
