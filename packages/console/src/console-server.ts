/**
 * The console's HTTP shell: the page and its assets (the charting library, uPlot, served from the installed
 * package — no CDN), JSON snapshots of the view, and a Server-Sent Events stream that pushes what changed
 * to each open page at most every `pushIntervalMs`. Also `/healthz`, `/readyz` and the console's own
 * Prometheus `/metrics`. Plain `node:http`; only a fixed set of files is served.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { type Logger, PipelineError } from '@sensor-pipeline/shared';
import type { Registry } from 'prom-client';
import type { ConsoleView } from './console-view.js';

export interface ConsoleServerOptions {
  readonly port: number;
  readonly host: string;
  readonly view: ConsoleView;
  readonly registry: Registry;
  readonly logger: Logger;
  readonly pushIntervalMs: number;
  readonly maxFleetDevices: number;
  readonly ready: () => boolean;
  readonly clock?: () => number;
  readonly onClients?: (count: number) => void;
}

export interface ConsoleServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

interface Asset {
  readonly path: string;
  readonly type: string;
}

const require = createRequire(import.meta.url);
const publicFile = (name: string) => fileURLToPath(new URL(`../public/${name}`, import.meta.url));

const ASSETS: Readonly<Record<string, Asset>> = {
  '/': { path: publicFile('index.html'), type: 'text/html; charset=utf-8' },
  '/index.html': { path: publicFile('index.html'), type: 'text/html; charset=utf-8' },
  '/app.js': { path: publicFile('app.js'), type: 'text/javascript; charset=utf-8' },
  '/app.css': { path: publicFile('app.css'), type: 'text/css; charset=utf-8' },
  '/vendor/uPlot.iife.min.js': {
    path: require.resolve('uplot/dist/uPlot.iife.min.js'),
    type: 'text/javascript; charset=utf-8',
  },
  '/vendor/uPlot.min.css': { path: require.resolve('uplot/dist/uPlot.min.css'), type: 'text/css; charset=utf-8' },
};

interface LiveClient {
  readonly res: ServerResponse;
  readonly fleetQuery: string | undefined;
  readonly device: string | undefined;
  readonly metric: string | undefined;
  sentVersion: number;
}

export async function startConsoleServer(options: ConsoleServerOptions): Promise<ConsoleServer> {
  const log = options.logger.child({ component: 'console-server' });
  const clock = options.clock ?? Date.now;
  const { view } = options;
  const cache = new Map<string, Buffer>();
  const clients = new Set<LiveClient>();

  const json = (res: ServerResponse, status: number, body: unknown): void => {
    res
      .writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' })
      .end(JSON.stringify(body));
  };
  const asset = (res: ServerResponse, a: Asset): void => {
    let body = cache.get(a.path);
    if (!body) {
      body = readFileSync(a.path);
      cache.set(a.path, body);
    }
    res.writeHead(200, { 'content-type': a.type, 'cache-control': 'no-cache' }).end(body);
  };
  const send = (client: LiveClient, event: string, data: unknown): void => {
    client.res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  const push = (client: LiveClient): void => {
    client.sentVersion = view.version;
    send(client, 'alerts', view.alertsSnapshot(clock()));
    send(client, 'health', view.healthSnapshot());
    if (client.fleetQuery !== undefined)
      send(client, 'fleet', view.fleetSnapshot(client.fleetQuery, options.maxFleetDevices));
    if (client.device && client.metric) send(client, 'sensor', view.sensorSnapshot(client.device, client.metric));
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://console.invalid');
    if (req.method !== 'GET' && req.method !== 'HEAD') return json(res, 405, { error: 'method not allowed' });
    const a = ASSETS[url.pathname];
    if (a) return asset(res, a);
    const q = url.searchParams;
    switch (url.pathname) {
      case '/api/alerts':
        return json(res, 200, view.alertsSnapshot(clock()));
      case '/api/fleet':
        return json(res, 200, view.fleetSnapshot(q.get('q') ?? '', options.maxFleetDevices));
      case '/api/sensor': {
        const device = q.get('device');
        const metric = q.get('metric');
        if (!device || !metric) return json(res, 400, { error: 'device and metric are required' });
        return json(res, 200, view.sensorSnapshot(device, metric));
      }
      case '/api/health':
        return json(res, 200, view.healthSnapshot());
      case '/api/events': {
        res.writeHead(200, {
          'content-type': 'text/event-stream',
          'cache-control': 'no-store',
          connection: 'keep-alive',
        });
        res.write('retry: 2000\n\n');
        const client: LiveClient = {
          res,
          fleetQuery: q.has('fleet') ? (q.get('fleet') ?? '') : undefined,
          device: q.get('device') ?? undefined,
          metric: q.get('metric') ?? undefined,
          sentVersion: -1,
        };
        clients.add(client);
        options.onClients?.(clients.size);
        push(client);
        req.on('close', () => {
          clients.delete(client);
          options.onClients?.(clients.size);
        });
        return;
      }
      case '/healthz':
        return json(res, 200, { status: 'ok' });
      case '/readyz': {
        const ready = options.ready();
        return json(res, ready ? 200 : 503, { status: ready ? 'ready' : 'not ready' });
      }
      case '/metrics':
        options.registry.metrics().then(
          (text) => res.writeHead(200, { 'content-type': options.registry.contentType }).end(text),
          (err: unknown) => {
            log.error({ err }, 'collecting metrics failed');
            json(res, 500, { error: 'metrics unavailable' });
          },
        );
        return;
      default:
        return json(res, 404, { error: 'not found' });
    }
  };

  const server: Server = createServer((req, res) => {
    try {
      handle(req, res);
    } catch (err) {
      log.error({ err, url: req.url }, 'request failed');
      if (!res.headersSent) json(res, 500, { error: 'internal error' });
      else res.end();
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (cause: NodeJS.ErrnoException) =>
      reject(
        new PipelineError(
          'STARTUP_FAILED',
          `the console cannot listen on ${options.host}:${options.port} (${cause.code ?? cause.message})`,
          { cause },
        ),
      ),
    );
    server.listen(options.port, options.host, () => resolve());
  });
  const { port, address } = server.address() as AddressInfo;
  const host =
    address === '0.0.0.0' || address === '::' ? '127.0.0.1' : address.includes(':') ? `[${address}]` : address;
  const url = `http://${host}:${port}`;

  const pusher = setInterval(() => {
    for (const client of clients) {
      if (client.sentVersion !== view.version) push(client);
    }
  }, options.pushIntervalMs);
  // a comment line now and then keeps idle connections open through proxies
  const keepAlive = setInterval(() => {
    for (const client of clients) client.res.write(': keep-alive\n\n');
  }, 15_000);

  return {
    url,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(pusher);
        clearInterval(keepAlive);
        for (const client of clients) client.res.end();
        clients.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
