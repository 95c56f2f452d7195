#!/usr/bin/env node
/**
 * `local-kafka` — fetch, start, stop and inspect the local Apache Kafka broker (see local-kafka.ts), built
 * with the shared CLI builder: `local-kafka <fetch|start|stop|status|bootstrap|reset> [--port N]
 * [--data-dir DIR] [--heap 512m]`; each option's variable (LOCAL_KAFKA_PORT, LOCAL_KAFKA_DATA_DIR,
 * LOCAL_KAFKA_HEAP) is shown in `--help`.
 */
import { cliOption, createCliProgram, nonEmpty, packageVersion, runCli, wholeNumber } from '@sensor-pipeline/shared';
import { KAFKA_VERSION, LocalKafka } from './local-kafka.js';

interface BrokerFlags {
  readonly port: number;
  readonly dataDir?: string;
  readonly heap: string;
}

const program = createCliProgram({
  name: 'local-kafka',
  version: packageVersion(import.meta.url),
  description: `Apache Kafka ${KAFKA_VERSION} (KRaft, single node) on 127.0.0.1, from Maven Central jars; Java 17+ and Maven required.`,
});

/** A subcommand with the broker's options (every subcommand takes them, so they name the same broker). */
function brokerCommand(name: string, description: string, run: (kafka: LocalKafka) => Promise<number> | number) {
  program
    .command(name)
    .description(description)
    .addOption(
      cliOption('--port <n>', "the broker's port (the controller listens on the next one)", {
        env: 'LOCAL_KAFKA_PORT',
        default: 9092,
        parse: wholeNumber(1, 65_534),
      }),
    )
    .addOption(
      cliOption('--data-dir <dir>', 'where the broker keeps its data (default: under infra/.kafka)', {
        env: 'LOCAL_KAFKA_DATA_DIR',
        parse: nonEmpty,
      }),
    )
    .addOption(cliOption('--heap <size>', "the broker's Java heap", { env: 'LOCAL_KAFKA_HEAP', default: '512m' }))
    .action((flags: BrokerFlags) =>
      run(new LocalKafka({ port: flags.port, heap: flags.heap, ...(flags.dataDir ? { dataDir: flags.dataDir } : {}) })),
    );
}

brokerCommand('fetch', "copy the broker's jars from Maven Central (once)", async (kafka) => {
  await kafka.fetchJars();
  console.log(kafka.libsDir);
  return 0;
});
brokerCommand('start', 'start in the background, wait until ready, print the bootstrap address', async (kafka) => {
  console.log(await kafka.start());
  return 0;
});
brokerCommand('stop', 'controlled shutdown', async (kafka) => {
  if (!(await kafka.stop())) console.error('not running');
  return 0;
});
brokerCommand('status', 'running or not, and where (JSON); exit 1 when not running', async (kafka) => {
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
});
brokerCommand('bootstrap', 'print the bootstrap address', (kafka) => {
  console.log(kafka.bootstrapServers);
  return 0;
});
brokerCommand('reset', 'stop and delete the data directory', async (kafka) => {
  await kafka.reset();
  return 0;
});

await runCli(program);
