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
});
