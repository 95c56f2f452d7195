/**
 * A TCP proxy on 127.0.0.1 in front of a broker (LocalKafka with `advertisedPort` = this proxy's port, so
 * clients reach the broker only through it) that can freeze the connections open at a moment: from then on
 * they pass no byte either way and stay open, as a client's connection does when it silently stops working,
 * while connections opened later pass as usual — or are closed at once, while `refuseNew` is set.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export class FreezingProxy {
  private readonly pairs = new Set<[Socket, Socket]>();
  private readonly frozen: [Socket, Socket][] = [];
  /** While true, a new connection is closed at once (the broker looks down to new clients). */
  refuseNew = false;

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static start(targetPort: number): Promise<FreezingProxy> {
    return new Promise((resolve, reject) => {
      const server = createServer();
      let proxy: FreezingProxy;
      server.on('connection', (client) => {
        if (proxy.refuseNew) {
          client.destroy();
          return;
        }
        const upstream = connect({ host: '127.0.0.1', port: targetPort });
        const pair: [Socket, Socket] = [client, upstream];
        proxy.pairs.add(pair);
        const drop = () => {
          proxy.pairs.delete(pair);
          client.destroy();
          upstream.destroy();
        };
        client.on('error', drop).on('close', drop);
        upstream.on('error', drop).on('close', drop);
        client.pipe(upstream);
        upstream.pipe(client);
      });
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        proxy = new FreezingProxy(server, typeof address === 'object' && address ? address.port : 0);
        resolve(proxy);
      });
    });
  }

  /** Freezes every connection open now; returns how many. */
  freezeOpen(): number {
    const now = [...this.pairs];
    for (const [client, upstream] of now) {
      client.unpipe(upstream);
      upstream.unpipe(client);
      client.pause();
      upstream.pause();
    }
    this.pairs.clear();
    this.frozen.push(...now);
    return now.length;
  }

  /** Stops listening and closes every connection, frozen ones included. */
  close(): Promise<void> {
    for (const [client, upstream] of [...this.pairs, ...this.frozen]) {
      client.destroy();
      upstream.destroy();
    }
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
