import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * Three tiers per package, each meaning what it says (see CONTRIBUTING.md):
 * - `<pkg>:unit`        — `test/**\/*.test.ts`: the pure core, in process — no child processes, no sockets, no
 *   servers (test/unit-tier-guard.ts makes them throw); fast, run files in parallel;
 * - `<pkg>:integration` — `test/**\/*.int.test.ts`: the real Kafka broker, child processes, HTTP servers; one
 *   broker for the whole run, started by `test/kafka-global-setup.ts` (KAFKA_BOOTSTRAP_SERVERS, else
 *   testcontainers, else the local broker);
 * - `<pkg>:e2e`         — `test/**\/*.e2e.test.ts`: the slow end-to-end runs of the whole pipeline through the
 *   launcher, against the same broker.
 *
 * `resolve.conditions` and `ssr.resolve.conditions` (tests run in Vite's SSR environment, which reads the
 * latter) set to `['source']` make workspace packages resolve to their TypeScript sources, so tests never
 * run against a stale build (tests that start the CLIs run `dist/`: `pnpm build` first).
 */
const packages = ['shared', 'simulator', 'processor', 'alerting', 'console', 'infra'];
const dirOf = (name: string) => (name === 'infra' ? 'infra' : `packages/${name}`);
const kafkaGlobalSetup = fileURLToPath(new URL('./test/kafka-global-setup.ts', import.meta.url));
const unitTierGuard = fileURLToPath(new URL('./test/unit-tier-guard.ts', import.meta.url));

const config = defineConfig({
  resolve: { conditions: ['source'] },
  test: {
    reporters: ['default', 'json'],
    outputFile: { json: '.vitest/results.json' },
    projects: packages.flatMap((name) => [
      {
        resolve: { conditions: ['source'] },
        ssr: { resolve: { conditions: ['source'] } },
        test: {
          name: `${name}:unit`,
          root: dirOf(name),
          include: ['test/**/*.test.ts'],
          exclude: ['test/**/*.int.test.ts', 'test/**/*.e2e.test.ts'],
          setupFiles: [unitTierGuard],
          testTimeout: 20_000,
        },
      },
      {
        resolve: { conditions: ['source'] },
        ssr: { resolve: { conditions: ['source'] } },
        test: {
          name: `${name}:integration`,
          root: dirOf(name),
          include: ['test/**/*.int.test.ts'],
          globalSetup: [kafkaGlobalSetup],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          // integration files share one broker; run them one file at a time to keep a 2-core machine steady
          fileParallelism: false,
        },
      },
      {
        resolve: { conditions: ['source'] },
        ssr: { resolve: { conditions: ['source'] } },
        test: {
          name: `${name}:e2e`,
          root: dirOf(name),
          include: ['test/**/*.e2e.test.ts'],
          globalSetup: [kafkaGlobalSetup],
          testTimeout: 300_000,
          hookTimeout: 180_000,
          // a whole pipeline per file: one at a time
          fileParallelism: false,
        },
      },
    ]),
  },
});

/** The fault-injection suite's CI subset (test/chaos): it starts and restarts a broker of its own. */
config.test?.projects?.push({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    name: 'chaos:e2e',
    root: 'test/chaos',
    include: ['**/*.e2e.test.ts'],
    testTimeout: 1_800_000,
    hookTimeout: 300_000,
    fileParallelism: false,
  },
});

export default config;
