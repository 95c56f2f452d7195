/**
 * A free loopback port whose successor is free too: the local broker listens for clients on `port` and for
 * its KRaft controller on `port + 1`, so tests and the fault-injection suite that start a broker of their own
 * need both.
 */
import { createServer } from 'node:net';
import { PipelineError } from '@sensor-pipeline/shared';

export async function freePortPair(attempts = 20): Promise<number> {
  for (let i = 0; i < attempts; i++) {
    const port = await freePort(0);
    if ((await freePort(port + 1).catch(() => -1)) === port + 1) return port;
  }
  throw new PipelineError('LOCAL_KAFKA_PORT_TAKEN', `no free pair of loopback ports found in ${attempts} attempts`);
}

function freePort(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const chosen = (server.address() as { port: number }).port;
      server.close(() => resolve(chosen));
    });
  });
}
