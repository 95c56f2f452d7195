/**
 * Runs one drain of a loaded topic in a child process — the Node paths through drain-runner.ts, the Python
 * peer through its own interpreter — and returns what it measured. Each child is its own process so CPU time
 * and peak RSS belong to the path alone; the child's output goes to this process's stderr.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type DrainPath =
  | 'raw-floor'
  | 'kafkajs-floor'
  | 'processor'
  | 'processor-cli'
  | 'core-thread-bound'
  | 'python-peer';

export interface DrainResult {
  readonly path: DrainPath;
  readonly readings: number;
  /** From the first record to the last counted, s. */
  readonly seconds: number;
  /** CPU time of the whole process over the same span, s. */
  readonly cpuSeconds: number;
  readonly peakRssMiB: number;
  readonly alerts?: number;
  readonly [extra: string]: unknown;
}

export interface DrainOptions {
  readonly topic: string;
  readonly count: number;
  readonly bootstrapServers: string;
  readonly rules: string;
  readonly workers?: number;
  /** Run id: group ids and output topic names. */
  readonly run: string;
  readonly python?: string;
}

/**
 * The Node flags the processor is deployed with (infra/docker-compose.yml, the launcher): a 32 MB semi-space
 * lets a batch's short-lived objects die young instead of being promoted (README, "Benchmarks"). Every Node
 * path of the benchmark runs with them, the floors included.
 */
export const PROCESSOR_NODE_FLAGS = ['--max-semi-space-size=32'];
/** The environment the launcher and compose give the processor, on top of the benchmark's own. */
export const PROCESSOR_ENV = { MALLOC_ARENA_MAX: '2' };

export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const RUNNER = fileURLToPath(new URL('./drain-runner.ts', import.meta.url));
const PEER = fileURLToPath(new URL('../peers/python_peer.py', import.meta.url));
const PEER_REQUIREMENTS = fileURLToPath(new URL('../peers/requirements.txt', import.meta.url));
/** The peer's own virtual environment, created on first use (git-ignored). */
export const PEER_VENV = join(REPO_ROOT, '.bench', 'python-peer');

function run(command: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${command} ${args.join(' ')} exited with ${code}:\n${out}`)),
    );
  });
}

/** The Python interpreter of the peer's venv, creating it and installing its requirements the first time. */
export async function ensurePeerPython(): Promise<string> {
  const python = join(PEER_VENV, 'bin', 'python');
  if (!existsSync(python)) {
    process.stderr.write(`[bench] creating ${PEER_VENV} for the Python peer (pip install -r ${PEER_REQUIREMENTS})\n`);
    await run('python3', ['-m', 'venv', PEER_VENV], process.env);
    await run(join(PEER_VENV, 'bin', 'pip'), ['install', '--quiet', '-r', PEER_REQUIREMENTS], process.env);
  }
  return python;
}

export async function runDrain(path: DrainPath, options: DrainOptions): Promise<DrainResult> {
  const env = {
    ...process.env,
    KAFKA_BOOTSTRAP_SERVERS: options.bootstrapServers,
    ...(path === 'processor' || path === 'processor-cli' ? PROCESSOR_ENV : {}),
  };
  let out: string;
  if (path === 'python-peer') {
    const python = options.python ?? (await ensurePeerPython());
    out = await run(
      python,
      [
        PEER,
        '--bootstrap-servers',
        options.bootstrapServers,
        '--topic',
        options.topic,
        '--count',
        String(options.count),
        '--rules',
        options.rules,
        '--group',
        `bench-python-peer-${options.run}`,
      ],
      env,
    );
    return { ...(JSON.parse(out.trim().split('\n').pop()!) as DrainResult), path };
  }
  out = await run(
    process.execPath,
    [
      ...PROCESSOR_NODE_FLAGS,
      '--conditions=source',
      '--import',
      'tsx',
      RUNNER,
      '--path',
      path,
      '--topic',
      options.topic,
      '--count',
      String(options.count),
      '--rules',
      options.rules,
      '--workers',
      String(options.workers ?? 1),
      '--run',
      options.run,
    ],
    env,
  );
  const line = out.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error(`${path}: no result in its output:\n${out}`);
  return JSON.parse(line.slice('RESULT '.length)) as DrainResult;
}
