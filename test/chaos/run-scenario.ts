/**
 * Runs one scenario end to end on fresh topics and a fresh group: preload part of the workload, start the
 * scenario's faults while a producer writes the rest, let the run settle (the group's committed offsets reach
 * the end of the readings), read every alert read_committed, and judge it against the oracle.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { SensorReading, TopicNames } from '@sensor-pipeline/shared';
import type { ChaosBroker } from './chaos-broker.js';
import type { ChaosOptions, DeliveryMode } from './chaos-options.js';
import type { ChaosScenario } from './chaos-scenarios.js';
import { type AlertComparison, type AlertEvent, compareAlerts, verdict } from './compare-alerts.js';
import type { KafkaProbe, OffsetGap } from './kafka-probe.js';
import { ReadingsProducer } from './readings-producer.js';
import { ScenarioContext } from './scenario-context.js';
import { seededRandom } from './seeded-random.js';

export interface ScenarioEnvironment {
  readonly options: ChaosOptions;
  readonly broker: ChaosBroker;
  readonly probe: KafkaProbe;
  readonly readings: readonly SensorReading[];
  readonly rulesFile: string;
}

export interface ScenarioResult {
  readonly name: string;
  readonly delivery: DeliveryMode;
  readonly faults: readonly string[];
  readonly comparison: AlertComparison;
  /** -1 when it could not be measured. */
  readonly offsetGap: number;
  readonly gapPartitions: OffsetGap['partitions'];
  /** Processor exits nobody asked for (the suite restarted them). */
  readonly unplannedExits: number;
  /** Of those, instances killed because `/healthz` went unanswered for 30 s (a blocked event loop). */
  readonly hangs: number;
  /** The largest RSS of any processor instance, sampled from /metrics every two seconds. */
  readonly peakRssBytes: number;
  /** A wait that gave up, or the producer failing; fails the scenario. */
  readonly error: string | undefined;
  readonly failures: readonly string[];
  readonly passed: boolean;
  readonly durationMs: number;
  readonly logDir: string;
}

export function scenarioTopics(prefix: string): TopicNames {
  const unique = `${prefix}-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6).toString(36)}`;
  return {
    readings: `${unique}-readings`,
    alerts: `${unique}-alerts`,
    stats: `${unique}-stats`,
    readingsDlq: `${unique}-readings-dlq`,
    alertState: `${unique}-alert-state`,
    deliveriesDlq: `${unique}-deliveries-dlq`,
    deliveriesRetry: `${unique}-deliveries-retry`,
  };
}

/** A scenario's fault points depend on the seed and its name only, so `--scenario` repeats a full run's. */
export function scenarioSeed(seed: number, name: string): number {
  let h = seed >>> 0;
  for (const c of name) h = (Math.imul(h ^ c.charCodeAt(0), 16_777_619) >>> 0) + 1;
  return h >>> 0;
}

export async function runScenario(
  scenario: ChaosScenario,
  oracle: readonly AlertEvent[],
  env: ScenarioEnvironment,
): Promise<ScenarioResult> {
  const { options, probe, broker } = env;
  const started = Date.now();
  const logDir = join(options.runDir, scenario.name);
  mkdirSync(logDir, { recursive: true });
  const topics = scenarioTopics(`chaos-${scenario.name}`);
  const groupId = `${topics.readings.replace(/-readings$/, '')}-group`;
  await probe.createTopics(topics, options.partitions);

  const ctx = new ScenarioContext(
    scenario.name,
    scenario.delivery,
    seededRandom(scenarioSeed(options.seed, scenario.name)),
    broker,
    probe,
    topics,
    groupId,
    env.readings.length,
    { ...options, rulesFile: env.rulesFile, logDir },
  );
  const preload = Math.floor(env.readings.length * (scenario.preloadShare ?? options.preloadShare));
  const producer = new ReadingsProducer(probe.settings('chaos-readings-producer'), topics.readings, (line) =>
    ctx.note(line),
  );
  let error: string | undefined;
  let gap: OffsetGap = { gap: -1, partitions: [] };
  let received: AlertEvent[] = [];
  try {
    await producer.connect();
    await producer.send(env.readings.slice(0, preload));
    ctx.note(`${preload} readings preloaded; ${env.readings.length - preload} more at ${options.produceRatePerS}/s`);
    const producing = producer.sendAtRate(env.readings.slice(preload), options.produceRatePerS).then(
      () => ctx.note(`producer done: ${producer.produced} readings acknowledged`),
      (err: unknown) => {
        throw new Error(`the readings producer failed after ${producer.produced}: ${(err as Error).message}`);
      },
    );
    const faults = scenario.run(ctx);
    // both must finish; the first failure is the scenario's error
    const outcomes = await Promise.allSettled([faults, producing]);
    const failed = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failed.length > 0) error = failed.map((f) => (f.reason as Error).message).join('; ');

    ctx.note('settling: waiting for the committed offsets to reach the end of the readings');
    gap = await settle(probe, groupId, topics.readings, options.settleTimeoutMs);
    ctx.note(
      gap.gap === 0
        ? 'settled: committed offsets = end offsets'
        : `not settled after ${options.settleTimeoutMs} ms: committed offsets ${gap.gap} behind`,
    );
  } catch (err) {
    error ??= (err as Error).message;
  } finally {
    await producer.disconnect();
    await ctx.close();
  }
  try {
    received = (await probe.readAlerts(topics.alerts, 120_000)).map(toEvent);
  } catch (err) {
    error ??= `reading the alerts failed: ${(err as Error).message}`;
  }
  await probe.deleteTopics(topics);

  const comparison = compareAlerts(oracle, received);
  const failures = verdict(comparison, gap.gap, scenario.delivery);
  if (error) failures.push(error.split('\n')[0]!);
  return {
    name: scenario.name,
    delivery: scenario.delivery,
    faults: ctx.faults,
    comparison,
    offsetGap: gap.gap,
    gapPartitions: gap.partitions,
    unplannedExits: ctx.unplannedExits,
    peakRssBytes: ctx.peakRssBytes,
    hangs: ctx.hangs,
    error,
    failures,
    passed: failures.length === 0,
    durationMs: Date.now() - started,
    logDir,
  };
}

/** Polls until the group's committed offsets equal the readings' end offsets, or returns the last gap seen. */
export async function settle(probe: KafkaProbe, groupId: string, topic: string, timeoutMs: number): Promise<OffsetGap> {
  const deadline = Date.now() + timeoutMs;
  let last: OffsetGap = { gap: -1, partitions: [] };
  for (;;) {
    last = await probe.offsetGap(groupId, topic).catch(() => last);
    if (last.gap === 0 || Date.now() > deadline) return last;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

export function toEvent(a: {
  eventId: string;
  rule: string;
  deviceId: string;
  status: string;
  startsAt: number;
}): AlertEvent {
  return { eventId: a.eventId, rule: a.rule, deviceId: a.deviceId, status: a.status, startsAt: a.startsAt };
}
