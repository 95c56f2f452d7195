/**
 * Setup file of every `<pkg>:unit` project: the unit tier is pure and in-process, so starting a child
 * process, listening on a port or opening a connection there fails loudly instead of slowing the tier down
 * or making it depend on the machine. Such a test belongs in `*.int.test.ts` (see CONTRIBUTING.md).
 *
 * Patches `node:child_process` (also for `import { spawn } from 'node:child_process'`, through
 * `syncBuiltinESMExports`) and `net.Server` / `net.Socket` (which HTTP servers, `fetch` and Kafka clients
 * written in JavaScript use). Idempotent: it runs before each unit test file.
 */
import childProcess from 'node:child_process';
import { syncBuiltinESMExports } from 'node:module';
import net from 'node:net';

const GUARDED = Symbol.for('sensor-pipeline.unit-tier-guard');
const holder = globalThis as { [GUARDED]?: true };

function refuse(what: string): never {
  throw new Error(
    `${what} in a unit test: the unit tier is pure and in-process — move this test to a *.int.test.ts file ` +
      '(integration tier: real broker, child processes, HTTP servers)',
  );
}

if (!holder[GUARDED]) {
  holder[GUARDED] = true;
  const cp = childProcess as unknown as Record<string, unknown>;
  for (const name of ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork']) {
    cp[name] = (...args: unknown[]) => refuse(`child_process.${name}(${JSON.stringify(String(args[0]))})`);
  }
  net.Server.prototype.listen = function listen(): never {
    return refuse('listening on a socket (net.Server.listen)');
  };
  net.Socket.prototype.connect = function connect(): never {
    return refuse('opening a connection (net.Socket.connect)');
  };
  syncBuiltinESMExports();
}
