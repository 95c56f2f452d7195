/**
 * Runs a planned simulation against Kafka: connects the tuned producer, optionally creates the topic,
 * runs the pacing loop, and disconnects once everything in flight is settled. The CLI and the integration
 * tests and benchmark all start runs through here.
 */
import { createAdmin, ensureTopics, type KafkaSettings, type Logger } from '@sensor-pipeline/shared';
import type { RunPlan } from '../core/plan-run.js';
import { DEFAULT_MAX_IN_FLIGHT, type PaceMode, Simulation } from './simulation.js';
import type { SimulationSummary } from './simulation-stats.js';
import { createSimulatorProducer, type ProducerTuning } from './simulator-producer.js';

export interface StartSimulatorOptions {
  readonly plan: RunPlan;
  readonly pace: PaceMode;
  readonly topic: string;
  readonly kafka: KafkaSettings;
  readonly logger: Logger;
  readonly tuning?: ProducerTuning;
  /** Create the topic first if it does not exist, with this many partitions. */
  readonly createTopic?: { readonly partitions: number };
  readonly batchSize?: number;
  /** Messages produced but not yet acknowledged: the producer's queue bound (default 50,000). */
  readonly maxInFlight?: number;
  readonly drainTimeoutMs?: number;
}

export interface RunningSimulator {
  readonly simulation: Simulation;
  /** Resolves with the summary once the run is over and the producer disconnected. */
  readonly done: Promise<SimulationSummary>;
  /** Stops generating, waits for what is in flight, and resolves with the summary. */
  stop(): Promise<SimulationSummary>;
}

export async function startSimulator(options: StartSimulatorOptions): Promise<RunningSimulator> {
  const log = options.logger.child({ component: 'simulator' });
  if (options.createTopic) {
    const admin = createAdmin(options.kafka, options.logger);
    await admin.connect();
    try {
      const created = await ensureTopics(admin, [
        { topic: options.topic, numPartitions: options.createTopic.partitions },
      ]);
      if (created.length > 0)
        log.info({ topic: options.topic, partitions: options.createTopic.partitions }, 'topic created');
    } finally {
      await admin.disconnect();
    }
  }
  const producer = createSimulatorProducer(
    options.kafka,
    options.logger,
    options.tuning,
    options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT,
  );
  await producer.connect();
  const simulation = new Simulation({
    sink: producer,
    topic: options.topic,
    source: options.plan.source,
    pace: options.pace,
    logger: options.logger,
    batchSize: options.batchSize,
    drainTimeoutMs: options.drainTimeoutMs,
  });
  const done = simulation.run().then(async (summary) => {
    try {
      await producer.disconnect();
    } catch (err) {
      log.warn({ err }, 'producer disconnect failed');
    }
    return summary;
  });
  return {
    simulation,
    done,
    stop: () => {
      simulation.stop();
      return done;
    },
  };
}
