/**
 * The operations endpoint every service exposes: `/healthz` (the process is alive and its event loop
 * turns), `/readyz` (it is doing its job: connected, assigned, caught up enough — as the service defines),
 * and Prometheus `/metrics`. Plain `node:http`; nothing else listens on this port.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { Logger } from '../logger.js';

export interface ReadinessReport {
  readonly ready: boolean;
  /** Short reasons, shown in the `/readyz` body. */
  readonly details?: Readonly<Record<string, unknown>>;
}

export interface OpsServerOptions {
  /** 0 picks a free port. */
  readonly port: number;
  readonly host?: string;
  readonly registry: Registry;
  readonly logger: Logger;
  /** Asked on every `/readyz`. Defaults to not ready until `setReady(true)`. */
  readonly readiness?: () => ReadinessReport;
}

export interface OpsServer {
  readonly port: number;
  readonly url: string;
  setReady(ready: boolean, details?: Record<string, unknown>): void;
  close(): Promise<void>;
}

/** A registry with Node's default process metrics, labelled with the service name. */
export function createMetricsRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return registry;
}

export async function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  const log = options.logger.child({ component: 'ops-server' });
  let manual: ReadinessReport = { ready: false, details: { reason: 'starting' } };
  const readiness = options.readiness ?? (() => manual);

  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const json = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return json(405, { error: 'method not allowed' });
    switch (path) {
      case '/healthz':
      case '/livez':
        return json(200, { status: 'ok', uptimeSeconds: Math.round(process.uptime()) });
      case '/readyz': {
        const report = readiness();
        return json(report.ready ? 200 : 503, { status: report.ready ? 'ready' : 'not ready', ...report.details });
      }
      case '/metrics':
        options.registry.metrics().then(
          (text) => res.writeHead(200, { 'content-type': options.registry.contentType }).end(text),
          (err: unknown) => {
            log.error({ err }, 'collecting metrics failed');
            json(500, { error: 'metrics unavailable' });
          },
        );
        return;
      default:
        return json(404, { error: 'not found', endpoints: ['/healthz', '/readyz', '/metrics'] });
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '0.0.0.0', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${options.host && options.host !== '0.0.0.0' ? options.host : '127.0.0.1'}:${port}`;
  log.info({ url }, 'ops server listening (/healthz, /readyz, /metrics)');
  return {
    port,
    url,
    setReady(ready, details) {
      manual = { ready, ...(details ? { details } : {}) };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
