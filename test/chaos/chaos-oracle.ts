/**
 * The oracle: a clean run of the workload — every reading written first, one processor, no faults — run to
 * completion (the group's committed offsets at the end of the readings), and its alerts read
 * read_committed. A faulted run must publish exactly these alert ids.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { DeliveryMode } from './chaos-options.js';
import type { AlertEvent } from './compare-alerts.js';
import { ReadingsProducer } from './readings-producer.js';
import { type ScenarioEnvironment, scenarioTopics, settle, toEvent } from './run-scenario.js';
import { ScenarioContext } from './scenario-context.js';
import { seededRandom } from './seeded-random.js';

export interface Oracle {
  readonly delivery: DeliveryMode;
  readonly alerts: readonly AlertEvent[];
  /** Alerts per rule and status, e.g. `chaos-temp-high FIRING` → 41. */
  readonly byRule: Readonly<Record<string, number>>;
}

export async function runOracle(delivery: DeliveryMode, env: ScenarioEnvironment): Promise<Oracle> {
  const { options, probe } = env;
  const name = `oracle-${delivery === 'exactly-once' ? 'eos' : 'alo'}`;
  const logDir = join(options.runDir, name);
  mkdirSync(logDir, { recursive: true });
  const topics = scenarioTopics(`chaos-${name}`);
  const groupId = `${topics.readings.replace(/-readings$/, '')}-group`;
  await probe.createTopics(topics, options.partitions);
  const ctx = new ScenarioContext(
    name,
    delivery,
    seededRandom(options.seed),
    env.broker,
    probe,
    topics,
    groupId,
    env.readings.length,
    { ...options, rulesFile: env.rulesFile, logDir },
  );
  const producer = new ReadingsProducer(probe.settings('chaos-oracle-producer'), topics.readings);
  try {
    await producer.connect();
    await producer.send(env.readings);
    await producer.disconnect();
    ctx.note(`${env.readings.length} readings written; one ${delivery} processor, no faults`);
    await ctx.start('oracle');
    const gap = await settle(probe, groupId, topics.readings, options.settleTimeoutMs);
    if (gap.gap !== 0)
      throw new Error(`the oracle run did not finish: committed offsets ${gap.gap} behind after the settle deadline`);
    const alerts = (await probe.readAlerts(topics.alerts, 120_000)).map(toEvent);
    if (new Set(alerts.map((a) => a.eventId)).size !== alerts.length)
      throw new Error('the oracle run published an alert id twice; a clean run must not');
    const byRule: Record<string, number> = {};
    for (const a of alerts) byRule[`${a.rule} ${a.status}`] = (byRule[`${a.rule} ${a.status}`] ?? 0) + 1;
    ctx.note(
      `${alerts.length} alerts: ${Object.entries(byRule)
        .sort()
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    );
    return { delivery, alerts, byRule };
  } finally {
    await producer.disconnect();
    await ctx.close();
    await probe.deleteTopics(topics);
  }
}
