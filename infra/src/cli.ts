#!/usr/bin/env node
/**
 * `local-kafka` — fetch, start, stop and inspect the local Apache Kafka broker (see local-kafka.ts).
 *
 *   local-kafka fetch                 copy the broker's jars from Maven Central (once)
 *   local-kafka start [--port 9092]   start in the background, wait until ready, print the bootstrap address
 *   local-kafka stop                  controlled shutdown
 *   local-kafka status                running or not, and where
 *   local-kafka bootstrap             print the bootstrap address
 *   local-kafka reset                 stop and delete the data directory
 */
import { parseArgs } from 'node:util';
import { asUsageError, exitStatusOf, UsageError } from '@sensor-pipeline/shared';
import { KAFKA_VERSION, LocalKafka } from './local-kafka.js';

const USAGE = `usage: local-kafka <fetch|start|stop|status|bootstrap|reset> [--port N] [--data-dir DIR] [--heap 512m]
Apache Kafka ${KAFKA_VERSION} (KRaft, single node) on 127.0.0.1, from Maven Central jars; Java 17+ and Maven required.`;

async function main(): Promise<number> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      port: { type: 'string', default: process.env['LOCAL_KAFKA_PORT'] ?? '9092' },
      'data-dir': { type: 'string' },
      heap: { type: 'string', default: '512m' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const command = positionals[0];
  if (values.help || !command) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 1 || port > 65534)
    throw new UsageError(`--port must be an integer between 1 and 65534, got ${values.port}`);
  const kafka = new LocalKafka({
    port,
    heap: values.heap,
    ...(values['data-dir'] ? { dataDir: values['data-dir'] } : {}),
  });
  switch (command) {
    case 'fetch':
      await kafka.fetchJars();
      console.log(kafka.libsDir);
      return 0;
    case 'start':
      console.log(await kafka.start());
      return 0;
    case 'stop':
      if (!(await kafka.stop())) console.error('not running');
      return 0;
    case 'status': {
      const pid = kafka.runningPid();
      const ready = pid !== undefined && (await kafka.ready());
      console.log(
        JSON.stringify({
          running: pid !== undefined,
          ready,
          pid: pid ?? null,
          bootstrapServers: kafka.bootstrapServers,
          dataDir: kafka.dataDir,
          version: KAFKA_VERSION,
        }),
      );
      return pid !== undefined ? 0 : 1;
    }
    case 'bootstrap':
      console.log(kafka.bootstrapServers);
      return 0;
    case 'reset':
      await kafka.reset();
      return 0;
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    const usage = asUsageError(err);
    console.error(usage ? `local-kafka: ${usage.message}\n${USAGE}` : `local-kafka: ${(err as Error).message}`);
    process.exit(exitStatusOf(err));
  },
);
