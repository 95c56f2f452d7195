/**
 * A configuration file that cannot be used. Its message lists every issue as
 * `file:line:column field: message`, so an operator can go straight to the spot. Never retriable; a CLI
 * exits 2 on it before touching Kafka.
 */
import { PipelineError } from './pipeline-error.js';

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

export class ConfigError extends PipelineError {
  override readonly name = 'ConfigError';
  declare readonly code: 'CONFIG_INVALID';
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
