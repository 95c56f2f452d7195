/**
 * `sensor-pipeline tail`: follows one of the pipeline's topics and prints each record decoded. Without
 * `--group` it reads in a throwaway consumer group and commits nothing (a pure observer); with `--group G`
 * it commits what it printed, so the next run of the same group continues where this one stopped.
 */
import { randomBytes } from 'node:crypto';
import {
  createConsumer,
  createLogger,
  headersToStrings,
  type KafkaSettings,
  type TopicNames,
} from '@sensor-pipeline/shared';
import { RecordFormatter, TAIL_TOPICS, type TailTopic } from './record-formatter.js';

export interface TailOptions {
  readonly kind: TailTopic;
  readonly settings: KafkaSettings;
  readonly topics: TopicNames;
  readonly json: boolean;
  readonly fromBeginning: boolean;
  readonly group?: string;
  /** Stop after this many records. */
  readonly max?: number;
  /** Stop when nothing arrived for this long (ms). */
  readonly idleTimeoutMs?: number;
  /** Read uncommitted (transactional, not yet committed or aborted) records too. Default false. */
  readonly readUncommitted?: boolean;
  readonly write: (line: string) => void;
  /** Resolves to stop (e.g. on SIGINT). */
  readonly stop: Promise<unknown>;
}

/** Runs until `max`, idle timeout or `stop`; resolves with the number of records printed. */
export async function tailTopic(options: TailOptions): Promise<number> {
  const topic = options.topics[TAIL_TOPICS[options.kind].role];
  const formatter = new RecordFormatter(options.kind);
  const logger = createLogger({
    service: 'sensor-pipeline-tail',
    level: process.env['LOG_LEVEL'] ?? 'warn',
    destination: { write: (s: string) => process.stderr.write(s) },
  });
  const groupId = options.group ?? `sensor-pipeline-tail-${randomBytes(4).toString('hex')}`;
  const consumer = createConsumer(options.settings, {
    logger,
    groupId,
    readCommitted: !options.readUncommitted,
    extra: { 'auto.offset.reset': options.fromBeginning ? 'earliest' : 'latest' },
  });
  let printed = 0;
  let lastArrival = Date.now();
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic] });
    void consumer.run({
      eachMessage: async ({ topic: t, partition, message }) => {
        if (options.max !== undefined && printed >= options.max) return;
        lastArrival = Date.now();
        const record = {
          topic: t,
          partition,
          offset: message.offset,
          timestamp: message.timestamp,
          key: message.key,
          value: message.value,
          headers: headersToStrings(message.headers),
        };
        options.write(options.json ? formatter.json(record) : formatter.human(record));
        printed += 1;
        if (options.group !== undefined)
          await consumer.commitOffsets([{ topic: t, partition, offset: String(BigInt(message.offset) + 1n) }]);
        if (options.max !== undefined && printed >= options.max) done();
      },
    });
    const idle = options.idleTimeoutMs;
    const idleCheck =
      idle === undefined
        ? new Promise<never>(() => undefined)
        : new Promise<void>((resolve) => {
            const timer = setInterval(() => {
              if (Date.now() - lastArrival >= idle) {
                clearInterval(timer);
                resolve();
              }
            }, 200);
            void finished.then(() => clearInterval(timer));
            void options.stop.then(() => clearInterval(timer));
          });
    await Promise.race([finished, options.stop, idleCheck]);
  } finally {
    await consumer.disconnect();
  }
  return printed;
}
