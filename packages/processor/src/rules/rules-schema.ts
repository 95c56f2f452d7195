/**
 * The rules file: its schema (zod, strict: an unknown key is an error), the cross-field checks that say how
 * to fix a value, and the normalized `RulesConfig` the processor runs on. Loaded by `loadRules`, which turns
 * every problem into a `ConfigError` naming file, line, column and field.
 *
 * # Rules file reference (RULES.md)
 *
 * ```yaml
 * grace: 5s                 # optional, default 5s, at most 1h: allowed lateness of out-of-order readings
 * rules:                     # required: at least one rule (at most 1,000)
 *   - name: temperature-high          # required, unique, lowercase letters, digits and dashes
 *     metric: temperature             # required: temperature | cpu | memory
 *     window: 30s                     # required: a duration from 1s to 24h (time window), {count: 10} (last 10 readings)
 *                                     #   or {size: 30s, hop: 5s} (time window evaluated once per hop)
 *     statistic: mean                 # required: mean | median | min | max | count | stddev
 *     above: 80                       # exactly one of `above` / `below` (strict: > 80, < 10)
 *     clear: 75                       # optional hysteresis: a FIRING alert resolves only once the value is
 *                                     #   under 75 (for `above`) / over it (for `below`); default: the threshold
 *     for: 10s                        # optional, default 0, at most 7d: the condition must hold this long (event time)
 *     severity: critical              # required: critical | warning | info
 *     labels: { team: facilities }    # optional, added to the alert's labels (rule labels win over device labels)
 *     devices:                        # optional selector, default every device; all given parts must match
 *       match: "site-a/*"             #   glob(s) on deviceId (picomatch: `*` stops at `/`, `**` does not);
 *                                     #   a string or a list (any may match)
 *       labels: { model: x1 }         #   device labels that must be equal
 *     summary: "{{deviceId}} {{value}}°C"  # optional, see placeholders below
 *
 *   - name: device-silent             # an absence rule: it has `absent` and no window/statistic/above/below/clear/for
 *     absent: 30s                     # from 1s to 7d: fires when the watched thing sent nothing for longer than this
 *     scope: device                   # optional, default sensor: what must be silent (see Absence scopes below)
 *     metric: temperature             # optional, scope sensor only: omitted = every metric, each sensor on its own
 *     severity: warning
 *
 *   - name: site-silent               # a label-group absence rule: one alert when every device of a site is silent
 *     absent: 1m
 *     by: [site]                      # device label names (implies scope: group)
 *     severity: critical
 * ```
 *
 * Absence scopes (`scope`, default `sensor`):
 * - `sensor`: each (device, metric) sensor on its own; the alert has `deviceId` and `metric`.
 * - `device`: a device is silent when it sends nothing at all, for any metric (a device still sending one
 *   metric is not silent); one alert per device, labelled `deviceId`, no `metric`.
 * - `group` (`by: [label, ...]`, `scope: group` may be left out): the selected devices grouped by these
 *   labels; a group is silent when every device of it is; one alert per group, labelled with the group's
 *   labels (no `deviceId`, no `metric`). A device that lacks one of the labels belongs to no group.
 * - `fleet`: every selected device on the partitions this processor instance owns; one alert, no device
 *   labels. (With several instances, each judges the devices of its own partitions.)
 * `devices` narrows every scope. A `by` list must be non-empty (for everything, use `scope: fleet`) and names
 * device labels: `deviceId`, `metric`, `rule` and `severity` are not device labels.
 *
 * Durations: `500ms`, `30s`, `5m`, `1h`, `1d`, `1m30s` — always with a unit: a bare number (`window: 90000`)
 * is refused, except 0. Each has an upper bound (above), named in the error. Globs are checked for unclosed
 * `[`, `{` and `(`. Values may use `${ENV_VAR}` / `${ENV_VAR:-default}`; numeric fields accept numeric strings
 * for that reason.
 *
 * Semantics in short (details: `threshold-state-machine.ts`, `absence-state-machine.ts`):
 * - `above: T` holds when the statistic is > T; `below: T` when it is < T. Pending while it holds for less
 *   than `for`, FIRING once it has held `for`, RESOLVED once it clears: value < `clear` (`above`) / > `clear`
 *   (`below`); without `clear`, as soon as it no longer holds. In between nothing is emitted. A sensor that
 *   goes quiet while pending fires when the event clock (minus `grace`) passes pendingSince + `for`.
 * - A sensor (device, group, fleet) is silent when the event clock minus `grace` is more than `absent` past
 *   its newest reading. The event clock of a partition is its newest timestamp (never ahead of the wall
 *   clock); while the partition is caught up and idle it advances with the wall clock, so silence is
 *   reported during an outage. Group and fleet rules use the slowest clock of the instance's partitions. The
 *   next reading resolves the alert, once; a reading never fires an absence alert for its own sensor, device
 *   or group. Things never seen since the processor's state was built are not tracked.
 *
 * Summary placeholders: {{deviceId}} {{metric}} {{statistic}} {{condition}} {{value}} {{threshold}}
 * {{window}} {{severity}} {{rule}} {{status}} {{labels.NAME}}. Unknown placeholders are config errors.
 * The labels `rule`, `severity`, `deviceId` and `metric` are set on every alert and cannot be set by a rule.
 */
