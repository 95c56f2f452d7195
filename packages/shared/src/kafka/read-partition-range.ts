/**
 * Reads one partition from `fromOffset` up to (not including) `toOffset` — or to its end as it is now —
 * outside any consumer group, without committing anything. For rebuilding state: replaying a partition's
 * recent readings, or loading a compacted state topic, before normal consumption resumes.
 */
import { RdKafka } from '@confluentinc/kafka-javascript';
import { KafkaClientError } from '../errors.js';
import type { KafkaSettings } from './kafka-clients.js';

export interface RangeMessage {
  readonly offset: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  /** The record's Kafka timestamp (producer create time), ms. */
  readonly timestamp: number | undefined;
  /** The record's headers, as the client hands them over (one object per header). */
  readonly headers?: readonly RdKafka.MessageHeader[] | undefined;
}

export interface ReadRangeOptions {
  readonly topic: string;
  readonly partition: number;
  /** First offset to read; clamped to the partition's low watermark. */
  readonly fromOffset: number;
  /** Stop before this offset; default: the high watermark when reading starts. */
  readonly toOffset?: number;
  readonly readCommitted?: boolean;
  readonly timeoutMs?: number;
  /** Called with each batch, in offset order. */
  readonly onBatch: (messages: readonly RangeMessage[]) => void | Promise<void>;
}

/** Returns how many records were read. */
export async function readPartitionRange(settings: KafkaSettings, options: ReadRangeOptions): Promise<number> {
  const timeoutMs = options.timeoutMs ?? 120_000;
  const consumer = new RdKafka.KafkaConsumer(
    {
      'bootstrap.servers': settings.bootstrapServers,
      'client.id': `${settings.clientId}-range-reader`,
      'group.id': `${settings.clientId}-range-reader`, // required by librdkafka, never joined (assign only)
      'enable.auto.commit': false,
      'enable.auto.offset.store': false,
      'isolation.level': options.readCommitted === false ? 'read_uncommitted' : 'read_committed',
      ...(settings.extra as Record<string, string | number | boolean>),
    },
    { 'auto.offset.reset': 'earliest' },
  );
  const call = <T>(fn: (cb: (err: unknown, value: T) => void) => void): Promise<T> =>
    new Promise<T>((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value))));

  await call<unknown>((cb) => consumer.connect({ timeout: timeoutMs }, cb as never));
  try {
    const marks = await call<{ lowOffset: number; highOffset: number }>((cb) =>
      consumer.queryWatermarkOffsets(options.topic, options.partition, timeoutMs, cb as never),
    );
    const end = Math.min(options.toOffset ?? marks.highOffset, marks.highOffset);
    const start = Math.max(options.fromOffset, marks.lowOffset);
    if (start >= end) return 0;
    consumer.assign([{ topic: options.topic, partition: options.partition, offset: start }]);
    consumer.setDefaultConsumeTimeout(200);
    let read = 0;
    let next = start;
    const deadline = Date.now() + timeoutMs;
    // transactional markers and compacted-away records leave gaps: stop at the first offset >= end
    while (next < end) {
      if (Date.now() > deadline) {
        throw new KafkaClientError(
          `reading ${options.topic}[${options.partition}] ${start}..${end} timed out at offset ${next}`,
          { retriable: true },
        );
      }
      const batch = await call<RdKafka.Message[]>((cb) => consumer.consume(2_000, cb as never));
      if (batch.length === 0) {
        const position = consumer.position([{ topic: options.topic, partition: options.partition }])[0];
        if (position && typeof position.offset === 'number' && position.offset >= end) break;
        continue;
      }
      const messages: RangeMessage[] = [];
      for (const m of batch) {
        if (m.offset >= end) break;
        messages.push({
          offset: m.offset,
          key: (m.key as Buffer | undefined) ?? null,
          value: m.value,
          timestamp: m.timestamp,
          headers: m.headers,
        });
        next = m.offset + 1;
      }
      read += messages.length;
      if (messages.length > 0) await options.onBatch(messages);
      if (batch[batch.length - 1]!.offset >= end - 1) break;
    }
    return read;
  } finally {
    await call<unknown>((cb) => consumer.disconnect(cb as never)).catch(() => undefined);
  }
}
