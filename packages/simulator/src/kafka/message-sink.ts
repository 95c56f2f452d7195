/**
 * Where a simulation hands its messages, and what it learns back: how many the broker acknowledged and how
 * many failed (with reasons). Two implementations: `SimulatorProducer` (librdkafka's lower-level producer,
 * no promise per message) and `senderSink` (any KafkaJS-style `send`, one promise per batch).
 */
import type { SimMessage } from '../core/message-source.js';

export interface MessageSink {
  /** Hands `messages` to the client in order; returns how many it took (fewer when its queue is full). */
  write(topic: string, messages: readonly SimMessage[]): number;
  /** Messages the sink would take now without exceeding its in-flight bound (Infinity: the client's queue decides). */
  readonly room: number;
  /** Messages acknowledged by the broker (acks=all), as far as the sink knows now; exact once `drain` returned 0. */
  readonly acked: number;
  /** Messages that failed after the client's retries, or that the client refused. */
  readonly failed: number;
  /** Failure reason → messages. */
  readonly failures: ReadonlyMap<string, number>;
  /** Event-loop turns to give the client after writing `count` messages, so its delivery reports keep up. */
  turnsAfterWrite(count: number): number;
  /** Resolves when something settles or room frees up, or after `maxWaitMs`. */
  settled(maxWaitMs: number): Promise<void>;
  /** Waits until every message written is acknowledged or failed, up to `timeoutMs`; resolves with how many are not. */
  drain(timeoutMs: number): Promise<number>;
}
