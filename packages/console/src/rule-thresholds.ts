/**
 * The thresholds the sensor page draws: each threshold rule's metric, statistic, direction and value (and
 * its clear level), read from the processor's rules file when the console is given one. Alerts carry their
 * rule's threshold too, so without a file the page draws those seen on the alerts topic. Only the fields
 * drawn are read; the processor validates the file, this reader skips what it does not understand.
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from '@sensor-pipeline/shared';
import { parse } from 'yaml';

export interface RuleThreshold {
  readonly rule: string;
  readonly metric: string;
  readonly statistic: string;
  readonly condition: 'above' | 'below';
  readonly threshold: number;
  readonly clear?: number;
  readonly severity: string;
}

/** Thresholds of the rules in a rules document (absence rules have none). */
export function ruleThresholds(document: unknown): RuleThreshold[] {
  const rules = (document as { rules?: unknown } | null)?.rules;
  if (!Array.isArray(rules)) return [];
  const out: RuleThreshold[] = [];
  for (const r of rules as Record<string, unknown>[]) {
    if (!r || typeof r !== 'object' || typeof r['name'] !== 'string' || typeof r['metric'] !== 'string') continue;
    const condition = typeof r['above'] === 'number' ? 'above' : typeof r['below'] === 'number' ? 'below' : undefined;
    if (!condition) continue;
    out.push({
      rule: r['name'],
      metric: r['metric'],
      statistic: typeof r['statistic'] === 'string' ? r['statistic'] : 'mean',
      condition,
      threshold: r[condition] as number,
      ...(typeof r['clear'] === 'number' ? { clear: r['clear'] } : {}),
      severity: typeof r['severity'] === 'string' ? r['severity'] : 'warning',
    });
  }
  return out;
}

export function loadRuleThresholds(file: string): RuleThreshold[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new ConfigError([{ file, message: 'cannot read the rules file' }], { cause });
  }
  try {
    return ruleThresholds(parse(text));
  } catch (cause) {
    throw new ConfigError([{ file, message: `not a YAML rules file (${(cause as Error).message})` }], { cause });
  }
}
