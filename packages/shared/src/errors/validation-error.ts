/** A record that decoded but breaks the semantics (NaN value, impossible timestamp, ...). Never retriable. */
import type { ErrorCode } from './error-codes.js';
import { PipelineError } from './pipeline-error.js';

export class ValidationError extends PipelineError {
  override readonly name = 'ValidationError';
  constructor(code: ErrorCode, message: string) {
    super(code, message, { retriable: false });
  }
}
