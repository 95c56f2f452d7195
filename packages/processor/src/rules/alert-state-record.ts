/**
 * The durable form of one alert series' state, for the compacted alert-state topic (key: `fingerprint`,
 * value: `encodeAlertStateRecord(record)`, UTF-8 JSON of ~150 bytes; `ok` records are kept, not tombstoned:
 * see the contract in `rule-engine.ts`).
 * It names its series by rule, deviceId and metric (a sensor), rule and deviceId (`scope: device`), rule and
 * the group's labels (`scope: group`) or the rule alone (`scope: fleet`), so a restarted processor can put
 * it back in place before the first reading of what it watches arrives. Records of sensor series carry no
 * `scope` and read exactly as before scopes existed. See `RuleEngine` for the contract the I/O shell follows.
 */
import { type Metric, PipelineError } from '@sensor-pipeline/shared/core';
import type { SeriesStatus } from './alert-state.js';
import { METRICS } from './rules-schema.js';

export const ALERT_STATE_RECORD_VERSION = 1;

export interface AlertStateRecord {
  readonly v: typeof ALERT_STATE_RECORD_VERSION;
  /** alertFingerprint(rule, deviceId, metric): the topic key. */
  readonly fingerprint: string;
  readonly rule: string;
  /** The device (sensor and device scope); empty for group and fleet series. */
  readonly deviceId: string;
  /** Sensor series only. */
  readonly metric?: Metric;
  /** Absent: a sensor series. */
  readonly scope?: 'device' | 'group' | 'fleet';
  /** Group series: the group's labels, in the rule's `by` order. */
  readonly group?: readonly (readonly [string, string])[];
  readonly status: SeriesStatus;
  /** Event time of the last change (pending since / firing since = startsAt / ok since = endsAt). */
  readonly sinceMs: number;
  /** Absence rules only: the sensor's last reading before the silence (firing) or the one that ended it (ok). */
  readonly lastSeenMs?: number;
  /**
   * Pending threshold series with a `for`: the value and window the condition started to hold on, so that a
   * FIRING made by the clock (the sensor went quiet while pending) is the same after a restore.
   */
  readonly pendingWindow?: PendingWindow;
}

/** The statistic's value and the window's numbers when a series became pending (all finite). */
export interface PendingWindow {
  readonly value: number;
  readonly startMs: number;
  readonly endMs: number;
  readonly count: number;
  readonly mean: number;
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

const PENDING_WINDOW_KEYS = ['value', 'startMs', 'endMs', 'count', 'mean', 'median', 'min', 'max'] as const;

export function encodeAlertStateRecord(record: AlertStateRecord): string {
  return JSON.stringify(record);
}

/** Parses and checks a record; throws PipelineError `ALERT_STATE_INVALID` (not retriable) when it is not one. */
export function decodeAlertStateRecord(text: string): AlertStateRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw invalid(`not JSON: ${(err as Error).message}`, err);
  }
  if (typeof value !== 'object' || value === null) throw invalid('expected an object');
  const r = value as Record<string, unknown>;
  if (r['v'] !== ALERT_STATE_RECORD_VERSION)
    throw invalid(`unsupported version ${JSON.stringify(r['v'])}, expected ${ALERT_STATE_RECORD_VERSION}`);
  for (const key of ['fingerprint', 'rule', 'deviceId'] as const) {
    if (typeof r[key] !== 'string') throw invalid(`"${key}" must be a string`);
  }
  const scope = r['scope'];
  if (scope !== undefined && scope !== 'device' && scope !== 'group' && scope !== 'fleet')
    throw invalid('"scope" must be device, group or fleet when present');
  if (scope === undefined && !(METRICS as readonly unknown[]).includes(r['metric']))
    throw invalid(`"metric" must be one of ${METRICS.join(', ')}`);
  if (scope !== undefined && r['metric'] !== undefined) throw invalid(`a ${scope} series has no "metric"`);
  const group = r['group'];
  if (
    scope === 'group' &&
    !(
      Array.isArray(group) &&
      group.every((p) => Array.isArray(p) && p.length === 2 && p.every((x) => typeof x === 'string'))
    )
  )
    throw invalid('"group" must be a list of [label, value] pairs for a group series');
  if (r['status'] !== 'ok' && r['status'] !== 'pending' && r['status'] !== 'firing')
    throw invalid('"status" must be ok, pending or firing');
  if (typeof r['sinceMs'] !== 'number' || !Number.isFinite(r['sinceMs']))
    throw invalid('"sinceMs" must be a finite number');
  if (r['lastSeenMs'] !== undefined && (typeof r['lastSeenMs'] !== 'number' || !Number.isFinite(r['lastSeenMs']))) {
    throw invalid('"lastSeenMs" must be a finite number when present');
  }
  const pendingWindow = r['pendingWindow'];
  if (pendingWindow !== undefined) {
    const w = pendingWindow as Record<string, unknown> | null;
    if (typeof w !== 'object' || w === null || PENDING_WINDOW_KEYS.some((k) => !Number.isFinite(w[k])))
      throw invalid(`"pendingWindow" must hold finite numbers ${PENDING_WINDOW_KEYS.join(', ')}`);
  }
  return {
    v: ALERT_STATE_RECORD_VERSION,
    fingerprint: r['fingerprint'] as string,
    rule: r['rule'] as string,
    deviceId: r['deviceId'] as string,
    ...(scope === undefined ? { metric: r['metric'] as Metric } : { scope }),
    ...(scope === 'group' ? { group: group as [string, string][] } : {}),
    status: r['status'],
    sinceMs: r['sinceMs'],
    ...(r['lastSeenMs'] !== undefined ? { lastSeenMs: r['lastSeenMs'] as number } : {}),
    ...(pendingWindow !== undefined
      ? {
          pendingWindow: Object.fromEntries(
            PENDING_WINDOW_KEYS.map((k) => [k, (pendingWindow as Record<string, number>)[k]]),
          ) as unknown as PendingWindow,
        }
      : {}),
  };
}

function invalid(message: string, cause?: unknown): PipelineError {
  return new PipelineError('ALERT_STATE_INVALID', `invalid alert-state record: ${message}`, {
    retriable: false,
    cause,
  });
}
