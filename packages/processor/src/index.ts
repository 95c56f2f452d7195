/** The processor: per-sensor sliding windows (RxJS), YAML alert rules, alert events over Kafka. */

export * from './rules/index.js';
export * from './service/batch-output.js';
export * from './service/partition-pipeline.js';
export * from './service/processor-metrics.js';
export * from './service/processor-service.js';
export * from './service/reading-validation.js';
export * from './service/rules-runtime.js';
export * from './state/alert-state-records.js';
export * from './state/replay-checkpoints.js';
export * from './window/index.js';
