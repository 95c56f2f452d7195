/**
 * `<runDir>/launcher.json`: which launcher runs the pipeline from this directory and the pids of its
 * services. It keeps two launchers from running the same pipeline at once, and lets a new launcher end the
 * services a killed one left behind (only processes that still run that service's command, checked through
 * /proc, so a reused pid is never touched).
 */
import { existsSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface RunRecord {
  readonly launcherPid: number;
  readonly startedAt: string;
  readonly repoDir: string;
  readonly services: Readonly<Record<string, { readonly pid: number; readonly script: string }>>;
}

export function runRecordPath(runDir: string): string {
  return join(runDir, 'launcher.json');
}

export function readRunRecord(runDir: string): RunRecord | undefined {
  const file = runRecordPath(runDir);
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as RunRecord;
  } catch {
    return undefined;
  }
}

export function writeRunRecord(runDir: string, record: RunRecord): void {
  writeFileSync(runRecordPath(runDir), `${JSON.stringify(record, null, 2)}\n`);
}

export function removeRunRecord(runDir: string): void {
  rmSync(runRecordPath(runDir), { force: true });
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The process's command line, or undefined where /proc is not available or it is gone. */
export function commandLine(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return undefined;
  }
}

function cwdOf(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    return undefined;
  }
}

/** True when `pid` is alive and still runs `script` from `repoDir` (as the record says it did). */
export function stillRuns(pid: number, script: string, repoDir: string): boolean {
  if (!alive(pid)) return false;
  const cmd = commandLine(pid);
  if (cmd === undefined) return false;
  const cwd = cwdOf(pid);
  return cmd.includes(script) && (cwd === undefined || cwd === repoDir);
}

/**
 * The services of a previous run still alive with their own command: stopped here (SIGTERM, so they commit
 * what they finished; SIGKILL after `timeoutMs`). Resolves with how many there were.
 */
export async function reapOrphans(record: RunRecord, log: (line: string) => void, timeoutMs = 15_000): Promise<number> {
  const orphans = Object.entries(record.services).filter(([, { pid, script }]) =>
    stillRuns(pid, script, record.repoDir),
  );
  const signal = (pid: number, sig: NodeJS.Signals): void => {
    try {
      process.kill(-pid, sig);
    } catch {
      try {
        process.kill(pid, sig);
      } catch {
        // gone meanwhile
      }
    }
  };
  for (const [name, { pid }] of orphans) {
    log(`stopping ${name} (pid ${pid}), left running by an earlier launcher (pid ${record.launcherPid})`);
    signal(pid, 'SIGTERM');
  }
  const deadline = Date.now() + timeoutMs;
  while (orphans.some(([, { pid }]) => alive(pid)) && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 100));
  for (const [name, { pid }] of orphans) {
    if (!alive(pid)) continue;
    log(`${name} (pid ${pid}) did not stop in ${timeoutMs / 1000} s: killing it`);
    signal(pid, 'SIGKILL');
  }
  while (orphans.some(([, { pid }]) => alive(pid))) await new Promise((r) => setTimeout(r, 50));
  return orphans.length;
}
