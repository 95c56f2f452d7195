/** The `sensor-pipeline` command without a broker: help, the service specs, and a clear refusal to start. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, onTestFinished } from 'vitest';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const CLI = `${REPO}infra/dist/sensor-pipeline.js`;

function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run pnpm build first`);
  return spawnSync(process.execPath, [CLI, ...args], {
    cwd: REPO,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 30_000,
  });
}

describe('sensor-pipeline CLI', () => {
  it('explains itself', () => {
    const up = cli(['up', '--help']);
    expect(up.status).toBe(0);
    expect(up.stdout).toMatch(/--no-broker/);
    const none = cli([]);
    expect(none.status).toBe(2);
    expect(none.stderr).toMatch(/Usage: sensor-pipeline \[options\] \[command\]/);
    expect(cli(['bogus']).status).toBe(2);
    expect(cli(['up', '--bogus']).stderr).toMatch(/bogus/);
  });

  it('prints the service specs the launcher and compose share', () => {
    const out = cli(['services', '--json'], { KAFKA_BOOTSTRAP_SERVERS: 'k:1' });
    expect(out.status).toBe(0);
    const specs = JSON.parse(out.stdout) as { name: string; command: string[]; env: Record<string, string> }[];
    expect(specs.map((s) => s.name)).toEqual(['sink', 'alerting', 'processor', 'console', 'simulator']);
    expect(specs.find((s) => s.name === 'processor')!.env['KAFKA_BOOTSTRAP_SERVERS']).toBe('k:1');
  });

  it('describes the topic layout', () => {
    const out = cli(['topics', '--describe'], { ALERTS_TOPIC: 'my.alerts' });
    expect(out.status).toBe(0);
    expect(out.stdout).toMatch(/^my\.alerts\s+3 partitions\s+cleanup\.policy=delete retention\.ms=604800000/m);
    expect(out.stdout).toMatch(/sensor\.alert-state\s+6 partitions\s+cleanup\.policy=compact/);
  });

  it('refuses to start, before touching Kafka, when a port it needs is taken — and says which', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const port = (server.address() as { port: number }).port;
    const runDir = mkdtempSync(join(tmpdir(), 'sensor-pipeline-cli-'));
    onTestFinished(() => rmSync(runDir, { recursive: true, force: true }));
    const out = cli([
      'up',
      '--no-broker',
      '--bootstrap-servers',
      '127.0.0.1:1',
      '--port-base',
      String(port),
      '--run-dir',
      runDir,
      '--plain',
    ]);
    expect(out.status).toBe(1);
    expect(out.stdout).toContain(`port ${port} (sink webhook) is in use`);
    expect(out.stdout).not.toMatch(/starting sink/);
  });
});
