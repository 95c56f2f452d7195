/**
 * The `console` command as an operator runs it: it prints its URL, serves the page, the charting library
 * from its installed package, its /readyz once the group assigned its partitions and its /metrics; bad usage
 * exits 2 before touching Kafka; SIGTERM stops it with status 0.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { bootstrapServers, createTopics, uniqueName, waitFor } from '../../../test/kafka.js';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

function runCli(args: readonly string[], env: Record<string, string>) {
  const child = spawn(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', 'packages/console/src/cli.ts', ...args],
    { cwd: REPO_ROOT, env: { ...process.env, LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

describe('console CLI', () => {
  it('prints its URL, serves the page and its assets, becomes ready, and stops on SIGTERM', async () => {
    const [alerts, stats] = await createTopics([uniqueName('cli-alerts'), uniqueName('cli-stats')]);
    const cli = runCli(['--port', '0', '--rules', 'config/rules.yaml', '--scrape', 'none=127.0.0.1:9'], {
      KAFKA_BOOTSTRAP_SERVERS: bootstrapServers(),
      ALERTS_TOPIC: alerts!,
      STATS_TOPIC: stats!,
      CONSOLE_GROUP_ID: uniqueName('console-cli'),
    });
    try {
      const url = await waitFor(() => /console: (http:\/\/127\.0\.0\.1:\d+)/.exec(cli.output())?.[1], {
        timeoutMs: 60_000,
        message: () => `the console printed its URL; output:\n${cli.output()}`,
      });
      const page = await fetch(`${url}/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<script src="/vendor/uPlot.iife.min.js"></script>');
      const uplot = await fetch(`${url}/vendor/uPlot.iife.min.js`);
      expect(uplot.headers.get('content-type')).toContain('javascript');
      expect((await uplot.text()).length).toBeGreaterThan(10_000);
      await waitFor(async () => (await fetch(`${url}/readyz`)).status === 200, {
        timeoutMs: 60_000,
        message: 'the console is ready once its group assigned its partitions',
      });
      expect(await (await fetch(`${url}/metrics`)).text()).toContain('console_records_total');
      expect((await fetch(`${url}/nothing-here`)).status).toBe(404);
      cli.child.kill('SIGTERM');
      expect(await cli.exited).toBe(0);
    } finally {
      if (cli.child.exitCode === null) cli.child.kill('SIGKILL');
    }
  });

  it('exits 2 on bad usage, before touching Kafka', async () => {
    const cli = runCli(['--port', 'eighty'], { KAFKA_BOOTSTRAP_SERVERS: '127.0.0.1:1' });
    expect(await cli.exited).toBe(2);
    expect(cli.output()).toContain('--port must be a port');
  });
});
