/**
 * The exit status a CLI ends with after an error: 2 for a command line or config file the operator must fix
 * (`USAGE`, `CONFIG_INVALID`, node's `ERR_PARSE_ARGS_*`), 1 for anything else. One rule for every CLI.
 */
import { asUsageError } from './usage-error.js';

export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export function exitStatusOf(err: unknown): typeof EXIT_FAILURE | typeof EXIT_USAGE {
  if (asUsageError(err)) return EXIT_USAGE;
  if ((err as { code?: unknown } | null)?.code === 'CONFIG_INVALID') return EXIT_USAGE;
  return EXIT_FAILURE;
}
