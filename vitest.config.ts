import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * Two tiers per package (house style):
 * - `<pkg>:unit`        — `test/**\/*.test.ts`, the pure core, no I/O, fast;
 * - `<pkg>:integration` — `test/**\/*.int.test.ts`, against one real Kafka broker started once for the whole
 *   run by `test/kafka-global-setup.ts` (KAFKA_BOOTSTRAP_SERVERS, else testcontainers, else the local broker).
 *
 * `resolve.conditions: ['source']` makes workspace packages resolve to their TypeScript sources, so tests
 * never run against a stale build.
 */
const packages = ['shared', 'simulator', 'processor', 'alerting', 'infra'];
const dirOf = (name: string) => (name === 'infra' ? 'infra' : `packages/${name}`);
const kafkaGlobalSetup = fileURLToPath(new URL('./test/kafka-global-setup.ts', import.meta.url));

export default defineConfig({
  resolve: { conditions: ['source'] },
  test: {
    reporters: ['default', 'json'],
    outputFile: { json: '.vitest/results.json' },
    projects: packages.flatMap((name) => [
      {
        resolve: { conditions: ['source'] },
        test: {
          name: `${name}:unit`,
          root: dirOf(name),
          include: ['test/**/*.test.ts'],
          exclude: ['test/**/*.int.test.ts'],
          testTimeout: 20_000,
        },
      },
      {
        resolve: { conditions: ['source'] },
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
    ]),
  },
});
