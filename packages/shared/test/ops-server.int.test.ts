import { Counter } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger, createMetricsRegistry, type OpsServer, startOpsServer } from '../src/index.js';

const logger = createLogger({ service: 'test', level: 'silent' });
let server: OpsServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('ops server', () => {
  it('serves /healthz, /readyz (503 until ready) and Prometheus /metrics over HTTP', async () => {
    const registry = createMetricsRegistry('unit');
    const counter = new Counter({ name: 'things_total', help: 'things', registers: [registry] });
    counter.inc(3);
    server = await startOpsServer({ port: 0, host: '127.0.0.1', registry, logger });

    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    const notReady = await fetch(`${server.url}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toMatchObject({ status: 'not ready', reason: 'starting' });

    server.setReady(true, { partitions: 3 });
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', partitions: 3 });

    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toContain('things_total{service="unit"} 3');
    expect(metrics).toContain('process_cpu_seconds_total');
    expect((await fetch(`${server.url}/nope`)).status).toBe(404);
  });

  it('POST /-/reload calls the registered reload: 200 with its report, 500 with the refusal, 405 otherwise', async () => {
    const registry = createMetricsRegistry('unit');
    server = await startOpsServer({ port: 0, host: '127.0.0.1', registry, logger });
    // nothing registered yet
    expect((await fetch(`${server.url}/-/reload`, { method: 'POST' })).status).toBe(404);

    let refuse = false;
    let calls = 0;
    server.setReload(async () => {
      calls += 1;
      if (refuse) throw new Error('rules.yaml:4:12 rules.1.threshold: expected a number');
      return 'rules reloaded: 2 unchanged';
    });
    const ok = await fetch(`${server.url}/-/reload`, { method: 'POST' });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('rules reloaded: 2 unchanged\n');

    refuse = true;
    const refused = await fetch(`${server.url}/-/reload`, { method: 'POST', body: 'ignored' });
    expect(refused.status).toBe(500);
    expect(await refused.text()).toBe(
      'failed to reload config: rules.yaml:4:12 rules.1.threshold: expected a number\n',
    );

    const get = await fetch(`${server.url}/-/reload`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST, PUT');
    expect(calls).toBe(2);
    // the other endpoints still answer GET only
    expect((await fetch(`${server.url}/metrics`, { method: 'POST' })).status).toBe(405);
  });
});
