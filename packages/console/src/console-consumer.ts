/**
 * The console's Kafka shell: one consumer in the console's own group reads the alerts and stats topics and
 * applies each record to the view. It never commits: on every start (and every assignment) the alerts
 * partitions are read from their beginning, so the firing set is rebuilt from the topic, and the stats
 * partitions from their last `statsTailRecords` records (librdkafka's tail offset), the recent history
 * behind the charts. An undecodable record is skipped and counted by its code, with its topic, partition
 * and offset in the log.
 */
import {
  alertCodec,
  createRawConsumer,
  type KafkaSettings,
  type Logger,
  PipelineError,
  type RawConsumer,
  type RdKafka,
  windowStatsCodec,
} from '@sensor-pipeline/shared';
import type { ConsoleView } from './console-view.js';

/** librdkafka's logical offsets: the partition's beginning, and `TAIL(n)`: n records before its end. */
const OFFSET_BEGINNING = -2;
const offsetTail = (records: number) => -2000 - records;

export interface ConsoleConsumerOptions {
  readonly kafka: KafkaSettings;
  readonly groupId: string;
  readonly alertsTopic: string;
  readonly statsTopic: string;
  readonly statsTailRecords: number;
  readonly view: ConsoleView;
  readonly logger: Logger;
  /** Wall clock for the timeline's one-hour window. */
  readonly clock?: () => number;
  /** Called after each applied record (metrics). */
  readonly onRecord?: (topic: 'alerts' | 'stats', result: 'applied' | 'skipped', code?: string) => void;
}

export interface ConsoleConsumer {
  /** True once the group gave this console its partitions. */
  readonly assigned: boolean;
  stop(): Promise<void>;
}

const BATCH_RECORDS = 1_000;

export async function startConsoleConsumer(options: ConsoleConsumerOptions): Promise<ConsoleConsumer> {
  const log = options.logger.child({ component: 'console-consumer' });
  const clock = options.clock ?? Date.now;
  const alerts = alertCodec();
  const stats = windowStatsCodec();
  let assigned = false;
  let running = true;
  let consumer: RawConsumer | undefined;
  consumer = createRawConsumer(options.kafka, {
    logger: options.logger,
    groupId: options.groupId,
    consumeTimeoutMs: 200,
    onRebalance: (event, partitions) => {
      if (!consumer) return;
      if (event === 'revoke') {
        consumer.unassign(partitions);
        return;
      }
      consumer.assign(
        partitions.map((p) => ({
          topic: p.topic,
          partition: p.partition,
          offset: p.topic === options.alertsTopic ? OFFSET_BEGINNING : offsetTail(options.statsTailRecords),
        })),
      );
      assigned = true;
      log.info(
        { partitions: partitions.map((p) => `${p.topic}[${p.partition}]`) },
        'reading alerts from the beginning and recent stats',
      );
    },
  });
  try {
    await consumer.connect();
  } catch (cause) {
    throw new PipelineError('KAFKA_CONNECT_FAILED', 'the console could not connect to Kafka', { cause });
  }
  consumer.client.subscribe([options.alertsTopic, options.statsTopic]);

  const apply = (m: RdKafka.Message): void => {
    if (m.topic === options.alertsTopic) {
      const r = alerts.safeDecode(m.value);
      if (r.ok) {
        options.view.applyAlert(r.value, clock());
        options.onRecord?.('alerts', 'applied');
      } else {
        options.view.skip('alerts', r.error.code);
        options.onRecord?.('alerts', 'skipped', r.error.code);
        log.warn(
          { topic: m.topic, partition: m.partition, offset: m.offset, code: r.error.code, err: r.error },
          'skipped an undecodable alert',
        );
      }
    } else if (m.topic === options.statsTopic) {
      const r = stats.safeDecode(m.value);
      if (r.ok) {
        options.view.applyStats(r.value);
        options.onRecord?.('stats', 'applied');
      } else {
        options.view.skip('stats', r.error.code);
        options.onRecord?.('stats', 'skipped', r.error.code);
        log.warn(
          { topic: m.topic, partition: m.partition, offset: m.offset, code: r.error.code, err: r.error },
          'skipped undecodable window stats',
        );
      }
    }
  };

  const loop = (async () => {
    let failures = 0;
    while (running) {
      try {
        const batch = await (consumer as RawConsumer).consume(BATCH_RECORDS);
        failures = 0;
        for (const m of batch) apply(m);
      } catch (err) {
        failures += 1;
        if (failures === 1 || failures % 50 === 0) log.warn({ err, failures }, 'consume failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, Math.min(5_000, 100 * failures)));
      }
    }
  })();

  return {
    get assigned() {
      return assigned;
    },
    async stop() {
      running = false;
      await loop;
      try {
        (consumer as RawConsumer).client.unsubscribe();
      } catch {
        // already disconnected
      }
      await (consumer as RawConsumer).disconnect();
      consumer = undefined;
    },
  };
}
