/**
 * The pacing loop's own logic — batching, the in-flight bound, counting, stop and drain — with an
 * in-memory sender standing in for the producer's `send` (the Kafka path itself is covered by the
 * integration tests against the real broker).
 */
import { createLogger } from '@sensor-pipeline/shared';
import { describe, expect, it } from 'vitest';
import type { SimMessage } from '../src/core/message-source.js';
import { planRun } from '../src/core/plan-run.js';
import { type MessageSender, type PaceMode, Simulation } from '../src/kafka/simulation.js';
import { defineScenario } from '../src/scenario/load-scenario.js';

const logger = createLogger({ service: 'test', level: 'silent' });
const scenario = defineScenario({ interval: '1s', fleet: { sites: [{ name: 's', devices: 10 }] } });

/** A sender that acknowledges (or fails) each send after `delayMs`, recording what it got. */
function sender(options: { delayMs?: number; fail?: (call: number) => boolean; never?: boolean } = {}) {
  const batches: SimMessage[][] = [];
  let maxInFlight = 0;
  let inFlight = 0;
  const s: MessageSender = {
    send({ messages }) {
      const call = batches.length;
      batches.push(messages);
      inFlight += messages.length;
      maxInFlight = Math.max(maxInFlight, inFlight);
      if (options.never) return new Promise(() => undefined);
      return new Promise((resolve, reject) =>
        setTimeout(() => {
          inFlight -= messages.length;
          if (options.fail?.(call)) reject(Object.assign(new Error('Broker: Message size too large'), { code: 10 }));
          else resolve([]);
        }, options.delayMs ?? 1),
      );
    },
  };
  return { sender: s, batches, maxInFlight: () => maxInFlight };
}

function simulation(
  pace: PaceMode,
  s: MessageSender,
  count: number,
  extra: { batchSize?: number; maxInFlight?: number; drainTimeoutMs?: number } = {},
) {
  const { source } = planRun(scenario, { seed: 1, count });
  return new Simulation({ sender: s, topic: 't', source, pace, logger, ...extra });
}

describe('Simulation', () => {
  it('sends everything in batches, within the in-flight bound, and counts acknowledgements', async () => {
    const fake = sender({ delayMs: 5 });
    const summary = await simulation({ kind: 'fast' }, fake.sender, 10_000, {
      batchSize: 700,
      maxInFlight: 2_100,
    }).run();
    expect(summary).toMatchObject({
      produced: 10_000,
      acked: 10_000,
      failed: 0,
      unconfirmed: 0,
      ok: true,
      reason: 'complete',
    });
    expect(fake.batches.map((b) => b.length).reduce((a, b) => a + b, 0)).toBe(10_000);
    expect(Math.max(...fake.batches.map((b) => b.length))).toBe(700);
    expect(fake.maxInFlight()).toBeLessThanOrEqual(2_100);
    expect(summary.firstEventTimeMs).toBeLessThan(summary.lastEventTimeMs!);
  });

  it('keeps to a target rate', async () => {
    const fake = sender();
    const started = Date.now();
    const summary = await simulation({ kind: 'rate', perSecond: 2_000 }, fake.sender, 1_000).run();
    const seconds = (Date.now() - started) / 1_000;
    expect(summary.acked).toBe(1_000);
    expect(seconds).toBeGreaterThan(0.4);
    expect(seconds).toBeLessThan(1.5);
  });

  it('counts failed sends with their reason and is not ok', async () => {
    const fake = sender({ fail: (call) => call % 2 === 1 });
    const summary = await simulation({ kind: 'fast' }, fake.sender, 4_000, {
      batchSize: 1_000,
      maxInFlight: 4_000,
    }).run();
    expect(summary).toMatchObject({ produced: 4_000, acked: 2_000, failed: 2_000, ok: false });
    expect(summary.failures).toEqual({ '10: Broker: Message size too large': 2_000 });
  });

  it('stop() ends a real-time run and waits for what is in flight', async () => {
    const fake = sender({ delayMs: 50 });
    const sim = simulation({ kind: 'realtime' }, fake.sender, 1_000_000);
    const done = sim.run();
    await new Promise((r) => setTimeout(r, 1_300));
    sim.stop();
    const summary = await done;
    expect(summary.reason).toBe('stopped');
    expect(summary.produced).toBeGreaterThan(0);
    expect(summary.produced).toBeLessThan(100); // ~1.3 s of 10 devices x 3 metrics per second
    expect(summary).toMatchObject({ acked: summary.produced, unconfirmed: 0, ok: true });
  });

  it('gives up after the drain deadline and reports the unconfirmed messages', async () => {
    const fake = sender({ never: true });
    const sim = simulation({ kind: 'fast' }, fake.sender, 500, {
      batchSize: 100,
      maxInFlight: 1_000,
      drainTimeoutMs: 200,
    });
    const summary = await sim.run();
    expect(summary).toMatchObject({ produced: 500, acked: 0, failed: 0, unconfirmed: 500, ok: false });
  });
});