import {
  durationMs,
  enumField,
  formatDuration,
  globList,
  type Metric,
  numberField,
  stringField,
} from '@sensor-pipeline/shared/core';
import { z } from 'zod';
import { parseWindowOptions } from '../window/window-options.js';
import { compileSummaryTemplate } from './summary-template.js';
import type { WindowSpec } from './window-spec.js';

export const METRICS = ['temperature', 'cpu', 'memory'] as const satisfies readonly Metric[];
// Fails to compile when the Avro `Metric` enum gains a symbol that is missing here.
const everyMetric: Record<Metric, true> = { temperature: true, cpu: true, memory: true };
void everyMetric;

export const STATISTICS = ['mean', 'median', 'min', 'max', 'count', 'stddev'] as const;
export type Statistic = (typeof STATISTICS)[number];

export const SEVERITIES = ['critical', 'warning', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Labels every alert carries, set by the pipeline. */
export const RESERVED_LABELS = ['rule', 'severity', 'deviceId', 'metric'] as const;

export const DEFAULT_GRACE_MS = 5_000; // five seconds
/** Smallest time window and smallest `absent`: below this a window holds a reading or two at sensor rates. */
export const MIN_WINDOW_MS = 1_000; // one second
export const MIN_ABSENT_MS = 1_000; // one second
/** Longest time window: a day of readings per sensor is already a lot of memory at sensor rates. */
export const MAX_WINDOW_MS = 86_400_000; // one day
/** Longest `for` and `absent`: a condition or a silence that must last more than a week is not an alert. */
export const MAX_FOR_MS = 604_800_000; // seven days
export const MAX_ABSENT_MS = 604_800_000; // seven days
/** Longest allowed lateness: late readings are held in every window for this long. */
export const MAX_GRACE_MS = 3_600_000; // one hour
/** Most rules in one file, and the longest summary template and label value. */
export const MAX_RULES = 1_000;
export const MAX_SUMMARY_LENGTH = 1_000;
export const MAX_LABEL_VALUE_LENGTH = 1_000;

export const DEFAULT_THRESHOLD_SUMMARY =
  '{{deviceId}} {{metric}} {{statistic}} {{value}} {{condition}} {{threshold}} over {{window}} ({{rule}})';
export const DEFAULT_ABSENCE_SUMMARY = '{{deviceId}} {{metric}} silent for {{value}} (limit {{threshold}}) ({{rule}})';
export const DEFAULT_DEVICE_ABSENCE_SUMMARY =
  '{{deviceId}} sent nothing for {{value}} (limit {{threshold}}) ({{rule}})';
export const DEFAULT_FLEET_ABSENCE_SUMMARY = 'no device sent anything for {{value}} (limit {{threshold}}) ({{rule}})';

/** What an absence rule watches: one sensor, one device, a label group of devices, or every device. */
export const ABSENCE_SCOPES = ['sensor', 'device', 'group', 'fleet'] as const;
export type AbsenceScope = (typeof ABSENCE_SCOPES)[number];

/** The default summary of a group absence rule: names the group by its labels. */
export function defaultGroupAbsenceSummary(by: readonly string[]): string {
  const group = by.map((label) => `${label}={{labels.${label}}}`).join(' ');
  return `every device of ${group} sent nothing for {{value}} (limit {{threshold}}) ({{rule}})`;
}

/** Which devices a rule applies to; every part that is present must match. */
export interface DeviceSelector {
  /** deviceId globs; any may match. */
  readonly match?: readonly string[];
  /** Device labels that must be present with exactly these values. */
  readonly labels?: Readonly<Record<string, string>>;
}

interface RuleCommon {
  readonly name: string;
  readonly severity: Severity;
  /** Rule labels, merged over the device's labels on each alert. */
  readonly labels: Readonly<Record<string, string>>;
  readonly devices?: DeviceSelector;
  /** Summary template source (the default one when the file gives none). */
  readonly summary: string;
}

export interface ThresholdRule extends RuleCommon {
  readonly kind: 'threshold';
  readonly metric: Metric;
  readonly window: WindowSpec;
  readonly statistic: Statistic;
  readonly condition: 'above' | 'below';
  readonly threshold: number;
  /** Hysteresis: a firing alert resolves only past this value; undefined = as soon as the condition stops holding. */
  readonly clear?: number;
  /** How long (event time) the condition must hold before FIRING; 0 = at once. */
  readonly forMs: number;
}

export interface AbsenceRule extends RuleCommon {
  readonly kind: 'absence';
  /** Scope sensor only; undefined: every metric, each (device, metric) sensor on its own. */
  readonly metric?: Metric;
  /** FIRING when the watched sensor (device, group, fleet) has been silent for longer than this (event time). */
  readonly absentMs: number;
  /** What must be silent; `sensor` when the file gives neither `scope` nor `by` (and when left out here). */
  readonly scope?: AbsenceScope;
  /** Scope group: the device labels that make a group; empty (or left out) otherwise. */
  readonly by?: readonly string[];
}

export type Rule = ThresholdRule | AbsenceRule;

export interface RulesConfig {
  /** Allowed lateness of out-of-order readings, for the windows and the absence clock. */
  readonly graceMs: number;
  readonly rules: readonly Rule[];
}

const RULE_NAME = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const LABEL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A finite number, or a numeric string (what `${VAR}` substitution yields). */
const numberValue = numberField();

/** An enum whose errors say what is allowed, and that a missing one is missing. */
function oneOf<const T extends readonly [string, ...string[]]>(field: string, values: T) {
  return enumField(values, { field });
}

const countWindowInput = z.strictObject({
  count: z
    .number()
    .refine(
      (n) => Number.isInteger(n) && n >= 1,
      'a count window holds a whole number of readings, at least 1, e.g. {count: 10}',
    ),
});
const timeWindowInput = z.strictObject({
  size: durationMs({ max: MAX_WINDOW_MS }),
  hop: durationMs({ min: 1, max: MAX_WINDOW_MS }).optional(),
});

/** `30s` | `{count: 10}` | `{size: 30s, hop: 5s}` → WindowSpec. */
const windowInput = z.unknown().transform((value, ctx): WindowSpec => {
  let spec: WindowSpec;
  if (typeof value === 'string' || typeof value === 'number') {
    const size = durationMs({ max: MAX_WINDOW_MS }).safeParse(value, { reportInput: true });
    if (!size.success) {
      for (const issue of size.error.issues) ctx.addIssue({ ...issue });
      return z.NEVER;
    }
    spec = { kind: 'time', sizeMs: size.data };
  } else if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const isCount = 'count' in value;
    const parsed = (isCount ? countWindowInput : timeWindowInput).safeParse(value, { reportInput: true });
    if (!parsed.success) {
      for (const issue of parsed.error.issues) ctx.addIssue({ ...issue });
      return z.NEVER;
    }
    const data = parsed.data;
    if ('count' in data) spec = { kind: 'count', size: data.count };
    else
      spec =
        data.hop === undefined
          ? { kind: 'time', sizeMs: data.size }
          : { kind: 'time', sizeMs: data.size, hopMs: data.hop };
  } else {
    ctx.addIssue({
      code: 'custom',
      message: `expected a duration like 30s (time window), {count: 10} or {size: 30s, hop: 5s}, got ${value === null ? 'null' : Array.isArray(value) ? 'a list' : typeof value}`,
    });
    return z.NEVER;
  }
  if (spec.kind === 'time') {
    if (spec.sizeMs < MIN_WINDOW_MS) {
      ctx.addIssue({
        code: 'custom',
        message: `window ${formatDuration(spec.sizeMs)} is too small: use at least ${formatDuration(MIN_WINDOW_MS)}, or {count: 1} to compare each reading`,
      });
      return z.NEVER;
    }
    if (spec.hopMs !== undefined && spec.hopMs > spec.sizeMs) {
      ctx.addIssue({
        code: 'custom',
        path: ['hop'],
        message: `hop ${formatDuration(spec.hopMs)} is longer than the window ${formatDuration(spec.sizeMs)}; readings between evaluations would never be looked at — use a hop of at most the window size`,
      });
      return z.NEVER;
    }
  }
  // Whatever the rules accept, the window engine must accept too.
  try {
    parseWindowOptions(
      spec.kind === 'time' ? { kind: 'time', sizeMs: spec.sizeMs } : { kind: 'count', size: spec.size },
    );
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `the window engine rejects this window: ${(err as Error).message}` });
    return z.NEVER;
  }
  return spec;
});

