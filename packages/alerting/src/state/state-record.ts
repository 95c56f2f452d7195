/**
 * What the alerting service remembers across restarts, one compacted record per thing, pure. The state
 * topic is co-partitioned with the alerts topic: what a record of alerts partition p changed is written to
 * state partition p, so whoever is assigned p loads exactly that partition before consuming it.
 *
 * - `t:<target>/<fingerprint>` — one series at one receiver target: for an Alertmanager, the FIRING it
 *   keeps re-sending; for a grouped webhook, the alert as last notified and when (Alertmanager's
 *   notification log); for any target, where its latest parked delivery sits in the retry topic (later
 *   alerts of the series park behind it until the retry worker got past that offset).
 * - `i:<fingerprint>` — a firing alert that some inhibition rule's source matchers match.
 *
 * Value: JSON `{"v":1, "alert": <base64 Avro single-object Alert>, "notifiedAtMs", "parked": {"partition",
 * "offset"}}`, each field only when set; a record with nothing left is a tombstone (null value).
 */
import type { Alert, AvroCodec } from '@sensor-pipeline/shared';

/** Where a parked delivery sits in the retry topic. */
export interface RetryPosition {
  readonly partition: number;
  readonly offset: number;
}

export interface TargetSeriesState {
  /** Alertmanager: the firing alert; grouped webhook: the alert as last notified (firing). */
  readonly alert?: Alert | undefined;
  /** Grouped webhook: when the last notification carrying `alert` went out. */
  readonly notifiedAtMs?: number | undefined;
  /** The latest delivery of this series parked in the retry topic for this target. */
  readonly parked?: RetryPosition | undefined;
}

export type StateRecord =
  | {
      readonly kind: 'target';
      readonly target: string;
      readonly fingerprint: string;
      readonly state: TargetSeriesState;
    }
  | { readonly kind: 'inhibit'; readonly fingerprint: string; readonly alert: Alert };

export function targetStateKey(target: string, fingerprint: string): string {
  return `t:${target}/${fingerprint}`;
}

export function inhibitStateKey(fingerprint: string): string {
  return `i:${fingerprint}`;
}

/** The value of a target record; null (a tombstone) when nothing is left to remember. */
export function encodeTargetState(state: TargetSeriesState, codec: AvroCodec<Alert>): Buffer | null {
  if (!state.alert && !state.parked) return null;
  return Buffer.from(
    JSON.stringify({
      v: 1,
      ...(state.alert ? { alert: codec.encode(state.alert).toString('base64') } : {}),
      ...(state.alert && state.notifiedAtMs !== undefined ? { notifiedAtMs: state.notifiedAtMs } : {}),
      ...(state.parked ? { parked: { partition: state.parked.partition, offset: state.parked.offset } } : {}),
    }),
  );
}

export function encodeInhibitState(alert: Alert | undefined, codec: AvroCodec<Alert>): Buffer | null {
  return alert ? Buffer.from(JSON.stringify({ v: 1, alert: codec.encode(alert).toString('base64') })) : null;
}

/** Reads a state record back; undefined for tombstones and for anything that is not ours (logged by the caller). */
export function decodeStateRecord(
  key: Buffer | string | null,
  value: Buffer | null,
  codec: AvroCodec<Alert>,
): StateRecord | undefined {
  if (key === null || value === null || value.length === 0 || value.length > 1_048_576) return undefined;
  const text = typeof key === 'string' ? key : key.toString('utf8');
  let parsed: { v?: unknown; alert?: unknown; notifiedAtMs?: unknown; parked?: unknown };
  try {
    parsed = JSON.parse(value.toString('utf8')) as typeof parsed;
  } catch {
    return undefined;
  }
  if (!parsed || typeof parsed !== 'object' || parsed.v !== 1) return undefined;
  let alert: Alert | undefined;
  if (typeof parsed.alert === 'string') {
    const decoded = codec.safeDecode(Buffer.from(parsed.alert, 'base64'));
    if (!decoded.ok) return undefined;
    alert = decoded.value;
  }
  if (text.startsWith('i:')) {
    const fingerprint = text.slice(2);
    return alert && fingerprint === alert.fingerprint ? { kind: 'inhibit', fingerprint, alert } : undefined;
  }
  const match = /^t:([^/]+)\/(.+)$/.exec(text);
  if (!match) return undefined;
  const [, target, fingerprint] = match as unknown as [string, string, string];
  const parked = readPosition(parsed.parked);
  const notifiedAtMs = typeof parsed.notifiedAtMs === 'number' ? parsed.notifiedAtMs : undefined;
  if (!alert && !parked) return undefined;
  if (alert && alert.fingerprint !== fingerprint) return undefined;
  return { kind: 'target', target, fingerprint, state: { alert, notifiedAtMs, parked } };
}

function readPosition(value: unknown): RetryPosition | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const { partition, offset } = value as { partition?: unknown; offset?: unknown };
  return Number.isInteger(partition) && Number.isInteger(offset)
    ? { partition: partition as number, offset: offset as number }
    : undefined;
}
