/**
 * Topic names and their defaults, one place for every service, the launcher and docker compose.
 * Each can be overridden by the environment variable named beside it.
 */
export const DEFAULT_TOPICS = {
  /** Avro SensorReading, key = deviceId. */
  readings: 'sensor.readings',
  /** Avro Alert (FIRING/RESOLVED), key = deviceId. Compacted per event id is wrong here: alerts are a log. */
  alerts: 'sensor.alerts',
  /** Avro WindowStats, key = deviceId, downsampled. */
  stats: 'sensor.stats',
  /** Readings that could not be decoded or are invalid or late, original bytes + `dlq.*` headers. */
  readingsDlq: 'sensor.readings.dlq',
  /** Alert state per fingerprint, compacted: how a processor rebuilds firing alerts after a restart. */
  alertState: 'sensor.alert-state',
  /** Alerts whose webhook delivery exhausted its retries or was refused, with `dlq.*` headers. */
  deliveriesDlq: 'sensor.deliveries.dlq',
  /** Deliveries waiting for a later attempt (non-blocking retries), Avro Alert + `retry.*` headers. */
  deliveriesRetry: 'sensor.deliveries.retry',
} as const;

export type TopicRole = keyof typeof DEFAULT_TOPICS;
export type TopicNames = { readonly [R in TopicRole]: string };

export const TOPIC_ENV: { readonly [R in TopicRole]: string } = {
  readings: 'READINGS_TOPIC',
  alerts: 'ALERTS_TOPIC',
  stats: 'STATS_TOPIC',
  readingsDlq: 'READINGS_DLQ_TOPIC',
  alertState: 'ALERT_STATE_TOPIC',
  deliveriesDlq: 'DELIVERIES_DLQ_TOPIC',
  deliveriesRetry: 'DELIVERIES_RETRY_TOPIC',
};

export function topicNamesFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): TopicNames {
  const names = {} as Record<TopicRole, string>;
  for (const role of Object.keys(DEFAULT_TOPICS) as TopicRole[])
    names[role] = env[TOPIC_ENV[role]] || DEFAULT_TOPICS[role];
  return names;
}