const labelName = stringField({
  min: 1,
  max: 100,
  pattern: LABEL_NAME,
  patternMessage: 'label names are letters, digits and underscores, not starting with a digit',
});
const labelsInput = z.record(labelName, stringField({ max: MAX_LABEL_VALUE_LENGTH }));

const devicesInput = z
  .strictObject({
    match: globList().optional(),
    labels: z.record(stringField({ min: 1, max: 100 }), stringField({ max: MAX_LABEL_VALUE_LENGTH })).optional(),
  })
  .superRefine((selector, ctx) => {
    if (selector.match === undefined && selector.labels === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: 'an empty device selector: give `match` and/or `labels`, or remove `devices` to select every device',
      });
    }
  });

/** Keys that only threshold rules may have, and why an absence rule does not. */
const THRESHOLD_ONLY = ['window', 'statistic', 'above', 'below', 'clear', 'for'] as const;

const ruleInput = z
  .strictObject({
    name: stringField({
      min: 1,
      max: 100,
      pattern: RULE_NAME,
      patternMessage: 'rule names are lowercase letters, digits and single dashes, e.g. temperature-high',
    }),
    metric: oneOf('metric', METRICS).optional(),
    window: windowInput.optional(),
    statistic: oneOf('statistic', STATISTICS).optional(),
    above: numberValue.optional(),
    below: numberValue.optional(),
    clear: numberValue.optional(),
    for: durationMs({ max: MAX_FOR_MS }).optional(),
    absent: durationMs({ min: MIN_ABSENT_MS, max: MAX_ABSENT_MS }).optional(),
    scope: oneOf('scope', ABSENCE_SCOPES).optional(),
    by: z.array(z.string()).optional(),
    severity: oneOf('severity', SEVERITIES),
    labels: labelsInput.optional(),
    devices: devicesInput.optional(),
    summary: z
      .string()
      .min(1, 'an empty summary: remove it to use the default')
      .max(MAX_SUMMARY_LENGTH, `a summary of at most ${MAX_SUMMARY_LENGTH} characters`)
      .optional(),
  })
  .superRefine((rule, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    for (const reserved of RESERVED_LABELS) {
      if (rule.labels && reserved in rule.labels) {
        ctx.addIssue({
          code: 'custom',
          path: ['labels', reserved],
          message: `label "${reserved}" is set on every alert by the pipeline; remove it or use another name`,
        });
      }
    }
    if (rule.summary !== undefined) {
      try {
        compileSummaryTemplate(rule.summary);
      } catch (err) {
        issue('summary', (err as Error).message);
      }
    }
    if (rule.absent === undefined) {
      for (const key of ['scope', 'by'] as const) {
        if (rule[key] !== undefined)
          issue(key, `"${key}" applies to absence rules only; remove it, or give "absent: <duration>"`);
      }
    } else {
      checkAbsenceScope(rule, ctx);
    }
    if (rule.absent !== undefined) {
      for (const key of THRESHOLD_ONLY) {
        if (rule[key] !== undefined) {
          issue(
            key,
            `"${key}" does not apply to an absence rule (it fires on silence); remove it, or remove "absent" to make this a threshold rule`,
          );
        }
      }
      return;
    }
    const missing = (key: string, what: string) =>
      issue(
        key,
        `missing required field "${key}" for a threshold rule (${what}); or give "absent: <duration>" for an absence rule`,
      );
    if (rule.metric === undefined) missing('metric', `one of ${METRICS.join(', ')}`);
    if (rule.window === undefined) missing('window', 'e.g. 30s, {count: 10} or {size: 30s, hop: 5s}');
    if (rule.statistic === undefined) missing('statistic', `one of ${STATISTICS.join(', ')}`);
    if (rule.above !== undefined && rule.below !== undefined) {
      issue('below', 'a rule has exactly one of "above" / "below"; remove one (for a band, write two rules)');
      return;
    }
    if (rule.above === undefined && rule.below === undefined) {
      ctx.addIssue({
        code: 'custom',
        message:
          'missing threshold: give "above: <number>" or "below: <number>" (or "absent: <duration>" for an absence rule)',
      });
      return;
    }
    const above = rule.above !== undefined;
    const threshold = (above ? rule.above : rule.below)!;
    if (rule.clear !== undefined) {
      if (above && !(rule.clear < threshold)) {
        issue(
          'clear',
          `clear (${rule.clear}) must be below the "above" threshold (${threshold}): the alert resolves once the value drops under clear, e.g. clear: ${suggestClear(threshold, -1)}`,
        );
      } else if (!above && !(rule.clear > threshold)) {
        issue(
          'clear',
          `clear (${rule.clear}) must be above the "below" threshold (${threshold}): the alert resolves once the value rises over clear, e.g. clear: ${suggestClear(threshold, 1)}`,
        );
      }
    }
    const percent = rule.metric === 'cpu' || rule.metric === 'memory';
    const levelStatistic =
      rule.statistic === 'mean' || rule.statistic === 'median' || rule.statistic === 'min' || rule.statistic === 'max';
    if (percent && levelStatistic) {
      const never = above ? threshold >= 100 : threshold <= 0;
      const always = above ? threshold < 0 : threshold > 100;
      if (never || always) {
        const key = above ? 'above' : 'below';
        issue(
          key,
          `${rule.metric} is a percentage (0 to 100), so "${key}: ${threshold}" ${never ? 'can never hold' : 'always holds'}`,
        );
      }
    }
    if (rule.statistic === 'count' && rule.window?.kind === 'count') {
      issue(
        'statistic',
        `"count" over a count window is always ${rule.window.size} once it is full; use a time window (e.g. window: 30s) to count readings`,
      );
    }
  })
  .transform((rule): Rule => {
    const common = {
      name: rule.name,
      severity: rule.severity,
      labels: rule.labels ?? {},
      ...(rule.devices ? { devices: normalizeSelector(rule.devices) } : {}),
    };
    if (rule.absent !== undefined) {
      const scope: AbsenceScope = rule.scope ?? (rule.by !== undefined ? 'group' : 'sensor');
      const by = scope === 'group' ? (rule.by ?? []) : [];
      const summary =
        scope === 'sensor'
          ? DEFAULT_ABSENCE_SUMMARY
          : scope === 'device'
            ? DEFAULT_DEVICE_ABSENCE_SUMMARY
            : scope === 'group'
              ? defaultGroupAbsenceSummary(by)
              : DEFAULT_FLEET_ABSENCE_SUMMARY;
      return {
        kind: 'absence',
        ...common,
        ...(rule.metric ? { metric: rule.metric } : {}),
        absentMs: rule.absent,
        ...(scope !== 'sensor' ? { scope } : {}),
        ...(scope === 'group' ? { by } : {}),
        summary: rule.summary ?? summary,
      };
    }
    const above = rule.above !== undefined;
    return {
      kind: 'threshold',
      ...common,
      metric: rule.metric!,
      window: rule.window!,
      statistic: rule.statistic!,
      condition: above ? 'above' : 'below',
      threshold: (above ? rule.above : rule.below)!,
      ...(rule.clear !== undefined ? { clear: rule.clear } : {}),
      forMs: rule.for ?? 0,
      summary: rule.summary ?? DEFAULT_THRESHOLD_SUMMARY,
    };
  });

