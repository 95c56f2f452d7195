/**
 * The simulator as a library: scenarios, signals and faults (pure), the deterministic reading generator and
 * encoder, and the Kafka shell that produces a run. The `simulator` CLI (cli.ts) is a thin layer over this.
 */
// randomness
export { gaussianAt, hashString, mix32, normalAt, seedFrom, Sfc32, streamKey, uint32At, uniformAt } from './core/prng.js';
// signals: pure functions of event time
export { clamp, clampValue, constant, inWindow, sum, type Signal, type TimeWindow } from './signals/signal.js';
export { dailyCycle, dailyCycleAt, DAY_MS, type DailyCycleOptions } from './signals/daily-cycle.js';
export { noise, smoothNoiseAt, whiteNoiseAt, type NoiseOptions } from './signals/noise.js';
export { ambient, ambientAt, DEFAULT_PROFILES, deviceLevel, type AmbientProfile } from './signals/ambient.js';
export { burstPhase, type BurstPattern } from './signals/burst-phase.js';
export { cpuBursts, type CpuBurstsOptions } from './signals/cpu-bursts.js';
export { temperatureSpikes, type TemperatureSpikesOptions } from './signals/temperature-spikes.js';
export { rampEnvelope, rampTo, type RampToOptions } from './signals/ramp-to.js';
export { memoryLeak, type MemoryLeakOptions } from './signals/memory-leak.js';
export { stuck, type StuckOptions } from './signals/stuck.js';
// scenarios
export {
  deviceId,
  FAULT_KINDS,
  METRIC_LIMITS,
  METRICS,
  scenarioSchema,
  type FaultKind,
  type FaultSpec,
  type MetricName,
  type ProfileSpec,
  type ScenarioFile,
  type SiteSpec,
} from './scenario/scenario-schema.js';
export { defineScenario, loadScenario, parseScenario } from './scenario/load-scenario.js';
export { DEFAULT_SCENARIO } from './scenario/default-scenario.js';
// the deterministic core
export { buildFleet, buildProfiles, DEFAULT_START_TIME_MS, sensorSignal, type ClockSkew, type Device, type Fleet, type FleetOptions, type FleetSite, type LateDelivery } from './core/fleet.js';
export { copyReading, emptyReading, toSensorReading, type GeneratedReading } from './core/generated-reading.js';
export { LateQueue } from './core/late-queue.js';
export { generateReadings, ReadingGenerator, type ReadingGeneratorOptions } from './core/reading-generator.js';
export { longLength, ReadingEncoder, writeLong } from './core/reading-encoder.js';
export { FUTURE_OFFSET_MS, POISON_KINDS, poisonKindAt, randomPoisonBytes, truncateEncoded, type PoisonKind } from './core/poison.js';
export { MessageSource, type MessageSourceOptions, type SimMessage } from './core/message-source.js';
export { DEFAULT_SEED, planRun, type RunPlan, type RunPlanOptions } from './core/plan-run.js';
// the Kafka shell
export { DEFAULT_BATCH_SIZE, DEFAULT_DRAIN_TIMEOUT_MS, DEFAULT_MAX_IN_FLIGHT, Simulation, type MessageSender, type PaceMode, type SimulationOptions } from './kafka/simulation.js';
export { emptyStats, inFlight, type SimulationStats, type SimulationSummary } from './kafka/simulation-stats.js';
export { createSimulatorProducer, DEFAULT_TUNING, type Producer, type ProducerTuning } from './kafka/simulator-producer.js';
export { startSimulator, type RunningSimulator, type StartSimulatorOptions } from './kafka/start-simulator.js';
export { ProgressReporter, type ProgressReporterOptions } from './kafka/progress-reporter.js';
export { registerSimulatorMetrics } from './kafka/simulator-metrics.js';
export { parseCliArgs, USAGE, UsageError, type CliCommand, type CliOptions } from './cli-options.js';
