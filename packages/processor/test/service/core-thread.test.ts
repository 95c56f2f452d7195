/**
 * The processor's pure core runs off the thread that loaded the Kafka client. The client is a native addon
 * that one thread per process may load; a worker thread holding partition state must therefore import the
 * shared package's `core` entry, never its root. This test loads the client here, then imports and runs the
 * core (rules, windows, decoding, a consumed batch) in a worker thread; a control shows that importing the
 * shared root there fails, so the first assertion can fail.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import type { runInWorker } from './fixtures/core-thread-batch.js';

const entry = fileURLToPath(new URL('./fixtures/core-thread.mjs', import.meta.url));
const rulesFile = fileURLToPath(new URL('../../../../config/rules.yaml', import.meta.url));

interface Answer {
  readonly ok: boolean;
  readonly result?: ReturnType<typeof runInWorker>;
  readonly error?: string;
}

function inWorker(module: string, input?: unknown): Promise<Answer> {
  return new Promise((resolve) => {
    const worker = new Worker(entry, { workerData: { module, input }, execArgv: ['--conditions=source'] });
    worker.once('message', (m: Answer) => {
      resolve(m);
      void worker.terminate();
    });
    // a load error may also end the worker instead of reaching the entry's catch
    worker.once('error', (err) => resolve({ ok: false, error: err.message }));
  });
}

describe('the processor core off the Kafka client thread', () => {
  // the client loaded by this thread, as in the service
  createRequire(import.meta.url)('@confluentinc/kafka-javascript');

  it('imports and runs a consumed batch through rules and windows in a worker thread', async () => {
    const startMs = Date.UTC(2026, 0, 1);
    const answer = await inWorker(new URL('./fixtures/core-thread-batch.ts', import.meta.url).href, {
      rulesFile,
      readings: 120,
      startMs,
    });
    expect(answer.error).toBeUndefined();
    expect(answer.ok).toBe(true);
    expect(answer.result?.processed).toBe(120);
    expect(answer.result?.deadLettered).toBe(0);
    expect(answer.result?.windowsHeld).toBeGreaterThan(0);
    // 70 → 105 °C over two minutes: the shipped temperature-high rule fires
    expect(answer.result?.alerts).toContain('temperature-high:FIRING');
  });

  it('control: the shared package root cannot be loaded there (it loads the client)', async () => {
    const answer = await inWorker('@sensor-pipeline/shared');
    expect(answer.ok).toBe(false);
    expect(answer.error).toMatch(/did not self-register/);
  });
});
