/**
 * A command line that cannot be used: an unknown flag, a bad value, a missing argument. Every CLI of the
 * product throws this one class, prints its message with the usage text and exits 2 before touching Kafka.
 */
import { PipelineError } from './pipeline-error.js';

export class UsageError extends PipelineError {
  override readonly name = 'UsageError';
  declare readonly code: 'USAGE';

  constructor(message: string, options: { cause?: unknown } = {}) {
    super('USAGE', message, { retriable: false, cause: options.cause });
  }
}

/**
 * The `UsageError` for `err` when it is one, or when it is node's `util.parseArgs` refusing the command line
 * (`ERR_PARSE_ARGS_*`); undefined for anything else.
 */
export function asUsageError(err: unknown): UsageError | undefined {
  if (err instanceof UsageError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
    return new UsageError((err as Error).message.split('\n')[0] ?? String(err), { cause: err });
  }
  return undefined;
}
