/**
 * The inhibit stage: Alertmanager's inhibition rules (`source_matchers`, `target_matchers`, `equal`). An
 * alert matching a rule's target matchers is not delivered while an alert matching its source matchers
 * fires with the same values of every `equal` label — e.g. a firing `device-silent` for a device mutes
 * that device's other alerts. An alert never inhibits itself. The state (firing source alerts by
 * fingerprint) is fed every routed alert, so it follows FIRING and RESOLVED as they come; each source
 * remembers the alerts-topic partition it came from, so a restart puts it back (`restore`, from the state
 * topic) and a revoked partition takes its sources along (`release`). Pure: no I/O.
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
  /** Firing alerts that match some rule's source matchers: fingerprint → labels, alert and partition. */
  private readonly sources = new Map<
    string,
    { readonly labels: Record<string, string>; readonly alert: Alert; readonly partition: number }
  >();

  constructor(rules: readonly InhibitRule[]) {
    this.rules = rules;
  }

  get size(): number {
    return this.sources.size;
  }

  /**
   * Records the alert's state as a possible source. Returns true when what a restart must know changed (a
   * source came, went or was replaced by a newer alert of its series).
   */
  observe(alert: Alert, partition = -1): boolean {
    if (this.rules.length === 0) return false;
    const labels = groupingLabels(alert);
    if (alert.status !== 'RESOLVED' && this.rules.some((r) => matchesAll(r.sourceMatchers, labels))) {
      const before = this.sources.get(alert.fingerprint);
      this.sources.set(alert.fingerprint, { labels, alert, partition });
      return before?.alert.eventId !== alert.eventId;
    }
    return this.sources.delete(alert.fingerprint);
  }

  /** Puts back a source read from the state topic (ignored when no rule makes it one any more). */
  restore(alert: Alert, partition: number): void {
    this.observe(alert, partition);
  }

  /** The firing source alert of a series, if it is one. */
  source(fingerprint: string): Alert | undefined {
    return this.sources.get(fingerprint)?.alert;
  }

  /** Every source with its partition (to carry them over to new rules). */
  entries(): { readonly alert: Alert; readonly partition: number }[] {
    return [...this.sources.values()].map(({ alert, partition }) => ({ alert, partition }));
  }

  /** Forgets the sources of revoked partitions. */
  release(partitions: readonly number[]): void {
    for (const [fingerprint, entry] of this.sources)
      if (partitions.includes(entry.partition)) this.sources.delete(fingerprint);
  }

  /** The rule index and source fingerprint that inhibit `alert`, or undefined when it is not inhibited. */
  inhibitedBy(alert: Alert): { readonly rule: number; readonly source: string } | undefined {
    if (this.rules.length === 0) return undefined;
    const labels = groupingLabels(alert);
    for (const [index, rule] of this.rules.entries()) {
      if (!matchesAll(rule.targetMatchers, labels)) continue;
      for (const [fingerprint, { labels: source }] of this.sources) {
        if (fingerprint === alert.fingerprint) continue;
        if (!matchesAll(rule.sourceMatchers, source)) continue;
        if (rule.equal.every((name) => (source[name] ?? '') === (labels[name] ?? '')))
          return { rule: index, source: fingerprint };
      }
    }
    return undefined;
  }
}