/** The schema of a whole rules file; its output is the normalized {@link RulesConfig}. */
export const rulesSchema = z
  .strictObject({
    grace: durationMs({ max: MAX_GRACE_MS }).optional(),
    rules: z
      .array(ruleInput)
      .min(1, 'expected at least one rule: a processor without rules can never alert (see config/rules.yaml)')
      .max(MAX_RULES, `expected at most ${MAX_RULES} rules`),
  })
  .superRefine((file, ctx) => {
    const seen = new Map<string, number>();
    file.rules.forEach((rule, i) => {
      const first = seen.get(rule.name);
      if (first === undefined) seen.set(rule.name, i);
      else {
        ctx.addIssue({
          code: 'custom',
          path: ['rules', i, 'name'],
          message: `duplicate rule name "${rule.name}" (also rules[${first}]); rule names must be unique — rename one`,
        });
      }
    });
  })
  .transform((file): RulesConfig => ({ graceMs: file.grace ?? DEFAULT_GRACE_MS, rules: file.rules }));

/** Not device labels: set on alerts by the pipeline, or the reading's own fields; and which scope means them. */
const NOT_GROUP_LABELS: Readonly<Record<string, string>> = {
  deviceId: 'deviceId is not a device label: for one alert per device use "scope: device"',
  metric: 'metric is not a device label: for one alert per sensor use "scope: sensor" (with "metric" to pick one)',
  rule: 'rule is set on every alert by the pipeline, not a device label',
  severity: 'severity is set on every alert by the pipeline, not a device label',
};

