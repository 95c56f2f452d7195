/**
 * Where the ops server listens: loopback by default, so `/metrics` and `/readyz` are not published on every
 * interface by accident; `OPS_HOST` (containers set 0.0.0.0 inside their network) or the `host` option
 * choose another address, the option first.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger, createMetricsRegistry, type OpsServer, opsHost, startOpsServer } from '../src/index.js';

const logger = createLogger({ service: 'test', level: 'silent' });
const servers: OpsServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

async function start(options: { host?: string; env?: Record<string, string | undefined> }): Promise<OpsServer> {
  const server = await startOpsServer({ port: 0, registry: createMetricsRegistry('test'), logger, ...options });
  servers.push(server);
  return server;
}

describe('ops server address', () => {
  it('chooses the option, else a non-empty OPS_HOST, else 127.0.0.1', () => {
    expect(opsHost(undefined, {})).toBe('127.0.0.1');
    expect(opsHost(undefined, { OPS_HOST: '' })).toBe('127.0.0.1');
    expect(opsHost(undefined, { OPS_HOST: ' 0.0.0.0 ' })).toBe('0.0.0.0');
    expect(opsHost('::1', { OPS_HOST: '0.0.0.0' })).toBe('::1');
  });

  it('binds to loopback by default', async () => {
    const server = await start({ env: {} });
    expect(server.host).toBe('127.0.0.1');
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  it('binds every interface when OPS_HOST=0.0.0.0, and still gives a loopback URL', async () => {
    const server = await start({ env: { OPS_HOST: '0.0.0.0' } });
    expect(server.host).toBe('0.0.0.0');
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  it('takes the host option over OPS_HOST', async () => {
    const server = await start({ host: '127.0.0.1', env: { OPS_HOST: '0.0.0.0' } });
    expect(server.host).toBe('127.0.0.1');
  });
});
