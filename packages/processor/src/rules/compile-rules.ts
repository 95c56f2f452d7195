/**
 * Turns a loaded `RulesConfig` into what the hot path needs, once: device predicates (picomatch compiled),
 * summary templates parsed, statistics as small codes, window keys, and rule selection per (device, metric)
 * with interned results, so that sensors with the same applicable rules share one `RuleSelection`.
 * Compile once per process; every per-partition `RuleEngine` shares the result.
 */
import { formatDuration, type Metric } from '@sensor-pipeline/shared/core';
import { compileDeviceSelector, type DevicePredicate } from './device-selector.js';
import type { AbsenceRule, AbsenceScope, RulesConfig, Statistic, ThresholdRule } from './rules-schema.js';
import { compileSummaryTemplate, type SummaryTemplate } from './summary-template.js';
import type { ThresholdCondition } from './threshold-state-machine.js';
import { type WindowSpec, windowSpecKey } from './window-spec.js';

interface CompiledCommon {
  /** Position in the rules file. */
  readonly index: number;
  readonly name: string;
  readonly severity: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly summary: SummaryTemplate;
  readonly matchesDevice: DevicePredicate;
}

export interface CompiledThresholdRule extends CompiledCommon, ThresholdCondition {
  readonly kind: 'threshold';
  readonly rule: ThresholdRule;
  readonly metric: Metric;
  readonly statistic: Statistic;
  readonly window: WindowSpec;
  readonly windowKey: string;
}

export interface CompiledAbsenceRule extends CompiledCommon {
  readonly kind: 'absence';
  readonly rule: AbsenceRule;
  readonly metric: Metric | undefined;
  readonly absentMs: number;
  /** What must be silent: sensor and device rules are judged per partition, group and fleet per instance. */
  readonly scope: AbsenceScope;
  /** Scope group: the labels that make a group. */
  readonly by: readonly string[];
  /** `absent:30s`, the `window.spec` of its alerts. */
  readonly windowKey: string;
}

export type CompiledRule = CompiledThresholdRule | CompiledAbsenceRule;

/** The rules that apply to one sensor and the windows it needs. Shared by every sensor with the same rules. */
export interface RuleSelection {
  /** Applicable rules in file order; a sensor keeps one state per entry. */
  readonly rules: readonly CompiledRule[];
  /** Distinct windows of the threshold rules, in order of first use: the windows the shell keeps for the sensor. */
  readonly windows: readonly WindowSpec[];
  /** Per window: indexes into `rules` of the threshold rules evaluated on it. */
  readonly rulesByWindow: readonly (readonly number[])[];
  /** Indexes into `rules` of the absence rules. */
  readonly absenceRules: readonly number[];
  /** Smallest `absentMs` among the absence rules (Infinity when none). */
  readonly minAbsentMs: number;
}

export interface CompiledRules {
  readonly graceMs: number;
  readonly rules: readonly CompiledRule[];
  /** By rule name. */
  readonly byName: ReadonlyMap<string, CompiledRule>;
  /**
   * The rules that apply to the sensor (deviceId, metric) given the device's labels: threshold rules and
   * sensor-scope absence rules. Not cached per device here.
   */
  select(deviceId: string, metric: Metric, labels: Readonly<Record<string, string>>): RuleSelection;
  /** The absence rules of scope device, group and fleet that apply to the device, in file order. */
  selectDevice(deviceId: string, labels: Readonly<Record<string, string>>): readonly CompiledAbsenceRule[];
}

export function compileRules(config: RulesConfig): CompiledRules {
  const rules: CompiledRule[] = config.rules.map((rule, index): CompiledRule => {
    const common = {
      index,
      name: rule.name,
      severity: rule.severity,
      labels: rule.labels,
      summary: compileSummaryTemplate(rule.summary),
      matchesDevice: compileDeviceSelector(rule.devices),
    };
    if (rule.kind === 'absence') {
      return {
        kind: 'absence',
        ...common,
        rule,
        metric: rule.metric,
        absentMs: rule.absentMs,
        scope: rule.scope ?? 'sensor',
        by: rule.by ?? [],
        windowKey: `absent:${formatDuration(rule.absentMs)}`,
      };
    }
    return {
      kind: 'threshold',
      ...common,
      rule,
      metric: rule.metric,
      statistic: rule.statistic,
      window: rule.window,
      windowKey: windowSpecKey(rule.window),
      condition: rule.condition,
      threshold: rule.threshold,
      clear: rule.clear,
      forMs: rule.forMs,
    };
  });
  const interned = new Map<string, RuleSelection>();
  const select = (deviceId: string, metric: Metric, labels: Readonly<Record<string, string>>): RuleSelection => {
    const picked: CompiledRule[] = [];
    for (const rule of rules) {
      if (rule.kind === 'absence' && rule.scope !== 'sensor') continue;
      if ((rule.metric === undefined || rule.metric === metric) && rule.matchesDevice(deviceId, labels))
        picked.push(rule);
    }
    const key = picked.map((r) => r.index).join(',');
    let selection = interned.get(key);
    if (!selection) {
      selection = buildSelection(picked);
      interned.set(key, selection);
    }
    return selection;
  };
  const scoped = rules.filter((r): r is CompiledAbsenceRule => r.kind === 'absence' && r.scope !== 'sensor');
  const selectDevice = (deviceId: string, labels: Readonly<Record<string, string>>) =>
    scoped.length === 0 ? NO_RULES : scoped.filter((rule) => rule.matchesDevice(deviceId, labels));
  return {
    graceMs: config.graceMs,
    rules,
    byName: new Map(rules.map((r) => [r.name, r])),
    select,
    selectDevice,
  };
}

const NO_RULES: readonly CompiledAbsenceRule[] = Object.freeze([]);

function buildSelection(rules: readonly CompiledRule[]): RuleSelection {
  const windows: WindowSpec[] = [];
  const windowKeys: string[] = [];
  const rulesByWindow: number[][] = [];
  const absenceRules: number[] = [];
  let minAbsentMs = Infinity;
  rules.forEach((rule, i) => {
    if (rule.kind === 'absence') {
      absenceRules.push(i);
      minAbsentMs = Math.min(minAbsentMs, rule.absentMs);
      return;
    }
    let w = windowKeys.indexOf(rule.windowKey);
    if (w < 0) {
      w = windows.length;
      windows.push(rule.window);
      windowKeys.push(rule.windowKey);
      rulesByWindow.push([]);
    }
    rulesByWindow[w]!.push(i);
  });
  return Object.freeze({ rules, windows, rulesByWindow, absenceRules, minAbsentMs });
}
