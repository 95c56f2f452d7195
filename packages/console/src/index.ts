/** The web console: a live view of the pipeline's alerts, fleet, sensors and health for operators. */
export * from './console-consumer.js';
export * from './console-metrics.js';
export * from './console-options.js';
export * from './console-server.js';
export * from './console-service.js';
export * from './console-view.js';
export * from './metrics-scraper.js';
export * from './pipeline-health.js';
export * from './rule-thresholds.js';
export * from './sample-sums.js';
