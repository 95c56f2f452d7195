/**
 * A process cannot start for a reason outside its config files: a port is taken, a required tool or file is
 * missing. Not retriable as is; the message says what to change.
 */
import { PipelineError } from './pipeline-error.js';

export class StartupError extends PipelineError {
  override readonly name = 'StartupError';
  declare readonly code: 'STARTUP_FAILED';

  constructor(message: string, options: { cause?: unknown } = {}) {
    super('STARTUP_FAILED', message, { retriable: false, cause: options.cause });
  }
}
