/**
 * The processor's reload function: reads the rules file again and, when it is valid, puts it in force
 * through the rules runtime (see rules-runtime.ts for what carries over). A file that does not load is
 * refused with the `ConfigError` that names file, line, column and field; the rules in force stay. Driven by
 * the shared `ConfigReloader` (SIGHUP, `POST /-/reload`), which logs and records every outcome.
 */
import type { RulesChange } from '../rules/carry-over-rules.js';
import { loadRules } from '../rules/load-rules.js';
import type { ReloadableRulesRuntime } from './rules-runtime.js';

export function rulesReloadFunction(file: string, runtime: ReloadableRulesRuntime): () => Promise<string> {
  return async () => {
    const config = loadRules(file);
    const change = runtime.reload(config);
    return `rules reloaded from ${file}: ${describeRulesChange(change)}`;
  };
}

/** `4 rules: 1 added (x), 1 changed (y), 2 unchanged` — what a reload did, in one line. */
export function describeRulesChange(change: RulesChange): string {
  const total = change.added.length + change.changed.length + change.unchanged.length;
  const named = (what: string, names: readonly string[]) =>
    names.length === 0 ? [] : [`${names.length} ${what} (${names.join(', ')})`];
  return [
    `${total} rule${total === 1 ? '' : 's'}`,
    [
      ...named('added', change.added),
      ...named('removed', change.removed),
      ...named('changed', change.changed),
      `${change.unchanged.length} unchanged`,
    ].join(', '),
  ].join(': ');
}
