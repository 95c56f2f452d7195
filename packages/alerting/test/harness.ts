/** Builders for receiver configs, alert records and a DLQ recorder, shared by the HTTP-level tests. */
import { randomBytes } from 'node:crypto';
import { type Alert, alertCodec } from '@sensor-pipeline/shared';
import {
  type AlertingConfig,
  type DeadLetterRecord,
  parseWebhookSecrets,
  type ReceiverConfig,
  type RouteSpec,
  SigningKeys,
  type SourceRecord,
} from '../src/index.js';
import { sampleAlert } from './alert-fixture.js';

export const newSecret = (): string => `whsec_${randomBytes(32).toString('base64')}`;

export function receiverConfig(
  name: string,
  url: string,
  overrides: Partial<ReceiverConfig> & { secret?: string } = {},
): ReceiverConfig {
  const { secret, ...rest } = overrides;
  return {
    name,
    type: 'webhook',
    url: rest.targets?.[0] ?? url,
    targets: [url],
    resendIntervalMs: 60_000,
    format: 'native',
    signingKeys: secret ? new SigningKeys(parseWebhookSecrets(secret)) : SigningKeys.none,
    timeoutMs: 2_000,
    concurrency: 4,
    queueSize: 1_000,
    onQueueFull: 'pause',
    retry: { initialMs: 20, multiplier: 2, maxMs: 100, maxAttempts: 5, jitter: 'none', maxRetryAfterMs: 2_000 },
    parkedRetry: { scheduleMs: [50], horizonMs: 60_000 },
    headers: {},
    allowPrivateNetwork: true,
    ...rest,
  };
}

export function alertingConfig(receivers: ReceiverConfig[], route?: RouteSpec): AlertingConfig {
  return {
    receivers,
    route: route ?? { receiver: receivers[0]!.name },
    consumer: { groupId: 'test', commitIntervalMs: 100, maxBatchSize: 100 },
    dedup: { windowMs: 60_000, maxEntries: 10_000 },
    links: { externalURL: 'http://alerting.test', generatorURL: '' },
    shutdown: { drainTimeoutMs: 2_000 },
  };
}

const codec = alertCodec();

export function alertRecord(alert: Alert, offset: number, partition = 0): SourceRecord {
  return {
    topic: 'alerts',
    partition,
    offset: String(offset),
    key: Buffer.from(alert.deviceId),
    value: codec.encode(alert),
  };
}

/** `n` alerts with distinct event ids over `fingerprints` series. */
export function alerts(n: number, fingerprints = n, overrides: Partial<Alert> = {}): Alert[] {
  return Array.from({ length: n }, (_, i) =>
    sampleAlert({
      eventId: `evt-${i}`,
      fingerprint: `fp-${i % fingerprints}`,
      deviceId: `site-a/dev-${i % fingerprints}`,
      ...overrides,
    }),
  );
}

export function deadLetters(): { records: DeadLetterRecord[]; write: (r: DeadLetterRecord) => Promise<void> } {
  const records: DeadLetterRecord[] = [];
  return { records, write: async (r) => void records.push(r) };
}
