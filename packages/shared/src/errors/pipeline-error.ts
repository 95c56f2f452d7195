/**
 * The base of every error the product throws on purpose: a stable `code` from the catalogue
 * (`error-codes.ts`), whether retrying can help (`retriable`, defaulting to the code's own verdict), and
 * the `cause`. Callers branch on `code` and `retriable`, never on message text.
 */
import { ERROR_CODES, type ErrorCode } from './error-codes.js';

export interface PipelineErrorOptions {
  /** Overrides the code's default (e.g. the Kafka client's own verdict). */
  readonly retriable?: boolean;
  readonly cause?: unknown;
}

export class PipelineError extends Error {
  override readonly name: string = 'PipelineError';
  readonly code: ErrorCode;
  readonly retriable: boolean;

  constructor(code: ErrorCode, message: string, options: PipelineErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retriable = options.retriable ?? ERROR_CODES[code]?.retriable ?? false;
  }
}

/** True when retrying the failed operation may succeed (our flag, or the Kafka client's). */
export function isRetriable(err: unknown): boolean {
  if (err instanceof PipelineError) return err.retriable;
  if (err && typeof err === 'object' && 'retriable' in err) return Boolean((err as { retriable: unknown }).retriable);
  return false;
}
