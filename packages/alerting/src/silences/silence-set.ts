/**
 * Silences, pure: what `alerting silence add` writes and every alerting instance reads back from the
 * silences topic. A silence mutes the alerts all of whose matchers match, from `startsAt` until `endsAt`
 * (expiry is on time: a silence past its end no longer mutes, whether or not anyone expired it). Matchers
 * are Alertmanager's (`name="value"`, `!=`, `=~`, `!~`), where an `=` value with `*` is a glob like the
 * routes' (`device=site-a/*`), and `rule` is another name for `alertname`. Time is an argument.
 */

import type { Alert } from '@sensor-pipeline/shared';
import picomatch from 'picomatch';
import { groupingLabels } from '../grouping/group-state.js';
import { type LabelMatcher, parseLabelMatcher } from '../routing/label-matcher.js';

export interface Silence {
  readonly id: string;
  /** Matcher texts as given, e.g. `rule=device-silent`, `device=site-a/*`. */
  readonly matchers: readonly string[];
  readonly startsAt: number;
  readonly endsAt: number;
  readonly createdBy: string;
  readonly comment: string;
}

/** Parses one silence matcher: Alertmanager syntax, `=` values with `*` or `?` as globs, `rule` = `alertname`. */
export function parseSilenceMatcher(text: string): LabelMatcher {
  const parsed = parseLabelMatcher(text);
  const name = parsed.name === 'rule' ? 'alertname' : parsed.name;
  if (parsed.op === '=' && /[*?]/.test(parsed.value)) {
    const isMatch = picomatch(parsed.value, { dot: true });
    return { ...parsed, name, matches: (labels) => isMatch(labels[name] ?? '') };
  }
  if (name === parsed.name) return parsed;
  const renamed = parseLabelMatcher(text.replace(/^\s*rule/, 'alertname'));
  return { ...renamed, text };
}

export class SilenceSet {
  private readonly silences = new Map<string, { silence: Silence; matchers: LabelMatcher[] }>();

  /** Adds or replaces a silence (an expiry is the same id with an earlier end). Invalid matchers throw. */
  upsert(silence: Silence): void {
    this.silences.set(silence.id, { silence, matchers: silence.matchers.map(parseSilenceMatcher) });
  }

  get(id: string): Silence | undefined {
    return this.silences.get(id)?.silence;
  }

  /** Every silence, newest start first. */
  all(): Silence[] {
    return [...this.silences.values()].map((s) => s.silence).sort((a, b) => b.startsAt - a.startsAt);
  }

  /** Silences in force at `nowMs`. */
  active(nowMs: number): Silence[] {
    return this.all().filter((s) => s.startsAt <= nowMs && nowMs < s.endsAt);
  }

  /** The id of a silence that mutes `alert` at `nowMs`, or undefined. */
  silencedBy(alert: Alert, nowMs: number): string | undefined {
    const labels = groupingLabels(alert);
    for (const { silence, matchers } of this.silences.values())
      if (silence.startsAt <= nowMs && nowMs < silence.endsAt && matchers.every((m) => m.matches(labels)))
        return silence.id;
    return undefined;
  }
}

/** Reads a silence record's JSON value; undefined when it is not one. */
export function decodeSilence(value: Buffer | null | undefined): Silence | undefined {
  if (!value || value.length > 65_536) return undefined;
  try {
    const s = JSON.parse(value.toString('utf8')) as Partial<Silence>;
    if (
      typeof s.id !== 'string' ||
      !Array.isArray(s.matchers) ||
      !s.matchers.every((m) => typeof m === 'string') ||
      typeof s.startsAt !== 'number' ||
      typeof s.endsAt !== 'number'
    )
      return undefined;
    for (const m of s.matchers) parseSilenceMatcher(m);
    return {
      id: s.id,
      matchers: s.matchers,
      startsAt: s.startsAt,
      endsAt: s.endsAt,
      createdBy: typeof s.createdBy === 'string' ? s.createdBy : '',
      comment: typeof s.comment === 'string' ? s.comment : '',
    };
  } catch {
    return undefined;
  }
}
