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
  extra: { batchSize?: number; maxInFlight?: number; drainTimeoutMs?: number; clock?: () => number } = {},
) {
  const { source } = planRun(scenario, { seed: 1, count });
  return new Simulation({ sender: s, topic: 't', source, pace, logger, ...extra });
}

/** How many of the run's messages are due to be emitted by event time `startTimeMs + elapsedMs`. */
function dueBy(count: number, elapsedMs: number): number {
  const { source } = planRun(scenario, { seed: 1, count });
  const untilMs = source.fleet.startTimeMs + elapsedMs;
  let due = 0;
  while (source.peekEmitAtMs() <= untilMs && source.next()) due++;
  return due;
}

/**
 * Waits until `sent()` reaches `expected`, failing at once if it ever goes beyond: the pacing may catch up
 * with the clock, never run ahead of it. (The deadline only turns a hang into a message.)
 */
async function sentExactly(sent: () => number, expected: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const n = sent();
    if (n > expected) throw new Error(`sent ${n} messages, more than the ${expected} the clock allows`);
    if (n === expected) return;
    if (Date.now() > deadline) throw new Error(`sent ${n} messages; ${expected} expected`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

const total = (batches: readonly SimMessage[][]): number => batches.reduce((sum, b) => sum + b.length, 0);

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

  it('keeps to a target rate: by t ms, exactly the first t × rate / 1000 + 1 messages (on an injected clock)', async () => {
    const fake = sender();
    let nowMs = 1_000_000;
    const sim = simulation({ kind: 'rate', perSecond: 2_000 }, fake.sender, 1_000, { clock: () => nowMs });
    const done = sim.run();
    for (let elapsedMs = 0; elapsedMs <= 500; elapsedMs += 50) {
      nowMs = 1_000_000 + elapsedMs;
      await sentExactly(() => total(fake.batches), Math.min(1_000, elapsedMs * 2 + 1));
    }
    const summary = await done;
    expect(summary).toMatchObject({ produced: 1_000, acked: 1_000, reason: 'complete', elapsedMs: 500 });
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

  it('paces a real-time run by its clock; stop() ends it and waits for what is in flight', async () => {
    const fake = sender({ delayMs: 50 });
    let nowMs = 1_000_000;
    const sim = simulation({ kind: 'realtime' }, fake.sender, 1_000_000, { clock: () => nowMs });
    const done = sim.run();
    // what is due at the start, then one second of event time per second of the clock
    await sentExactly(() => total(fake.batches), dueBy(1_000_000, 0));
    nowMs += 1_000;
    const afterOneSecond = dueBy(1_000_000, 1_000);
    expect(afterOneSecond).toBeGreaterThan(dueBy(1_000_000, 0));
    await sentExactly(() => total(fake.batches), afterOneSecond);
    sim.stop();
    const summary = await done;
    expect(summary).toMatchObject({
      reason: 'stopped',
      produced: afterOneSecond,
      acked: afterOneSecond,
      unconfirmed: 0,
      ok: true,
    });
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
