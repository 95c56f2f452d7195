/** Local infrastructure: the Apache Kafka broker for machines without Docker. */
export * from './local-kafka.js';
