/**
 * A failure reported by librdkafka's lower-level API, as a `PipelineError` with our code and the client's own
 * verdicts kept: whether a retry may help, whether the error is fatal for the client instance (a fenced or
 * broken idempotent/transactional producer: the instance must be closed), and whether the current transaction
 * must be aborted before anything else can succeed.
 */
import type { RdKafka } from '@confluentinc/kafka-javascript';
import { PipelineError } from '../errors.js';

/** The codes a `PipelineError` accepts. */
type Code = ConstructorParameters<typeof PipelineError>[0];

export class LibrdkafkaError extends PipelineError {
  override readonly name = 'LibrdkafkaError';
  /** librdkafka's error code (negative: client-side, positive: broker). */
  readonly kafkaCode: number;
  /** The client instance cannot be used any more (e.g. a producer fenced by a newer one with the same id). */
  readonly fatal: boolean;
  /** The open transaction must be aborted; after the abort, a new one may start. */
  readonly abortable: boolean;

  constructor(code: Code, message: string, cause: Partial<RdKafka.LibrdKafkaError> | undefined) {
    super(code, message, { retriable: Boolean(cause?.isRetriable), cause });
    this.kafkaCode = typeof cause?.code === 'number' ? cause.code : 0;
    this.fatal = Boolean(cause?.isFatal);
    this.abortable = Boolean(cause?.isTxnRequiresAbort);
  }
}

/** Wraps what the client reported (a LibrdKafkaError, an Error or anything) under `code`, saying what failed. */
export function librdkafkaError(code: Code, what: string, err: unknown): LibrdkafkaError {
  const cause = (err && typeof err === 'object' ? err : { message: String(err) }) as Partial<RdKafka.LibrdKafkaError>;
  return new LibrdkafkaError(code, `${what}: ${cause.message ?? String(err)}`, cause);
}
