/**
 * Runs a step against the broker until it succeeds, waiting with backoff between attempts, so a broker
 * outage during a rebuild, a rewind or a seek is waited out rather than fatal. Gives up at once on a
 * non-retriable `PipelineError` (other than a plain Kafka error), when the service is halted (failed or
 * stopping), or after `maxAttempts`.
 */
import { type Logger, PipelineError } from '@sensor-pipeline/shared';

export interface UntilDoneOptions {
  readonly log: Logger;
  /** True once the service failed or is stopping: the last error is thrown then. */
  readonly halted: () => boolean;
  /** Attempts before the last error is thrown; unbounded by default. */
  readonly maxAttempts?: number;
}

export async function untilDone(what: string, step: () => Promise<void>, options: UntilDoneOptions): Promise<void> {
  const maxAttempts = options.maxAttempts ?? Number.POSITIVE_INFINITY;
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (err) {
      if (options.halted() || attempt >= maxAttempts) throw err;
      if (err instanceof PipelineError && !err.retriable && err.code !== 'KAFKA_ERROR') throw err;
      const waitMs = Math.min(250 * 2 ** Math.min(attempt, 5), 5_000);
      options.log.warn({ err, attempt, waitMs }, '%s failed; retrying', what);
      await sleep(waitMs);
    }
  }
}

/** Waits `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
