/**
 * The operations endpoint every service exposes: `/healthz` (the process is alive and its event loop
 * turns), `/readyz` (it is doing its job: connected, assigned, caught up enough — as the service defines),
 * and Prometheus `/metrics`. Plain `node:http`; nothing else listens on this port. A service that reloads its
 * configuration registers a reload function, and `POST /-/reload` calls it as Prometheus's lifecycle
 * endpoint does: 200 with a short text on success, 500 with the error's text when the new configuration is
 * refused, 405 for any other method (404 while nothing is registered).
 *
 * It binds to loopback (127.0.0.1) unless told otherwise — by the `host` option, else the `OPS_HOST`
 * environment variable — so metrics and readiness are not published on every interface by accident.
 * Containers set `OPS_HOST=0.0.0.0` inside their own network (infra/docker-compose.yml).
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

/** Where an ops server listens when neither `host` nor `OPS_HOST` says: loopback only. */
export const DEFAULT_OPS_HOST = '127.0.0.1';
/** The environment variable that chooses the ops servers' address (e.g. `0.0.0.0` in a container). */
export const OPS_HOST_ENV = 'OPS_HOST';

export interface OpsServerOptions {
  /** 0 picks a free port. */
  readonly port: number;
  /** Address to bind; default `OPS_HOST` from `env`, else 127.0.0.1. */
  readonly host?: string;
  /** Where `OPS_HOST` is read; default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly registry: Registry;
  readonly logger: Logger;
  /** Asked on every `/readyz`. Defaults to not ready until `setReady(true)`. */
  readonly readiness?: () => ReadinessReport;
  /** Called by `POST /-/reload` (e.g. a `ConfigReloader`'s request); can also be set later with `setReload`. */
  readonly reload?: OpsReloadFunction;
}

/** Reloads the configuration; resolves to a short report, rejects (with a reason) to refuse it. */
export type OpsReloadFunction = () => Promise<string>;

export interface OpsServer {
  readonly port: number;
  /** The address it is bound to. */
  readonly host: string;
  readonly url: string;
  setReady(ready: boolean, details?: Record<string, unknown>): void;
  /** Registers (or replaces) what `POST /-/reload` calls. */
  setReload(reload: OpsReloadFunction): void;
  close(): Promise<void>;
}

/** A registry with Node's default process metrics, labelled with the service name. */
export function createMetricsRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return registry;
}

/** The address an ops server binds: the `host` option, else a non-empty `OPS_HOST`, else 127.0.0.1. */
export function opsHost(
  host: string | undefined,
  env: Readonly<Record<string, string | undefined>> = process.env,
): string {
  const fromEnv = env[OPS_HOST_ENV]?.trim();
  return host ?? (fromEnv ? fromEnv : DEFAULT_OPS_HOST);
}

export async function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  const log = options.logger.child({ component: 'ops-server' });
  const host = opsHost(options.host, options.env);
  let manual: ReadinessReport = { ready: false, details: { reason: 'starting' } };
  const readiness = options.readiness ?? (() => manual);
  let reload = options.reload;

  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const json = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    const text = (status: number, body: string): void => {
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(`${body}\n`);
    };
    if (path === '/-/reload') {
      if (!reload) return text(404, 'this service has no reloadable configuration');
      if (req.method !== 'POST' && req.method !== 'PUT') {
        res.setHeader('allow', 'POST, PUT');
        return text(405, 'Only POST or PUT requests allowed');
      }
      req.resume(); // the body is not used
      reload().then(
        (report) => text(200, report || 'configuration reloaded'),
        (err: unknown) => text(500, `failed to reload config: ${err instanceof Error ? err.message : String(err)}`),
      );
      return;
    }
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
        return json(404, {
          error: 'not found',
          endpoints: ['/healthz', '/readyz', '/metrics', ...(reload ? ['/-/reload'] : [])],
        });
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port, address } = server.address() as AddressInfo;
  const url = `http://${urlHost(address)}:${port}`;
  log.info({ url, host: address }, 'ops server listening (/healthz, /readyz, /metrics)');
  return {
    port,
    host: address,
    url,
    setReady(ready, details) {
      manual = { ready, ...(details ? { details } : {}) };
    },
    setReload(fn) {
      reload = fn;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A host for this machine's own URL to the server: wildcards become loopback, IPv6 gets brackets. */
function urlHost(address: string): string {
  if (address === '0.0.0.0') return '127.0.0.1';
  if (address === '::') return '[::1]';
  return address.includes(':') ? `[${address}]` : address;
}
