/**
 * Builds the full `Alert` event (see packages/shared/schemas/alert.avsc) for a state change of one series:
 * ids, labels (device labels, then rule labels over them, then `rule`, `severity`, `deviceId`, `metric`),
 * the window the rule looked at, and the rendered summary. Pure; called only when a state changes.
 */
import type { Alert, AlertStatus, AlertWindow, Metric } from '@sensor-pipeline/shared/core';
import type { WindowStats } from '../window/window-stats.js';
import { alertEventId, alertFingerprint } from './alert-ids.js';
import type { CompiledAbsenceRule, CompiledRule, CompiledThresholdRule } from './compile-rules.js';

export interface AlertSubject {
  /** Empty for group and fleet series (then there is no `deviceId` label). */
  readonly deviceId: string;
  /** Empty for device, group and fleet series (then there is no `metric` label). */
  readonly metric: Metric | '';
  /** Device labels (sensor, device), the group's labels (group), none (fleet). */
  readonly labels: Readonly<Record<string, string>>;
  /** The series' fingerprint when it is not a sensor's (rule, deviceId, metric). */
  readonly fingerprint?: string;
}

export interface ThresholdAlertInput {
  readonly rule: CompiledThresholdRule;
  readonly subject: AlertSubject;
  readonly status: AlertStatus;
  /** The statistic's value at the change. */
  readonly value: number;
  readonly stats: WindowStats;
  readonly startsAtMs: number;
  /** Event time it resolved; null while FIRING. */
  readonly endsAtMs: number | null;
}

export interface AbsenceAlertInput {
  readonly rule: CompiledAbsenceRule;
  readonly subject: AlertSubject;
  readonly status: AlertStatus;
  /** The sensor's last reading before the silence. */
  readonly lastSeenMs: number;
  /** FIRING: the event-time clock that noticed the silence; RESOLVED: the timestamp of the reading that ended it. */
  readonly atMs: number;
  readonly startsAtMs: number;
  readonly endsAtMs: number | null;
}

export function buildThresholdAlert(input: ThresholdAlertInput): Alert {
  const { rule, stats } = input;
  const window: AlertWindow = {
    spec: rule.windowKey,
    start: stats.startMs,
    end: stats.endMs,
    count: stats.count,
    mean: stats.mean,
    median: stats.median,
    min: stats.min,
    max: stats.max,
  };
  return assemble(
    rule,
    input.subject,
    input.status,
    rule.statistic,
    rule.condition,
    input.value,
    rule.threshold,
    window,
    input.startsAtMs,
    input.endsAtMs,
  );
}

/** Absence alerts: value = milliseconds of silence, threshold = `absentMs`, window = the silent interval (no readings, so count 0 and NaN stats). */
export function buildAbsenceAlert(input: AbsenceAlertInput): Alert {
  const { rule } = input;
  const window: AlertWindow = {
    spec: rule.windowKey,
    start: input.lastSeenMs,
    end: input.atMs,
    count: 0,
    mean: NaN,
    median: NaN,
    min: NaN,
    max: NaN,
  };
  const silenceMs = input.atMs - input.lastSeenMs;
  return assemble(
    rule,
    input.subject,
    input.status,
    'silence',
    'absent',
    silenceMs,
    rule.absentMs,
    window,
    input.startsAtMs,
    input.endsAtMs,
  );
}

function assemble(
  rule: CompiledRule,
  subject: AlertSubject,
  status: AlertStatus,
  statistic: string,
  condition: string,
  value: number,
  threshold: number,
  window: AlertWindow,
  startsAtMs: number,
  endsAtMs: number | null,
): Alert {
  const fingerprint = subject.fingerprint ?? alertFingerprint(rule.name, subject.deviceId, subject.metric);
  const labels: Record<string, string> = {
    ...subject.labels,
    ...rule.labels,
    rule: rule.name,
    severity: rule.severity,
  };
  // device, group and fleet series have no metric (and the latter two no device): no such label
  if (subject.deviceId !== '') labels['deviceId'] = subject.deviceId;
  if (subject.metric !== '') labels['metric'] = subject.metric;
  const summary = rule.summary.render({
    deviceId: subject.deviceId,
    metric: subject.metric,
    statistic,
    condition,
    value,
    threshold,
    window: window.spec,
    severity: rule.severity,
    rule: rule.name,
    status,
    labels,
    durations: rule.kind === 'absence',
  });
  return {
    eventId: alertEventId(fingerprint, status, startsAtMs),
    fingerprint,
    status,
    rule: rule.name,
    severity: rule.severity,
    deviceId: subject.deviceId,
    metric: subject.metric,
    statistic,
    condition,
    value,
    threshold,
    startsAt: startsAtMs,
    endsAt: endsAtMs,
    window,
    labels,
    summary,
  };
}
