/**
 * Exactly-once start-up: initializes the producer's transactions, which fences any earlier producer with the
 * same transactional id (aborting its open transaction). Retried with backoff while the error is retriable
 * (the coordinator not there yet), at most 10 attempts.
 */
import { isRetriable, type Logger, type RawProducer } from '@sensor-pipeline/shared';
import { sleep } from './until-done.js';

export async function initTransactions(
  producer: RawProducer,
  transactionTimeoutMs: number,
  log: Logger,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await producer.initTransactions(transactionTimeoutMs);
      return;
    } catch (err) {
      if (!isRetriable(err) || attempt >= 10) throw err;
      log.warn({ err, attempt }, 'initializing transactions failed; retrying');
      await sleep(Math.min(200 * 2 ** attempt, 5_000));
    }
  }
}
