/**
 * Reads and validates a scenario file. Every problem is a `ConfigError` naming file, line, column and
 * field (shared's config loader), thrown before anything touches Kafka.
 */
import { ConfigError, formatPath, loadConfigFile, parseConfig } from '@sensor-pipeline/shared';
import { type ScenarioFile, scenarioSchema } from './scenario-schema.js';

export function loadScenario(
  file: string,
  options: { env?: Readonly<Record<string, string | undefined>> } = {},
): ScenarioFile {
  return loadConfigFile(file, scenarioSchema, options);
}

export function parseScenario(
  text: string,
  file = '<scenario>',
  options: { env?: Readonly<Record<string, string | undefined>> } = {},
): ScenarioFile {
  return parseConfig(text, file, scenarioSchema, options);
}

/** A scenario from plain data (for code and benchmarks), checked like a file. */
export function defineScenario(input: unknown): ScenarioFile {
  const result = scenarioSchema.safeParse(input);
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues.map((issue) => ({
      file: '<inline scenario>',
      field: formatPath(issue.path.filter((p): p is string | number => typeof p !== 'symbol')),
      message: issue.message,
    })),
  );
}
