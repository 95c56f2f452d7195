/**
 * The `native` payload: our alert as JSON inside the Standard Webhooks payload envelope
 * `{"type", "timestamp", "data"}`. `type` is `sensor.alert.firing` or `sensor.alert.resolved`,
 * `timestamp` the event time of the state change (startsAt, or endsAt when resolved) in ISO 8601, and
 * `data` the Alert record exactly as on the alerts topic (schema field order; times in Unix epoch ms;
 * `endsAt` null while firing). The body depends on the alert only, so it is identical across retries.
 */
import type { Alert } from '@sensor-pipeline/shared';

export interface NativePayload {
  readonly type: 'sensor.alert.firing' | 'sensor.alert.resolved';
  readonly timestamp: string;
  readonly data: Alert;
}

export function nativePayload(alert: Alert): NativePayload {
  const eventTimeMs = alert.status === 'RESOLVED' ? (alert.endsAt ?? alert.window.end) : alert.startsAt;
  return {
    type: alert.status === 'RESOLVED' ? 'sensor.alert.resolved' : 'sensor.alert.firing',
    timestamp: new Date(eventTimeMs).toISOString(),
    data: {
      eventId: alert.eventId,
      fingerprint: alert.fingerprint,
      status: alert.status,
      rule: alert.rule,
      severity: alert.severity,
      deviceId: alert.deviceId,
      metric: alert.metric,
      statistic: alert.statistic,
      condition: alert.condition,
      value: alert.value,
      threshold: alert.threshold,
      startsAt: alert.startsAt,
      endsAt: alert.endsAt,
      window: {
        spec: alert.window.spec,
        start: alert.window.start,
        end: alert.window.end,
        count: alert.window.count,
        mean: alert.window.mean,
        median: alert.window.median,
        min: alert.window.min,
        max: alert.window.max,
      },
      labels: { ...alert.labels },
      summary: alert.summary,
    },
  };
}

export function formatNative(alert: Alert): string {
  return JSON.stringify(nativePayload(alert));
}
