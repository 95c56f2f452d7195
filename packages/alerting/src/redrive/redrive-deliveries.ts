/**
 * `alerting redrive`: re-sends what is in the deliveries DLQ once its receiver is fixed. Reads the DLQ from
 * its start to its end as it is now (outside any consumer group, committing nothing), picks the records a
 * filter selects — by receiver, by when they were dead-lettered, by event id — and writes each to the retry
 * topic, due at once, for every target of its receiver as configured now; the running service's retry
 * worker delivers them, bypassing the dedup window (a redrive is meant to send again). The DLQ itself is
 * left as it is (it is a log); redriving twice sends twice, with the same `webhook-id`.
 */
import {
  createAdmin,
  createProducer,
  DLQ_HEADERS,
  type KafkaSettings,
  type Logger,
  type RdKafka,
  readPartitionRange,
} from '@sensor-pipeline/shared';
import type { AlertingConfig } from '../config/alerting-config.js';
import { DELIVERY_HEADERS } from '../stages/dead-letter-stage.js';
import { RETRY_HEADERS } from '../stages/park-stage.js';

export interface RedriveFilter {
  /** Only this receiver's dead letters. */
  readonly receiver?: string;
  /** Dead-lettered at or after, epoch ms. */
  readonly sinceMs?: number;
  /** Dead-lettered before, epoch ms. */
  readonly untilMs?: number;
  /** Only these event ids. */
  readonly eventIds?: readonly string[];
}

export interface RedriveProgress {
  readonly partition: number;
  readonly scanned: number;
  readonly matched: number;
  readonly redriven: number;
}

export interface RedriveOptions {
  readonly kafka: KafkaSettings;
  readonly logger: Logger;
  readonly config: AlertingConfig;
  readonly topics: { readonly deliveriesDlq: string; readonly deliveriesRetry: string };
  readonly filter: RedriveFilter;
  /** Count what would be redriven, write nothing. */
  readonly dryRun?: boolean;
  readonly now?: () => number;
  readonly onProgress?: (progress: RedriveProgress) => void;
}

export interface RedriveResult {
  readonly scanned: number;
  readonly matched: number;
  /** Records written to the retry topic (one per target of the receiver). */
  readonly redriven: number;
  /** Matching records whose receiver is no longer configured. */
  readonly unknownReceiver: number;
}

/** True when a DLQ record's headers pass the filter (and it is a delivery's, not an undecodable record). */
export function matchesRedrive(headers: Readonly<Record<string, string>>, filter: RedriveFilter): boolean {
  const receiver = headers[DELIVERY_HEADERS.receiver];
  const eventId = headers[DELIVERY_HEADERS.eventId];
  if (receiver === undefined || eventId === undefined) return false;
  if (filter.receiver !== undefined && receiver !== filter.receiver) return false;
  if (filter.eventIds && filter.eventIds.length > 0 && !filter.eventIds.includes(eventId)) return false;
  const at = Number(headers[DLQ_HEADERS.deadLetteredAt]);
  if (filter.sinceMs !== undefined && !(at >= filter.sinceMs)) return false;
  if (filter.untilMs !== undefined && !(at < filter.untilMs)) return false;
  return true;
}

export async function redriveDeliveries(options: RedriveOptions): Promise<RedriveResult> {
  const { topics, filter } = options;
  const now = options.now ?? Date.now;
  const admin = createAdmin(options.kafka, options.logger);
  await admin.connect();
  let partitions: number[];
  try {
    const [meta] = await admin.fetchTopicMetadata({ topics: [topics.deliveriesDlq] });
    partitions = (meta?.partitions ?? []).map((p) => p.partitionId).sort((a, b) => a - b);
  } finally {
    await admin.disconnect();
  }
  const targetsOf = new Map(
    options.config.receivers.map((r) => [
      r.name,
      r.targets.map((_, i) => (r.targets.length > 1 ? `${r.name}#${i + 1}` : r.name)),
    ]),
  );
  const producer = options.dryRun ? undefined : createProducer(options.kafka, { logger: options.logger, lingerMs: 5 });
  await producer?.connect();
  const totals = { scanned: 0, matched: 0, redriven: 0, unknownReceiver: 0 };
  try {
    for (const partition of partitions) {
      const progress = { partition, scanned: 0, matched: 0, redriven: 0 };
      await readPartitionRange(options.kafka, {
        topic: topics.deliveriesDlq,
        partition,
        fromOffset: 0,
        onBatch: async (messages) => {
          const out: { key: string; value: Buffer | null; headers: Record<string, string> }[] = [];
          for (const m of messages) {
            progress.scanned += 1;
            const headers = headerMap(m.headers);
            if (!matchesRedrive(headers, filter)) continue;
            progress.matched += 1;
            const receiver = headers[DELIVERY_HEADERS.receiver]!;
            const targets = targetsOf.get(receiver);
            if (!targets) {
              totals.unknownReceiver += 1;
              continue;
            }
            const nowMs = now();
            for (const target of targets)
              out.push({
                key: `${target}/redrive/${headers[DELIVERY_HEADERS.eventId]}`,
                value: m.value,
                headers: {
                  [RETRY_HEADERS.target]: target,
                  [RETRY_HEADERS.receiver]: receiver,
                  [RETRY_HEADERS.eventId]: headers[DELIVERY_HEADERS.eventId]!,
                  [RETRY_HEADERS.attempts]: '0',
                  [RETRY_HEADERS.parkedAttempts]: '0',
                  [RETRY_HEADERS.firstAttemptAt]: String(nowMs),
                  [RETRY_HEADERS.nextAttemptAt]: String(nowMs),
                  [RETRY_HEADERS.lastError]: `redriven from ${topics.deliveriesDlq}[${partition}]@${m.offset}`,
                  [RETRY_HEADERS.sourceTopic]: headers[DLQ_HEADERS.sourceTopic] ?? '',
                  [RETRY_HEADERS.sourcePartition]: headers[DLQ_HEADERS.sourcePartition] ?? '-1',
                  [RETRY_HEADERS.sourceOffset]: headers[DLQ_HEADERS.sourceOffset] ?? '-1',
                  [RETRY_HEADERS.redrive]: '1',
                },
              });
          }
          if (producer && out.length > 0) await producer.send({ topic: topics.deliveriesRetry, messages: out });
          progress.redriven += out.length;
          options.onProgress?.({ ...progress });
        },
      });
      totals.scanned += progress.scanned;
      totals.matched += progress.matched;
      totals.redriven += progress.redriven;
      options.onProgress?.({ ...progress });
    }
  } finally {
    await producer?.disconnect();
  }
  return totals;
}

function headerMap(headers: readonly RdKafka.MessageHeader[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const header of headers ?? [])
    for (const [name, value] of Object.entries(header))
      out[name] = Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
  return out;
}
