/**
 * The inhibit stage: Alertmanager's inhibition rules (`source_matchers`, `target_matchers`, `equal`). An
 * alert matching a rule's target matchers is not delivered while an alert matching its source matchers
 * fires with the same values of every `equal` label — e.g. a firing `device-silent` for a device mutes
 * that device's other alerts. An alert never inhibits itself. The state (firing source alerts by
 * fingerprint) is fed every routed alert, so it follows FIRING and RESOLVED as they come. Pure: no I/O.
 */
import type { Alert } from '@sensor-pipeline/shared';
import { groupingLabels } from '../grouping/group-state.js';
import { type LabelMatcher, matchesAll } from '../routing/label-matcher.js';

export interface InhibitRule {
  readonly sourceMatchers: readonly LabelMatcher[];
  readonly targetMatchers: readonly LabelMatcher[];
  readonly equal: readonly string[];
}

export class Inhibitor {
  private readonly rules: readonly InhibitRule[];
  /** Firing alerts that match some rule's source matchers: fingerprint → labels. */
  private readonly sources = new Map<string, Record<string, string>>();

  constructor(rules: readonly InhibitRule[]) {
    this.rules = rules;
  }

  get size(): number {
    return this.sources.size;
  }

  /** Records the alert's state as a possible source. */
  observe(alert: Alert): void {
    if (this.rules.length === 0) return;
    const labels = groupingLabels(alert);
    if (alert.status !== 'RESOLVED' && this.rules.some((r) => matchesAll(r.sourceMatchers, labels)))
      this.sources.set(alert.fingerprint, labels);
    else this.sources.delete(alert.fingerprint);
  }

  /** The rule index and source fingerprint that inhibit `alert`, or undefined when it is not inhibited. */
  inhibitedBy(alert: Alert): { readonly rule: number; readonly source: string } | undefined {
    if (this.rules.length === 0) return undefined;
    const labels = groupingLabels(alert);
    for (const [index, rule] of this.rules.entries()) {
      if (!matchesAll(rule.targetMatchers, labels)) continue;
      for (const [fingerprint, source] of this.sources) {
        if (fingerprint === alert.fingerprint) continue;
        if (!matchesAll(rule.sourceMatchers, source)) continue;
        if (rule.equal.every((name) => (source[name] ?? '') === (labels[name] ?? '')))
          return { rule: index, source: fingerprint };
      }
    }
    return undefined;
  }
}
