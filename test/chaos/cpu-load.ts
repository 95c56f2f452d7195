/**
 * Busy processes that keep the machine's cores occupied while the scenarios run: the faults found so far
 * showed up on a loaded machine and not on a quiet one, because they depend on how the processor's steps
 * interleave with the client's timers. Off by default (`--cpu-load N`).
 */
import { type ChildProcess, spawn } from 'node:child_process';

const LIVE = new Set<ChildProcess>();

export function startCpuLoad(processes: number): () => void {
  const children = Array.from({ length: processes }, () => {
    const child = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
    LIVE.add(child);
    child.once('exit', () => LIVE.delete(child));
    return child;
  });
  return () => {
    for (const child of children) child.kill('SIGKILL');
  };
}

/** SIGKILLs every busy process (on Ctrl-C). */
export function stopAllCpuLoad(): void {
  for (const child of LIVE) child.kill('SIGKILL');
}