/** Cross-field checks of an absence rule's `scope`, `by` and `metric`, each reported on its field. */
function checkAbsenceScope(
  rule: { scope?: AbsenceScope | undefined; by?: string[] | undefined; metric?: Metric | undefined },
  ctx: z.RefinementCtx,
): void {
  const scope = rule.scope ?? (rule.by !== undefined ? 'group' : 'sensor');
  if (rule.by !== undefined && scope !== 'group') {
    ctx.addIssue({
      code: 'custom',
      path: ['by'],
      message: `"by" groups devices by labels (scope group); remove it, or remove "scope: ${scope}"`,
    });
  }
  if (scope === 'group') {
    if (rule.by === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['scope'],
        message: 'scope group needs "by: [label, ...]", the device labels that make a group, e.g. by: [site]',
      });
    } else if (rule.by.length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['by'],
        message: 'an empty "by" groups nothing: for one alert when no device at all reports, use "scope: fleet"',
      });
    }
    const seen = new Set<string>();
    rule.by?.forEach((label, j) => {
      const problem =
        (Object.hasOwn(NOT_GROUP_LABELS, label) ? NOT_GROUP_LABELS[label] : undefined) ??
        (!LABEL_NAME.test(label)
          ? `"${label}" is not a label name: letters, digits and underscores, not starting with a digit`
          : seen.has(label)
            ? `label "${label}" is listed twice`
            : undefined);
      seen.add(label);
      if (problem) ctx.addIssue({ code: 'custom', path: ['by', j], message: problem });
    });
  }
  if (rule.metric !== undefined && scope !== 'sensor') {
    ctx.addIssue({
      code: 'custom',
      path: ['metric'],
      message: `"metric" applies to scope sensor only: a ${scope} is silent when it sends nothing at all, for any metric; remove "metric", or use scope sensor`,
    });
  }
}

function normalizeSelector(input: {
  match?: string | string[] | undefined;
  labels?: Record<string, string> | undefined;
}): DeviceSelector {
  return {
    ...(input.match !== undefined ? { match: typeof input.match === 'string' ? [input.match] : input.match } : {}),
    ...(input.labels !== undefined ? { labels: input.labels } : {}),
  };
}

/** A round value 5% of the threshold's magnitude (at least 1) on the safe side, for error messages. */
function suggestClear(threshold: number, direction: -1 | 1): number {
  const step = Math.max(1, Math.round(Math.abs(threshold) * 0.05));
  return threshold + direction * step;
}
