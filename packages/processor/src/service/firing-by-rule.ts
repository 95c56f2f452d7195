/**
 * The instance's `firing` gauge values, by rule: the sensor and device series each partition holds, plus the
 * group and fleet series once — they are shared by the instance's partitions (see GroupAbsenceTracker), so a
 * partition's own count cannot carry them: the one that fired a site is not always the one that resolves it,
 * a revoked partition takes its share with it, and a restore or a reload would count them once per partition.
 * Every rule in `ruleNames` is listed (at 0 when nothing fires). Pure.
 */
import type { PartitionRules } from './partition-pipeline.js';
import type { RulesRuntime } from './processor-options.js';

export function firingByRule(
  ruleNames: readonly string[],
  partitions: Iterable<PartitionRules>,
  runtime: Pick<RulesRuntime, 'sharedFiringByRule'>,
): Map<string, number> {
  const firing = new Map<string, number>(ruleNames.map((rule) => [rule, 0]));
  const add = (counts: Iterable<[string, number]>) => {
    for (const [rule, n] of counts) firing.set(rule, (firing.get(rule) ?? 0) + n);
  };
  for (const rules of partitions) add(rules.firingByRule ?? []);
  add(runtime.sharedFiringByRule?.() ?? []);
  return firing;
}
