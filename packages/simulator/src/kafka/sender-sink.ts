/**
 * A `MessageSink` over a KafkaJS-style producer's `send` (one promise per batch): every message of a batch
 * counts as acknowledged when its promise resolves, as failed (with the reason) when it rejects. The
 * in-flight bound is kept here, since such a client has no queue bound of its own that says "full".
 */
import type { Logger } from '@sensor-pipeline/shared';
import type { SimMessage } from '../core/message-source.js';
import { DeliveryFailures } from './delivery-failures.js';
import type { MessageSink } from './message-sink.js';

/** The part of a KafkaJS-style producer the simulation uses. */
export interface MessageSender {
  send(record: { topic: string; messages: SimMessage[] }): Promise<unknown>;
}

export interface SenderSinkOptions {
  /** Messages sent but not yet settled before the sink takes no more. */
  readonly maxInFlight: number;
  readonly logger: Logger;
  readonly clock?: () => number;
}

/** The KafkaJS-compatible layer of @confluentinc/kafka-javascript hands over delivery reports 100 per event-loop turn. */
const DELIVERY_REPORTS_PER_TURN = 100;

export function senderSink(sender: MessageSender, options: SenderSinkOptions): MessageSink {
  const clock = options.clock ?? Date.now;
  const failures = new DeliveryFailures(options.logger.child({ component: 'sender-sink' }), clock);
  let sent = 0;
  let acked = 0;
  let wake: (() => void) | undefined;
  const notify = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const settled = (maxWaitMs: number): Promise<void> =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, maxWaitMs);
      const previous = wake;
      function done(): void {
        clearTimeout(timer);
        previous?.();
        resolve();
      }
      wake = done;
    });
  const inFlight = (): number => sent - acked - failures.count;
  return {
    write(topic, messages) {
      const n = messages.length;
      if (n === 0) return 0;
      sent += n;
      let promise: Promise<unknown>;
      try {
        promise = sender.send({ topic, messages: messages as SimMessage[] });
      } catch (err) {
        promise = Promise.reject(err);
      }
      promise.then(
        () => {
          acked += n;
          notify();
        },
        (err: unknown) => {
          failures.record(err, n);
          notify();
        },
      );
      return n;
    },
    get room() {
      return options.maxInFlight - inFlight();
    },
    get acked() {
      return acked;
    },
    get failed() {
      return failures.count;
    },
    failures: failures.byReason,
    turnsAfterWrite: (count) => Math.ceil(count / DELIVERY_REPORTS_PER_TURN),
    settled,
    async drain(timeoutMs) {
      const deadline = clock() + timeoutMs;
      while (inFlight() > 0) {
        const left = deadline - clock();
        if (left <= 0) return inFlight();
        await settled(Math.min(left, 1_000));
      }
      return 0;
    },
  };
}
