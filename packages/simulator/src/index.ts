/**
 * The simulator as a library: scenarios, signals and faults (pure), the deterministic reading generator and
 * encoder, and the Kafka shell that produces a run. The `simulator` CLI (cli.ts) is a thin layer over this.
 */
// randomness

export { type CliOptions, type CliRequest, parseCliArgs, USAGE, UsageError } from './cli-options.js';
// the deterministic core
export {
  buildFleet,
  buildProfiles,
  type ClockSkew,
  DEFAULT_START_TIME_MS,
  type Device,
  type Fleet,
  type FleetOptions,
  type FleetSite,
  type LateDelivery,
  sensorSignal,
} from './core/fleet.js';
export { copyReading, emptyReading, type GeneratedReading, toSensorReading } from './core/generated-reading.js';
export { LateQueue } from './core/late-queue.js';
export { MessageSource, type MessageSourceOptions, type SimMessage } from './core/message-source.js';
export { DEFAULT_SEED, planRun, type RunPlan, type RunPlanOptions } from './core/plan-run.js';
export {
  FUTURE_OFFSET_MS,
  POISON_KINDS,
  type PoisonKind,
  poisonKindAt,
  randomPoisonBytes,
  truncateEncoded,
} from './core/poison.js';
export {
  gaussianAt,
  hashString,
  mix32,
  normalAt,
  Sfc32,
  seedFrom,
  streamKey,
  uint32At,
  uniformAt,
} from './core/prng.js';
export { longLength, ReadingEncoder, writeLong } from './core/reading-encoder.js';
export { generateReadings, ReadingGenerator, type ReadingGeneratorOptions } from './core/reading-generator.js';
export { DeliveryFailures, failureReason } from './kafka/delivery-failures.js';
export type { MessageSink } from './kafka/message-sink.js';
export { ProgressReporter, type ProgressReporterOptions } from './kafka/progress-reporter.js';
export { type SenderSinkOptions, senderSink } from './kafka/sender-sink.js';
// the Kafka shell
export {
  DEFAULT_BATCH_SIZE,
  DEFAULT_DRAIN_TIMEOUT_MS,
  DEFAULT_MAX_IN_FLIGHT,
  type MessageSender,
  type PaceMode,
  Simulation,
  type SimulationOptions,
} from './kafka/simulation.js';
export { emptyStats, inFlight, type SimulationStats, type SimulationSummary } from './kafka/simulation-stats.js';
export { registerSimulatorMetrics } from './kafka/simulator-metrics.js';
export {
  createSimulatorProducer,
  DEFAULT_TUNING,
  type ProducerTuning,
  SimulatorProducer,
} from './kafka/simulator-producer.js';
export { type RunningSimulator, type StartSimulatorOptions, startSimulator } from './kafka/start-simulator.js';
export { DEFAULT_SCENARIO } from './scenario/default-scenario.js';
export { defineScenario, loadScenario, parseScenario } from './scenario/load-scenario.js';
// scenarios
export {
  deviceId,
  FAULT_KINDS,
  type FaultKind,
  type FaultSpec,
  METRIC_LIMITS,
  METRICS,
  type MetricName,
  type ProfileSpec,
  type ScenarioFile,
  type SiteSpec,
  scenarioSchema,
} from './scenario/scenario-schema.js';
export { type AmbientProfile, ambient, ambientAt, DEFAULT_PROFILES, deviceLevel } from './signals/ambient.js';
export { type BurstPattern, burstPhase } from './signals/burst-phase.js';
export { type CpuBurstsOptions, cpuBursts } from './signals/cpu-bursts.js';
export { DAY_MS, type DailyCycleOptions, dailyCycle, dailyCycleAt } from './signals/daily-cycle.js';
export { type MemoryLeakOptions, memoryLeak } from './signals/memory-leak.js';
export { type NoiseOptions, noise, smoothNoiseAt, whiteNoiseAt } from './signals/noise.js';
export { type RampToOptions, rampEnvelope, rampTo } from './signals/ramp-to.js';
// signals: pure functions of event time
export { clamp, clampValue, constant, inWindow, type Signal, sum, type TimeWindow } from './signals/signal.js';
export { type StuckOptions, stuck } from './signals/stuck.js';
export { type TemperatureSpikesOptions, temperatureSpikes } from './signals/temperature-spikes.js';
