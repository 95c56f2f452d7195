/**
 * Reads and validates a rules file (YAML, see `rules-schema.ts` for the reference) into a `RulesConfig`.
 * Any problem throws the shared `ConfigError`, whose message names the file, line, column and field, so the
 * processor can refuse to start before it touches Kafka.
 */
import { type LoadConfigOptions, loadConfigFile, parseConfig } from '@sensor-pipeline/shared/core';
import { type RulesConfig, rulesSchema } from './rules-schema.js';

/** Where the processor looks for its rules when no flag or environment variable says otherwise. */
export const DEFAULT_RULES_FILE = 'config/rules.yaml';

/** Loads `file`; throws `ConfigError` (code `CONFIG_INVALID`) when it cannot be read or is invalid. */
export function loadRules(file: string, options: LoadConfigOptions = {}): RulesConfig {
  return loadConfigFile(file, rulesSchema, options);
}

/** Like {@link loadRules} for text already in memory; `file` is only used in error messages. */
export function parseRules(text: string, file: string, options: LoadConfigOptions = {}): RulesConfig {
  return parseConfig(text, file, rulesSchema, options);
}
