/**
 * Why one webhook attempt failed, as a `PipelineError` whose `retriable` says whether another attempt can
 * help (5xx, 408, 429, timeouts, network errors) or not (other 4xx, redirects, refused destinations).
 * The code and message travel into the deliveries DLQ headers; they never contain secrets.
 */
import { PipelineError } from '@sensor-pipeline/shared';

export type DeliveryErrorCode =
  /** The receiver answered with a non-2xx status (see `status`). */
  | 'WEBHOOK_HTTP_STATUS'
  /** The receiver answered 3xx; redirects are never followed (they could lead anywhere). */
  | 'WEBHOOK_REDIRECT'
  /** No complete answer within the receiver's timeout. */
  | 'WEBHOOK_TIMEOUT'
  /** Connection refused or reset, DNS failure, TLS failure... */
  | 'WEBHOOK_NETWORK'
  /** The destination resolves to a loopback, private, link-local or metadata address (SSRF guard). */
  | 'WEBHOOK_DESTINATION_BLOCKED'
  /** The receiver's queue was full and it is configured with `onQueueFull: dead-letter`. */
  | 'WEBHOOK_QUEUE_FULL'
  /** A delivery parked in the retry topic for a receiver a reload removed (redrive it once it is back). */
  | 'DELIVERY_RECEIVER_REMOVED'
  /** A record of the retry topic that does not decode as an alert. */
  | 'DELIVERY_PARKED_UNDECODABLE';

export interface DeliveryErrorOptions {
  readonly retriable: boolean;
  readonly status?: number;
  /** From the response's `Retry-After`, already converted to milliseconds from now. */
  readonly retryAfterMs?: number;
  readonly cause?: unknown;
}

export class DeliveryError extends PipelineError {
  override readonly name = 'DeliveryError';
  declare readonly code: DeliveryErrorCode;
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(code: DeliveryErrorCode, message: string, options: DeliveryErrorOptions) {
    super(code, message, { retriable: options.retriable, cause: options.cause });
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
  }
}
