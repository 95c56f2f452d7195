/**
 * The `inhibitRules` block, in Alertmanager's shape and matcher syntax:
 *
 *     inhibitRules:
 *       - sourceMatchers: ['alertname="device-silent"']
 *         targetMatchers: ['alertname!="device-silent"']
 *         equal: [device]
 *
 * Labels are those routing and grouping see: `alertname` (the rule), `severity`, `device`, `metric` and
 * the alert's own. A matcher that does not parse is a config error at its line. Kept apart from the main
 * schema so inhibition can grow without touching it.
 */
import { stringField } from '@sensor-pipeline/shared';
import { z } from 'zod';
import { type LabelMatcher, parseLabelMatcher } from '../routing/label-matcher.js';
import type { InhibitRule } from '../stages/inhibit-stage.js';

const matcher = stringField({ min: 1, max: 1_024 }).superRefine((text, ctx) => {
  try {
    parseLabelMatcher(text);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
  }
});

export const inhibitRulesSchema = z
  .array(
    z.strictObject({
      sourceMatchers: z.array(matcher).min(1, 'expected at least one matcher, e.g. alertname="device-silent"'),
      targetMatchers: z.array(matcher).min(1, 'expected at least one matcher, e.g. severity="warning"'),
      equal: z.array(stringField({ min: 1, max: 100 })).default([]),
    }),
  )
  .max(1_000)
  .default([]);

export function toInhibitRules(rules: z.output<typeof inhibitRulesSchema>): InhibitRule[] {
  const parse = (list: readonly string[]): LabelMatcher[] => list.map(parseLabelMatcher);
  return rules.map((r) => ({
    sourceMatchers: parse(r.sourceMatchers),
    targetMatchers: parse(r.targetMatchers),
    equal: r.equal,
  }));
}
