/**
 * The workers' start barrier with real child processes (a stand-in worker script speaking the barrier's IPC
 * messages): workers that connect at different times join the group together; a worker gone before joining
 * does not hold the others back; a worker started again later joins at once; and without a supervisor the
 * worker side does not wait. Deadlines are generous failure messages, not timings under test.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger } from '@sensor-pipeline/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { joinWhenSiblingsAre, WorkerSupervisor } from '../../src/service/worker-supervisor.js';

const SCRIPT = fileURLToPath(new URL('./fixtures/barrier-worker.mjs', import.meta.url));
const log = createLogger({ service: 'test', level: 'silent' });

interface Join {
  index: number;
  joiningAt: number;
  joinedAt: number;
}

let dir: string;
let supervisor: WorkerSupervisor | undefined;
afterEach(async () => {
  await supervisor?.stop();
  supervisor = undefined;
  rmSync(dir, { recursive: true, force: true });
});

function start(env: Record<string, string>, options: { startBarrierMs?: number } = {}): void {
  dir = mkdtempSync(join(tmpdir(), 'barrier-'));
  Object.assign(process.env, { REPORT_DIR: dir, DELAY_MS: '0', EXIT_BEFORE_JOIN: '' }, env);
  supervisor = new WorkerSupervisor({
    workers: 3,
    script: SCRIPT,
    args: [],
    instanceId: '0',
    logger: log,
    restartDelayMs: 200,
    ...options,
  });
  supervisor.start();
}

async function joins(count: number): Promise<Join[]> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const file = join(dir, 'joins');
    const lines = existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean) : [];
    if (lines.length >= count) return lines.map((l) => JSON.parse(l) as Join);
    if (Date.now() > deadline) throw new Error(`only ${lines.length} of ${count} workers joined in 30 s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('WorkerSupervisor start barrier', () => {
  it('lets workers that connect at different times join together, once the last one is connected', async () => {
    start({ DELAY_MS: '1500' }); // worker i connects after i × 1.5 s
    const all = await joins(3);
    const lastConnected = Math.max(...all.map((j) => j.joiningAt));
    expect(all.map((j) => j.index).sort()).toEqual([0, 1, 2]);
    // nobody was let in before the last worker was connected, and the first was held: it connected before that
    for (const j of all) expect(j.joinedAt).toBeGreaterThanOrEqual(lastConnected);
    expect(all.find((j) => j.index === 0)!.joiningAt).toBeLessThan(lastConnected);
  });

  it('opens for the others when a worker exits before joining; that worker joins at once when started again', async () => {
    start({ EXIT_BEFORE_JOIN: '2' });
    const all = await joins(3);
    expect(all.map((j) => j.index).sort()).toEqual([0, 1, 2]);
    // worker 2 ran twice (it exited the first time), and its second run was let in on its own once the barrier
    // had opened: otherwise joins() would not have seen all three
    expect(existsSync(join(dir, 'exited-2'))).toBe(true);
  });

  it('opens after startBarrierMs when a worker never connects', async () => {
    start({ DELAY_MS: '20000' }, { startBarrierMs: 500 }); // workers 1 and 2 connect after 20 s and 40 s
    const [first] = await joins(1);
    // let in by the timeout: before worker 1 even connected (joins() would time out waiting for worker 2)
    expect(first!.index).toBe(0);
  });

  it('does not wait without a supervisor', async () => {
    dir = mkdtempSync(join(tmpdir(), 'barrier-'));
    const send = process.send; // the test runner's own channel: this process is nobody's worker
    process.send = undefined;
    try {
      await joinWhenSiblingsAre(60_000); // resolves at once: a 60 s wait would time the test out
    } finally {
      process.send = send;
    }
  });
});
