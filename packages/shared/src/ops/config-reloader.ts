/**
 * Runs a service's configuration reload one at a time, whoever asks (SIGHUP, `POST /-/reload`): a request
 * that arrives while a reload runs queues exactly one more, which starts after the running one ends and
 * serves every request that came in meanwhile, so each caller sees a reload that read the files after it
 * asked, and a burst of signals costs at most two reloads. Each outcome is logged and recorded in the
 * reload gauges (when given); a refused reload leaves the old configuration in force — the reload function
 * must only swap it in once the new one is valid.
 */
import type { Logger } from '../logger.js';
import type { ReloadGauges } from './reload-gauges.js';

/** Loads, validates and applies the configuration; resolves to a short report (what changed), rejects to refuse it. */
export type ReloadFunction = () => Promise<string>;

export interface ConfigReloaderOptions {
  readonly reload: ReloadFunction;
  readonly logger: Logger;
  readonly gauges?: ReloadGauges;
  /** Epoch milliseconds, for the success timestamp; default `Date.now`. */
  readonly now?: () => number;
}

export interface ConfigReloader {
  /**
   * Asks for a reload; resolves to the report of the reload that served this request, rejects with its
   * error when it was refused. `trigger` names who asked, for the logs (`SIGHUP`, `http`).
   */
  request(trigger: string): Promise<string>;
  /** Reloads finished so far (successful or refused). */
  readonly completed: number;
}

export function configReloader(options: ConfigReloaderOptions): ConfigReloader {
  const log = options.logger.child({ component: 'config-reload' });
  const now = options.now ?? Date.now;
  let running = false;
  let pending: Batch | undefined;
  let completed = 0;

  const runOnce = async (triggers: readonly string[]): Promise<string> => {
    log.info({ triggers }, 'reloading configuration');
    try {
      const report = (await options.reload()) || 'configuration reloaded';
      options.gauges?.recordSuccess(now());
      log.info({ triggers, report }, 'configuration reloaded');
      return report;
    } catch (err) {
      options.gauges?.recordFailure();
      log.error({ err, triggers }, 'configuration reload refused; the previous configuration stays in force');
      throw err;
    } finally {
      completed += 1;
    }
  };

  // runs `batch`, then the batch queued meanwhile, if any; `running` stays true from start to the end
  const drive = async (batch: Batch): Promise<void> => {
    running = true;
    try {
      batch.resolve(await runOnce(batch.triggers));
    } catch (err) {
      batch.reject(err);
    }
    const next = pending;
    pending = undefined;
    if (next) void drive(next);
    else running = false;
  };

  return {
    request(trigger) {
      if (running) {
        pending ??= newBatch();
        pending.triggers.push(trigger);
        return pending.promise;
      }
      const batch = newBatch();
      batch.triggers.push(trigger);
      void drive(batch);
      return batch.promise;
    },
    get completed() {
      return completed;
    },
  };
}

/** The requests one reload serves, and the promise they all get. */
interface Batch {
  readonly triggers: string[];
  readonly promise: Promise<string>;
  resolve(report: string): void;
  reject(err: unknown): void;
}

function newBatch(): Batch {
  let resolve!: (report: string) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<string>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // a refusal is reported through the log and the gauges; a caller that does not wait for it (a signal
  // handler) must not turn it into an unhandled rejection
  promise.catch(() => undefined);
  return { triggers: [], promise, resolve, reject };
}
