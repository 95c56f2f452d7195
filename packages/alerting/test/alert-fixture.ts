/** A sample alert for tests, in the shape the processor writes to the alerts topic. */
import type { Alert } from '@sensor-pipeline/shared';

export const STARTS_AT = Date.UTC(2025, 0, 15, 10, 30, 0, 250); // 2025-01-15T10:30:00.250Z

export function sampleAlert(overrides: Partial<Alert> = {}): Alert {
  return {
    eventId: 'evt-0001',
    fingerprint: 'fp-cpu-high-dev-0042',
    status: 'FIRING',
    rule: 'cpu-high',
    severity: 'critical',
    deviceId: 'site-a/dev-0042',
    metric: 'cpu',
    statistic: 'mean',
    condition: 'above',
    value: 97.5,
    threshold: 90,
    startsAt: STARTS_AT,
    endsAt: null,
    window: {
      spec: 'time:60s',
      start: STARTS_AT - 60_000,
      end: STARTS_AT,
      count: 60,
      mean: 97.5,
      median: 98,
      min: 91,
      max: 100,
    },
    labels: { site: 'a', model: 'x1' },
    summary: 'CPU pegged on site-a/dev-0042',
    ...overrides,
  };
}
