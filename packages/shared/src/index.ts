/** The floor every service stands on: schemas and codecs, config, Kafka clients, logging, health and metrics, errors. */

// the Kafka client's types, so services name them without depending on the client directly
export type { KafkaJS, RdKafka } from '@confluentinc/kafka-javascript';
export * from './cli/common-options.js';
// everything that does not load the Kafka client
export * from './core.js';
export * from './kafka/ensure-topics.js';
export * from './kafka/kafka-clients.js';
export * from './kafka/librdkafka-error.js';
export * from './kafka/raw-consumer.js';
export * from './kafka/raw-producer.js';
export * from './kafka/read-partition-range.js';
