/** Alerts and window stats for the console's tests. */
import type { Alert, WindowStats } from '@sensor-pipeline/shared';

export function alertFixture(overrides: Partial<Alert> = {}): Alert {
  const deviceId = overrides.deviceId ?? 'site-a/dev-0001';
  const rule = overrides.rule ?? 'temperature-high';
  const metric = overrides.metric ?? 'temperature';
  const status = overrides.status ?? 'FIRING';
  const startsAt = overrides.startsAt ?? 1_000_000;
  return {
    eventId: `${rule}:${deviceId}:${metric}:${status}:${startsAt}`,
    fingerprint: `${rule}:${deviceId}:${metric}`,
    status,
    rule,
    severity: 'critical',
    deviceId,
    metric,
    statistic: 'mean',
    condition: 'above',
    value: 85,
    threshold: 80,
    startsAt,
    endsAt: status === 'RESOLVED' ? startsAt + 60_000 : null,
    window: {
      spec: 'time:30s',
      start: startsAt - 30_000,
      end: startsAt,
      count: 30,
      mean: 85,
      median: 85,
      min: 80,
      max: 90,
    },
    labels: {},
    summary: `${status}: ${deviceId} ${metric}`,
    ...overrides,
  };
}

export function statsFixture(overrides: Partial<WindowStats> = {}): WindowStats {
  const windowEnd = overrides.windowEnd ?? 1_000_000;
  return {
    deviceId: 'site-a/dev-0001',
    metric: 'temperature',
    window: 'time:30s',
    windowStart: windowEnd - 30_000,
    windowEnd,
    count: 30,
    mean: 40,
    median: 41,
    min: 35,
    max: 45,
    stddev: 2,
    ...overrides,
  };
}
