/** Infrastructure: the local Apache Kafka broker, the pipeline's topic layout and service specs, the launcher. */

export * from './create-pipeline-topics.js';
export { freePortPair } from './free-port-pair.js';
export { LineFollower } from './launcher/line-follower.js';
export { type LauncherOptions, runPipeline } from './launcher/run-pipeline.js';
export { parseSinkLine, type SinkEvent } from './launcher/sink-events.js';
export * from './local-kafka.js';
export * from './pipeline-services.js';
