/**
 * Kafka clients for every service, on `@confluentinc/kafka-javascript` (librdkafka) through its
 * KafkaJS-style promise API, configured with librdkafka property names.
 *
 * Defaults carry the pipeline's delivery promises: producers are idempotent with acks=all (a record is
 * acknowledged only when every in-sync replica has it, and retries never duplicate it); consumers never
 * auto-commit (the service commits after what it produced is acknowledged) and start from the earliest
 * offset when their group has none. Extra librdkafka properties (security, tuning) pass through `extra`
 * or the `KAFKA_CONFIG_<PROPERTY_WITH_UNDERSCORES>` environment variables.
 */
import { KafkaJS } from '@confluentinc/kafka-javascript';
import type { Logger } from '../logger.js';

export type KafkaProperties = Record<string, string | number | boolean | ((...args: never[]) => unknown)>;

export interface KafkaSettings {
  /** Comma-separated host:port list. */
  readonly bootstrapServers: string;
  readonly clientId: string;
  /** Extra librdkafka properties for every client. */
  readonly extra?: Readonly<KafkaProperties>;
}

export const DEFAULT_BOOTSTRAP_SERVERS = '127.0.0.1:9092';

/**
 * `KAFKA_BOOTSTRAP_SERVERS` (default 127.0.0.1:9092) and `KAFKA_CONFIG_*` properties, e.g.
 * `KAFKA_CONFIG_SECURITY_PROTOCOL=ssl` → `security.protocol=ssl`.
 */
export function kafkaSettingsFromEnv(
  clientId: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): KafkaSettings {
  const extra: KafkaProperties = {};
  for (const [key, value] of Object.entries(env)) {
    if (key.startsWith('KAFKA_CONFIG_') && value !== undefined)
      extra[key.slice('KAFKA_CONFIG_'.length).toLowerCase().replaceAll('_', '.')] = value;
  }
  return { bootstrapServers: env['KAFKA_BOOTSTRAP_SERVERS'] || DEFAULT_BOOTSTRAP_SERVERS, clientId, extra };
}

/** Routes the client's own log lines into pino, below our components. */
function kafkaLogger(logger: Logger): KafkaJS.Logger {
  const log = logger.child({ component: 'kafka-client' });
  const adapter: KafkaJS.Logger = {
    info: (message, extra) => log.debug({ ...extra }, message),
    warn: (message, extra) => log.warn({ ...extra }, message),
    error: (message, extra) => log.error({ ...extra }, message),
    debug: (message, extra) => log.trace({ ...extra }, message),
    namespace: () => adapter,
    setLogLevel: () => undefined,
  };
  return adapter;
}

function kafka(logger: Logger): KafkaJS.Kafka {
  // brokers come as librdkafka's bootstrap.servers per client; the kafkaJS block carries only the logger
  return new KafkaJS.Kafka({
    kafkaJS: { logger: kafkaLogger(logger), logLevel: KafkaJS.logLevel.WARN },
  } as KafkaJS.CommonConstructorConfig);
}

/** The properties every client gets: brokers, client id, reconnect backoff, then `settings.extra`. */
export function commonKafkaProperties(settings: KafkaSettings): KafkaProperties {
  return {
    'bootstrap.servers': settings.bootstrapServers,
    'client.id': settings.clientId,
    // a broker outage is waited out: reconnect with backoff up to 10 s between attempts
    'reconnect.backoff.ms': 100,
    'reconnect.backoff.max.ms': 10_000,
    ...settings.extra,
  };
}

export interface ProducerOptions {
  readonly logger: Logger;
  /** Set to make the producer transactional (exactly-once); must be stable per producing instance. */
  readonly transactionalId?: string;
  /** How long a batch may wait to fill, ms. */
  readonly lingerMs?: number;
  readonly compression?: 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';
  /** How long a record may wait for acknowledgement, including retries, before it is reported failed. */
  readonly deliveryTimeoutMs?: number;
  readonly extra?: Readonly<KafkaProperties>;
}

export function createProducer(settings: KafkaSettings, options: ProducerOptions): KafkaJS.Producer {
  const config: KafkaProperties = {
    ...commonKafkaProperties(settings),
    'enable.idempotence': true,
    acks: -1, // all in-sync replicas
    'linger.ms': options.lingerMs ?? 5,
    'compression.type': options.compression ?? 'lz4',
    'message.timeout.ms': options.deliveryTimeoutMs ?? 120_000, // two minutes of retries before a record fails
    ...(options.transactionalId ? { 'transactional.id': options.transactionalId } : {}),
    ...options.extra,
  };
  return kafka(options.logger).producer(config as KafkaJS.ProducerConstructorConfig);
}

export type RebalanceListener = (
  event: 'assign' | 'revoke',
  partitions: readonly { topic: string; partition: number }[],
) => void | Promise<void>;

export interface ConsumerOptions {
  readonly logger: Logger;
  readonly groupId: string;
  /** Read only committed transactional records (default true). */
  readonly readCommitted?: boolean;
  /** Called on every assignment change, before consumption of newly assigned partitions starts. */
  readonly onRebalance?: RebalanceListener;
  /** Largest batch handed to eachBatch. */
  readonly maxBatchSize?: number;
  readonly extra?: Readonly<KafkaProperties>;
}

export function createConsumer(settings: KafkaSettings, options: ConsumerOptions): KafkaJS.Consumer {
  const log = options.logger.child({ component: 'consumer', groupId: options.groupId });
  const config: KafkaProperties = {
    ...commonKafkaProperties(settings),
    'group.id': options.groupId,
    'enable.auto.commit': false,
    'auto.offset.reset': 'earliest',
    'isolation.level': options.readCommitted === false ? 'read_uncommitted' : 'read_committed',
    'partition.assignment.strategy': 'cooperative-sticky',
    'js.consumer.max.batch.size': options.maxBatchSize ?? 1_000,
    ...options.extra,
  };
  if (options.onRebalance) {
    const listener = options.onRebalance;
    config['rebalance_cb'] = (async (err: { code: number }, assignment: { topic: string; partition: number }[]) => {
      const event = err.code === KafkaJS.ErrorCodes.ERR__ASSIGN_PARTITIONS ? 'assign' : 'revoke';
      log.info(
        { event, partitions: assignment.map((a) => `${a.topic}[${a.partition}]`) },
        'partitions %s',
        event === 'assign' ? 'assigned' : 'revoked',
      );
      await listener(event, assignment);
    }) as never;
  }
  return kafka(options.logger).consumer(config as KafkaJS.ConsumerConstructorConfig);
}

export function createAdmin(settings: KafkaSettings, logger: Logger): KafkaJS.Admin {
  return kafka(logger).admin(commonKafkaProperties(settings) as KafkaJS.AdminConstructorConfig);
}
