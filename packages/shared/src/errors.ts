/**
 * Errors that carry a stable `code`, whether retrying can help (`retriable`), and their `cause`.
 * Callers branch on `code` and `retriable`, never on message text.
 */
export interface PipelineErrorOptions {
  readonly retriable?: boolean;
  readonly cause?: unknown;
}

export class PipelineError extends Error {
  override readonly name: string = 'PipelineError';
  readonly code: string;
  readonly retriable: boolean;

  constructor(code: string, message: string, options: PipelineErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retriable = options.retriable ?? false;
  }
}

/** Where in a config file a problem is: 1-based line and column, and the dotted field path. */
export interface ConfigLocation {
  readonly file: string;
  readonly line?: number;
  readonly column?: number;
  readonly field?: string;
}

export interface ConfigIssue extends ConfigLocation {
  /** What is wrong, and what was expected. */
  readonly message: string;
}

/**
 * A configuration file that cannot be used. Its message lists every issue as
 * `file:line:column field: message`, so an operator can go straight to the spot. Never retriable.
 */
export class ConfigError extends PipelineError {
  override readonly name = 'ConfigError';
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[], options: { cause?: unknown } = {}) {
    super('CONFIG_INVALID', formatConfigIssues(issues), { retriable: false, cause: options.cause });
    this.issues = issues;
  }
}

export function formatConfigIssue(issue: ConfigIssue): string {
  const where = [issue.file, issue.line, issue.column].filter((part) => part !== undefined).join(':');
  return `${where}${issue.field ? ` ${issue.field}` : ''}: ${issue.message}`;
}

function formatConfigIssues(issues: readonly ConfigIssue[]): string {
  if (issues.length === 1) return formatConfigIssue(issues[0]!);
  return `${issues.length} problems in configuration:\n${issues.map((i) => `  ${formatConfigIssue(i)}`).join('\n')}`;
}

/** Why a record could not be decoded. Not retriable: the same bytes fail the same way. */
export type DecodeErrorCode =
  | 'DECODE_EMPTY'
  | 'DECODE_BAD_MAGIC'
  | 'DECODE_UNKNOWN_SCHEMA'
  | 'DECODE_TRUNCATED'
  | 'DECODE_TRAILING_BYTES'
  | 'DECODE_INVALID';

export class DecodeError extends PipelineError {
  override readonly name = 'DecodeError';
  declare readonly code: DecodeErrorCode;

  constructor(code: DecodeErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(code, message, { retriable: false, cause: options.cause });
  }
}

/** A record that decoded but breaks the semantics (NaN value, impossible timestamp, ...). */
export class ValidationError extends PipelineError {
  override readonly name = 'ValidationError';
  constructor(code: string, message: string) {
    super(code, message, { retriable: false });
  }
}

/** Wraps a Kafka client error with our code and the client's own retriable hint. */
export class KafkaClientError extends PipelineError {
  override readonly name = 'KafkaClientError';
  constructor(message: string, options: PipelineErrorOptions = {}) {
    super('KAFKA_ERROR', message, options);
  }
}

/** True when retrying the failed operation may succeed (our flag, or the Kafka client's). */
export function isRetriable(err: unknown): boolean {
  if (err instanceof PipelineError) return err.retriable;
  if (err && typeof err === 'object' && 'retriable' in err) return Boolean((err as { retriable: unknown }).retriable);
  return false;
}
