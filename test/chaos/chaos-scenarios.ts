/**
 * The fault scenarios, each run in both delivery modes: processor crashes (SIGKILL) and graceful restarts
 * (SIGTERM) at seeded points, a zombie instance frozen past its session, a clean and a `kill -9` broker
 * restart, scaling out and in mid-stream, and a mix of faults while nothing was preloaded. Fault points are
 * shares of the workload the group has committed, so they land mid-stream whatever the machine's speed.
 */
import type { DeliveryMode } from './chaos-options.js';
import type { ScenarioContext } from './scenario-context.js';

export interface ChaosScenario {
  /** `<fault>-<alo|eos>`, what `--scenario` picks. */
  readonly name: string;
  readonly delivery: DeliveryMode;
  readonly description: string;
  /** Overrides the suite's share of readings written before the processors start. */
  readonly preloadShare?: number;
  readonly run: (ctx: ScenarioContext) => Promise<void>;
}

interface ScenarioShape {
  readonly fault: string;
  readonly description: (n: number) => string;
  readonly preloadShare?: number;
  readonly run: (ctx: ScenarioContext, n: number) => Promise<void>;
}

const SHAPES: readonly ScenarioShape[] = [
  {
    fault: 'sigkill',
    description: (n) => `SIGKILL the processor ${n}× at seeded points, restart it with the same instance id`,
    run: async (ctx, n) => {
      const a = await ctx.start('a');
      for (const share of ctx.points(n)) {
        await ctx.waitProgress(share);
        await ctx.signalAndRestart(a, 'SIGKILL');
      }
    },
  },
  {
    fault: 'sigterm',
    description: (n) => `SIGTERM the processor ${n}× at seeded points, restart it with the same instance id`,
    run: async (ctx, n) => {
      const a = await ctx.start('a');
      for (const share of ctx.points(n)) {
        await ctx.waitProgress(share);
        await ctx.signalAndRestart(a, 'SIGTERM');
      }
    },
  },
  {
    fault: 'zombie',
    description: () =>
      'two instances; SIGSTOP one until the broker drops it from the group and the other has taken over and ' +
      'committed more, then SIGCONT it (a zombie that wakes up holding stale partitions)',
    run: async (ctx) => {
      const a = await ctx.start('a');
      await ctx.start('b');
      await ctx.waitMembers(2);
      const [stopAt, resumeAfter] = ctx.points(2, 0.25, 0.6);
      await ctx.waitProgress(stopAt!);
      await ctx.freeze(a);
      await ctx.waitMembers(1);
      ctx.note('the stopped instance has left the group');
      await ctx.waitProgress(Math.max(resumeAfter!, stopAt! + 0.1));
      await ctx.thaw(a);
    },
  },
  {
    fault: 'broker-restart',
    description: (n) => `clean broker restarts (SIGTERM, same data directory) ${n}× mid-stream`,
    run: async (ctx, n) => {
      await ctx.start('a');
      for (const share of ctx.points(n, 0.25, 0.8)) {
        await ctx.waitProgress(share);
        await ctx.restartBroker('clean');
      }
    },
  },
  {
    fault: 'broker-kill9',
    description: (n) =>
      `the broker killed with SIGKILL ${n}× mid-stream, each time started again on its data directory`,
    run: async (ctx, n) => {
      await ctx.start('a');
      for (const share of ctx.points(n, 0.25, 0.8)) {
        await ctx.waitProgress(share);
        await ctx.restartBroker('kill -9');
      }
    },
  },
  {
    fault: 'rebalance',
    description: (n) =>
      `${n} rounds of scaling out and in mid-stream: an instance added, then the oldest removed with SIGTERM`,
    run: async (ctx, n) => {
      const live = [await ctx.start('a')];
      const shares = ctx.points(2 * n, 0.2, 0.85);
      for (let round = 0; round < n; round++) {
        await ctx.waitProgress(shares[2 * round]!);
        live.push(await ctx.scaleOut(String.fromCharCode(98 + round))); // b, c, d, …
        await ctx.waitMembers(2);
        await ctx.waitProgress(shares[2 * round + 1]!);
        await ctx.remove(live.shift()!);
        await ctx.waitMembers(1);
      }
    },
  },
  {
    fault: 'produce-during-faults',
    description: () =>
      'nothing preloaded: readings produced throughout while the processor is SIGKILLed, the broker ' +
      'killed with SIGKILL, and the processor SIGTERMed',
    preloadShare: 0,
    run: async (ctx) => {
      const a = await ctx.start('a');
      const [kill, broker, term] = ctx.points(3, 0.1, 0.8);
      await ctx.waitProgress(kill!);
      await ctx.signalAndRestart(a, 'SIGKILL');
      await ctx.waitProgress(broker!);
      await ctx.restartBroker('kill -9');
      await ctx.waitProgress(term!);
      await ctx.signalAndRestart(a, 'SIGTERM');
    },
  },
];

const MODES: readonly { suffix: string; delivery: DeliveryMode }[] = [
  { suffix: 'alo', delivery: 'at-least-once' },
  { suffix: 'eos', delivery: 'exactly-once' },
];

/** Every scenario; `repeats` is how many times the processor and broker scenarios inject their fault. */
export function chaosScenarios(repeats = 3): ChaosScenario[] {
  return SHAPES.flatMap((shape) =>
    MODES.map(({ suffix, delivery }) => ({
      name: `${shape.fault}-${suffix}`,
      delivery,
      description: shape.description(repeats),
      ...(shape.preloadShare !== undefined ? { preloadShare: shape.preloadShare } : {}),
      run: (ctx: ScenarioContext) => shape.run(ctx, repeats),
    })),
  );
}
