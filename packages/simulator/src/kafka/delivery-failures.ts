/**
 * Counts messages that were not acknowledged, by reason (the client's error code and message), and logs
 * them without flooding: the first failure of each reason, then at most one line every 5 seconds — a
 * broker outage fails every message.
 */
import type { Logger } from '@sensor-pipeline/shared';

const LOG_EVERY_MS = 5_000;

export class DeliveryFailures {
  /** Messages failed so far. */
  count = 0;
  /** Failure reason → messages. */
  readonly byReason = new Map<string, number>();
  private readonly log: Logger;
  private readonly clock: () => number;
  private lastLogMs = Number.NEGATIVE_INFINITY;

  constructor(log: Logger, clock: () => number = Date.now) {
    this.log = log;
    this.clock = clock;
  }

  /** `messages` failed with `err`. */
  record(err: unknown, messages: number): void {
    this.count += messages;
    const reason = failureReason(err);
    const seen = this.byReason.get(reason) ?? 0;
    this.byReason.set(reason, seen + messages);
    const now = this.clock();
    if (seen === 0 || now - this.lastLogMs >= LOG_EVERY_MS) {
      this.lastLogMs = now;
      this.log.error({ err, messages, reason, failedTotal: this.count }, 'messages not acknowledged after retries');
    }
  }
}

/** A short, stable reason for a failure: the client's error code and message. */
export function failureReason(err: unknown): string {
  if (err && typeof err === 'object') {
    const e = err as { code?: unknown; message?: unknown };
    const code = e.code === undefined ? '' : `${String(e.code)}: `;
    return `${code}${String(e.message ?? err)}`.slice(0, 200);
  }
  return String(err).slice(0, 200);
}
