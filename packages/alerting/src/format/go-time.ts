/**
 * Timestamps as Go's `time.Time` marshals them to JSON (RFC 3339 with trailing fractional zeros trimmed:
 * `2024-05-01T12:00:00Z`, `2024-05-01T12:00:00.25Z`), so Alertmanager-style payloads look exactly like
 * Alertmanager's own, including its zero time for alerts that have not ended.
 */
export const GO_ZERO_TIME = '0001-01-01T00:00:00Z';

export function goTime(epochMs: number): string {
  const iso = new Date(epochMs).toISOString(); // 2024-05-01T12:00:00.250Z
  return iso.replace(/\.(\d*?)0*Z$/, (_m, digits: string) => (digits ? `.${digits}Z` : 'Z'));
}
