/**
 * The options every CLI spells the same way: the Kafka brokers (`--bootstrap-servers`,
 * `KAFKA_BOOTSTRAP_SERVERS`, checked as a host:port list alike from either: see `bootstrapServerList`) on
 * every command that talks to Kafka, and the ops port (`--metrics-port`,
 * `METRICS_PORT`) of every service. `kafkaSettingsWith` merges the flag into the environment's Kafka settings
 * (client properties from `KAFKA_CONFIG_*`).
 */
import { DEFAULT_BOOTSTRAP_SERVERS, type KafkaSettings, kafkaSettingsFromEnv } from '../kafka/kafka-clients.js';
import { type CliOption, cliOption } from './cli-option.js';
import { bootstrapServerList, portNumber } from './value-parsers.js';

export function bootstrapServersOption(): CliOption {
  return cliOption('--bootstrap-servers <host:port,...>', 'Kafka brokers', {
    env: 'KAFKA_BOOTSTRAP_SERVERS',
    default: DEFAULT_BOOTSTRAP_SERVERS,
    parse: bootstrapServerList,
  });
}

/** `--metrics-port`: /healthz, /readyz and /metrics; 0 picks any free port. `defaultPort` undefined = off unless given. */
export function metricsPortOption(defaultPort: number | undefined, description?: string): CliOption {
  return cliOption(
    '--metrics-port <port>',
    description ?? 'serve /healthz, /readyz and /metrics on this port (0 = any free port)',
    {
      env: 'METRICS_PORT',
      parse: portNumber,
      ...(defaultPort !== undefined ? { default: defaultPort } : {}),
    },
  );
}

/** The environment's Kafka settings (`KAFKA_CONFIG_*`) with the brokers the command line chose. */
export function kafkaSettingsWith(
  clientId: string,
  bootstrapServers: string | undefined,
  env: Readonly<Record<string, string | undefined>> = process.env,
): KafkaSettings {
  const settings = kafkaSettingsFromEnv(clientId, env);
  return bootstrapServers ? { ...settings, bootstrapServers } : settings;
}
