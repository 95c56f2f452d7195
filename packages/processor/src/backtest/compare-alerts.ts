/**
 * What a backtest's alerts and the alerts actually published over the same span have in common and where
 * they differ, by event id (a pure function of fingerprint, status and startsAt, so equal inputs and rules
 * give equal ids). Published alerts are checked against everything the backtest produced, its warm-up
 * included (an alert published just inside the span may come from a reading just before it); backtest
 * alerts against everything published up to a little after the span (publishing lags the readings); the
 * published alerts reported as missing from the backtest are those whose event time is within the span's
 * readings (a device's: within its partition's). Pure.
 */
import type { Alert } from '@sensor-pipeline/shared';

export interface AlertsComparison {
  readonly matched: number;
  /** The backtest's rules would have published these; the running rules did not. */
  readonly onlyBacktest: readonly Alert[];
  /** The running rules published these; the backtest's rules would not have. */
  readonly onlyPublished: readonly Alert[];
}

export function compareAlerts(input: {
  /** Alerts of readings in the span. */
  readonly backtest: readonly Alert[];
  /** Every alert the backtest produced, warm-up included. */
  readonly backtestAll: readonly Alert[];
  /** Alerts published with an event time in the span. */
  readonly published: readonly Alert[];
  /** Alerts published from the span start to a little after its end. */
  readonly publishedAll: readonly Alert[];
}): AlertsComparison {
  const publishedIds = new Set(input.publishedAll.map((a) => a.eventId));
  const backtestIds = new Set(input.backtestAll.map((a) => a.eventId));
  const onlyBacktest = dedupe(input.backtest.filter((a) => !publishedIds.has(a.eventId)));
  const onlyPublished = dedupe(input.published.filter((a) => !backtestIds.has(a.eventId)));
  const matched = new Set(input.backtest.filter((a) => publishedIds.has(a.eventId)).map((a) => a.eventId)).size;
  return { matched, onlyBacktest, onlyPublished };
}

/** One per event id (at-least-once delivery may have published an alert twice). */
function dedupe(alerts: readonly Alert[]): Alert[] {
  const seen = new Set<string>();
  return alerts.filter((a) => !seen.has(a.eventId) && seen.add(a.eventId));
}
