/**
 * A real Prometheus Alertmanager for integration tests (Debian's `prometheus-alertmanager`, installed by
 * scripts/install.sh): started per test file on a free loopback port with a data directory of its own,
 * clustering off, and a config whose one route sends every notification to a webhook URL the test serves.
 * Tests push alerts to its `/api/v2/alerts`, read them back from the same endpoint, and watch what its
 * own webhook delivers. `stop()` ends exactly the process it started and removes the data directory.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from './kafka.js';

/** Where Debian puts the binary; ALERTMANAGER_BIN overrides it. */
export const ALERTMANAGER_BIN = process.env['ALERTMANAGER_BIN'] ?? '/usr/bin/prometheus-alertmanager';

export interface AlertmanagerOptions {
  /** Where Alertmanager's webhook sends its notifications. */
  readonly webhookUrl: string;
  /** Alertmanager's `resolve_timeout` (for alerts without endsAt), e.g. `2s`. */
  readonly resolveTimeout?: string;
  readonly groupWait?: string;
  readonly groupInterval?: string;
  readonly repeatInterval?: string;
  /** Labels Alertmanager groups by; default `['...']` (one group per alert). */
  readonly groupBy?: readonly string[];
}

/** An alert as `GET /api/v2/alerts` returns it (the fields the tests read). */
export interface AlertmanagerApiAlert {
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly startsAt: string;
  readonly endsAt: string;
  readonly updatedAt: string;
  readonly fingerprint: string;
  readonly status: { readonly state: 'active' | 'suppressed' | 'unprocessed'; readonly silencedBy: string[] };
}

export interface RunningAlertmanager {
  /** `http://127.0.0.1:<port>`: the base URL, as a receiver of `type: alertmanager` lists it. */
  readonly url: string;
  /** `GET /api/v2/alerts` with its filters (Alertmanager lists alerts not yet resolved). */
  alerts(filter?: {
    readonly active?: boolean;
    readonly silenced?: boolean;
    readonly inhibited?: boolean;
  }): Promise<AlertmanagerApiAlert[]>;
  /** Everything the process wrote to stderr (its log), for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

export function alertmanagerInstalled(): boolean {
  return existsSync(ALERTMANAGER_BIN);
}

export async function startAlertmanager(options: AlertmanagerOptions): Promise<RunningAlertmanager> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sensor-pipeline-test-alertmanager-'));
  const configFile = join(dataDir, 'alertmanager.yml');
  writeFileSync(configFile, alertmanagerConfig(options));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(
    ALERTMANAGER_BIN,
    [
      `--config.file=${configFile}`,
      `--storage.path=${join(dataDir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=', // no gossip: a single instance of its own
      '--log.level=info',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-20_000);
  });
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });

  const stop = async (): Promise<void> => {
    if (!exited) {
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const killTimer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await gone;
      clearTimeout(killTimer);
    }
    rmSync(dataDir, { recursive: true, force: true });
  };

  try {
    await waitFor(
      async () => {
        if (exited) throw new Error(`alertmanager exited: ${stderr}`);
        const res = await fetch(`${url}/-/ready`);
        return res.ok;
      },
      { timeoutMs: 30_000, message: () => `alertmanager on ${url} not ready: ${stderr}` },
    );
  } catch (err) {
    await stop();
    throw err;
  }

  return {
    url,
    async alerts(filter = {}) {
      const query = new URLSearchParams();
      for (const [name, value] of Object.entries(filter)) query.set(name, String(value));
      const res = await fetch(`${url}/api/v2/alerts?${query}`);
      if (!res.ok) throw new Error(`GET /api/v2/alerts: HTTP ${res.status}: ${await res.text()}`);
      return (await res.json()) as AlertmanagerApiAlert[];
    },
    log: () => stderr,
    stop,
  };
}

/** The YAML config: one route, one webhook receiver that also gets resolved notifications. */
export function alertmanagerConfig(options: AlertmanagerOptions): string {
  const groupBy = (options.groupBy ?? ['...']).map((l) => JSON.stringify(l)).join(', ');
  return [
    'global:',
    `  resolve_timeout: ${options.resolveTimeout ?? '5m'}`,
    'route:',
    '  receiver: local',
    `  group_by: [${groupBy}]`,
    `  group_wait: ${options.groupWait ?? '0s'}`,
    `  group_interval: ${options.groupInterval ?? '1s'}`,
    `  repeat_interval: ${options.repeatInterval ?? '1h'}`,
    'receivers:',
    '  - name: local',
    '    webhook_configs:',
    `      - url: ${JSON.stringify(options.webhookUrl)}`,
    '        send_resolved: true',
    '',
  ].join('\n');
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const chosen = (server.address() as { port: number }).port;
      server.close(() => resolve(chosen));
    });
  });
}
