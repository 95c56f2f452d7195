/**
 * Silences in Kafka: one compacted, single-partition topic (`SILENCES_TOPIC`, default
 * `sensor.alerting.silences`; alerting's own, not part of the pipeline's topic layout), key = silence id,
 * value = the silence as JSON. Adding writes it; expiring writes it again with `endsAt` = now (compaction
 * keeps the latest). Every alerting instance loads the whole topic before it consumes alerts and then
 * polls it, so every instance and every restart sees every silence.
 */
import {
  createAdmin,
  createProducer,
  ensureTopics,
  type KafkaSettings,
  type Logger,
  readPartitionRange,
} from '@sensor-pipeline/shared';
import { decodeSilence, type Silence, type SilenceSet } from './silence-set.js';

export const DEFAULT_SILENCES_TOPIC = 'sensor.alerting.silences';

export function silencesTopicFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): string {
  return env['SILENCES_TOPIC'] || DEFAULT_SILENCES_TOPIC;
}

export async function ensureSilencesTopic(kafka: KafkaSettings, logger: Logger, topic: string): Promise<void> {
  const admin = createAdmin(kafka, logger);
  await admin.connect();
  try {
    await ensureTopics(admin, [{ topic, numPartitions: 1, config: { 'cleanup.policy': 'compact' } }]);
  } finally {
    await admin.disconnect();
  }
}

export async function writeSilence(
  kafka: KafkaSettings,
  logger: Logger,
  topic: string,
  silence: Silence,
): Promise<void> {
  await ensureSilencesTopic(kafka, logger, topic);
  const producer = createProducer(kafka, { logger, lingerMs: 0 });
  await producer.connect();
  try {
    await producer.send({ topic, messages: [{ key: silence.id, value: JSON.stringify(silence) }] });
  } finally {
    await producer.disconnect();
  }
}

/** Reads the topic from `fromOffset` to its end into `set`; returns the next offset to read. */
export async function loadSilences(
  kafka: KafkaSettings,
  topic: string,
  set: SilenceSet,
  fromOffset = 0,
  log?: Logger,
): Promise<number> {
  let next = fromOffset;
  await readPartitionRange(kafka, {
    topic,
    partition: 0,
    fromOffset,
    onBatch: (messages) => {
      for (const m of messages) {
        next = m.offset + 1;
        const silence = decodeSilence(m.value);
        if (silence) set.upsert(silence);
        else log?.warn({ topic, offset: m.offset }, 'not a silence; skipped');
      }
    },
  });
  return next;
}

export interface SilenceWatcher {
  stop(): Promise<void>;
}

/** Polls the topic every `pollIntervalMs` after the initial load (which the caller awaits). */
export function watchSilences(options: {
  readonly kafka: KafkaSettings;
  readonly logger: Logger;
  readonly topic: string;
  readonly set: SilenceSet;
  readonly fromOffset: number;
  readonly pollIntervalMs?: number;
}): SilenceWatcher {
  const log = options.logger.child({ component: 'silences', topic: options.topic });
  let next = options.fromOffset;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const poll = (): void => {
    running = loadSilences(options.kafka, options.topic, options.set, next, log)
      .then((n) => {
        next = n;
      })
      .catch((err: unknown) => log.warn({ err }, 'reading silences failed; retrying'))
      .finally(() => {
        if (!stopped) timer = setTimeout(poll, options.pollIntervalMs ?? 2_000);
      });
  };
  timer = setTimeout(poll, options.pollIntervalMs ?? 2_000);
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
