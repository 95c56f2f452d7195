/** Why a record could not be decoded. Not retriable: the same bytes fail the same way. */
import type { ErrorCode } from './error-codes.js';
import { PipelineError } from './pipeline-error.js';

/** The `DECODE_*` codes of the catalogue. */
export type DecodeErrorCode = Extract<ErrorCode, `DECODE_${string}`>;

export class DecodeError extends PipelineError {
  override readonly name = 'DecodeError';
  declare readonly code: DecodeErrorCode;

  constructor(code: DecodeErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(code, message, { retriable: false, cause: options.cause });
  }
}
