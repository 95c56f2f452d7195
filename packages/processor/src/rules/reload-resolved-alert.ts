/**
 * The RESOLVED event of an alert series that a rules reload ends: its rule was removed, or changed (any
 * change to its definition), so the series stops under the rule that started it. It keeps the series' ids
 * (fingerprint; event id from fingerprint, RESOLVED and startsAt, as any RESOLVED) and says why in its
 * summary. No evaluation decided it: a threshold rule's value and window statistics are NaN (count 0); an
 * absence rule's value is the silence so far. Pure.
 */
import type { Alert } from '@sensor-pipeline/shared/core';
import type { AlertStateRecord } from './alert-state-record.js';
import { type AlertSubject, buildAbsenceAlert, buildThresholdAlert } from './build-alert.js';
import type { CompiledRule } from './compile-rules.js';

/** Why a reload ended a series. */
export type ReloadReason = 'removed' | 'changed';

export function reloadResolvedAlert(
  rule: CompiledRule,
  subject: AlertSubject,
  record: AlertStateRecord,
  endsAtMs: number,
  reason: ReloadReason,
): Alert {
  const alert =
    rule.kind === 'threshold'
      ? buildThresholdAlert({
          rule,
          subject,
          status: 'RESOLVED',
          value: Number.NaN,
          stats: {
            count: 0,
            mean: Number.NaN,
            median: Number.NaN,
            min: Number.NaN,
            max: Number.NaN,
            stddev: Number.NaN,
            startMs: endsAtMs,
            endMs: endsAtMs,
          },
          startsAtMs: record.sinceMs,
          endsAtMs,
        })
      : buildAbsenceAlert({
          rule,
          subject,
          status: 'RESOLVED',
          lastSeenMs: record.lastSeenMs ?? record.sinceMs - rule.absentMs,
          atMs: endsAtMs,
          startsAtMs: record.sinceMs,
          endsAtMs,
        });
  return { ...alert, summary: `${rule.name}${describeSubject(subject)}: resolved by a rules reload (rule ${reason})` };
}

/** ` on dev-1/cpu` (sensor), ` on dev-1` (device), ` on site=site-b` (group), nothing (fleet). */
function describeSubject(subject: AlertSubject): string {
  if (subject.deviceId !== '') return ` on ${subject.deviceId}${subject.metric === '' ? '' : `/${subject.metric}`}`;
  const group = Object.entries(subject.labels).map(([k, v]) => `${k}=${v}`);
  return group.length > 0 ? ` on ${group.join(',')}` : '';
}
