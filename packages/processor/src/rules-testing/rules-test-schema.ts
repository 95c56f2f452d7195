/**
 * The file format of `processor test-rules`, in the spirit of `promtool test rules` (field names follow it):
 *
 * ```yaml
 * rule_files: [rules.yaml]          # the rules under test, relative to this file
 * evaluation_interval: 1s           # optional, default 1s: one sample per interval, for every test
 * tests:
 *   - name: overheating fires after its for   # optional
 *     interval: 1s                  # optional: this test's interval
 *     input_series:                 # one per sensor
 *       - device: site-a/dev-1
 *         metric: temperature       # temperature | cpu | memory
 *         labels: { site: a }       # optional device labels
 *         values: "70x10 90x30 _x40 70x20"   # sample i at i × interval; see expand-series.ts
 *     alert_rule_test:
 *       - eval_time: 45s            # event time since the first sample
 *         alertname: temperature-high
 *         exp_alerts:               # every series of the rule with an event by eval_time, in its latest state
 *           - status: FIRING        # optional, default FIRING (RESOLVED: it fired and resolved)
 *             labels: { deviceId: site-a/dev-1 }   # optional; the labels given must match, others are ignored
 *             value: 90             # optional; compared at the precision written (86.67 matches 86.6667)
 *             summary: "..."        # optional; exact
 * ```
 * An empty or missing `exp_alerts` expects no event of the rule by `eval_time`.
 */
import { durationMs, enumField, numberField, stringField } from '@sensor-pipeline/shared';
import { z } from 'zod';
import { METRICS } from '../rules/rules-schema.js';
import { expandSeries } from './expand-series.js';

/** Longest test: a week of event time. */
const MAX_TEST_MS = 7 * 86_400_000;

const seriesValues = z
  .union([z.string(), z.number()], { error: 'expected the samples as text, e.g. "20+5x10 _ 0x5"' })
  .transform((text, ctx) => {
    try {
      return expandSeries(String(text));
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
      return z.NEVER;
    }
  });

const labelMap = z.record(stringField({ min: 1, max: 256 }), stringField({ max: 1_024 }));

const inputSeries = z.strictObject({
  device: stringField({ min: 1, max: 256 }),
  metric: enumField(METRICS, { field: 'metric' }),
  labels: labelMap.default({}),
  values: seriesValues,
});

const expectedAlert = z.strictObject({
  status: enumField(['FIRING', 'RESOLVED'] as const, { field: 'status' }).default('FIRING'),
  labels: labelMap.default({}),
  value: numberField().optional(),
  summary: z.string().optional(),
});

const alertRuleTest = z.strictObject({
  eval_time: durationMs({ max: MAX_TEST_MS }),
  alertname: stringField({ min: 1, max: 256 }),
  exp_alerts: z
    .array(expectedAlert)
    .nullish()
    .transform((list) => list ?? []),
});

const testCase = z.strictObject({
  name: z.string().optional(),
  interval: durationMs({ min: 1, max: 86_400_000 }).optional(),
  input_series: z.array(inputSeries).min(1, 'expected at least one input series'),
  alert_rule_test: z.array(alertRuleTest).min(1, 'expected at least one alert_rule_test'),
});

export const rulesTestFileSchema = z.strictObject({
  rule_files: z.array(stringField({ min: 1, max: 4_096 })).min(1, 'expected at least one rules file'),
  evaluation_interval: durationMs({ min: 1, max: 86_400_000 }).default(1_000),
  tests: z.array(testCase).min(1, 'expected at least one test'),
});

export type RulesTestFile = z.output<typeof rulesTestFileSchema>;
export type RulesTestCase = RulesTestFile['tests'][number];
export type ExpectedAlert = RulesTestCase['alert_rule_test'][number]['exp_alerts'][number];
