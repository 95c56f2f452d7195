/**
 * How each service of the pipeline is started — the ONE definition. The launcher (`sensor-pipeline up`)
 * spawns exactly these commands with exactly these environments; `infra/docker-compose.yml` runs the same
 * commands and environments in the image (where the repository lives at /app), and a unit test loads the
 * compose file and compares it with `pipelineServices(composeDeployment())` service by service, so the two
 * cannot drift. Only what differs between a laptop and a deployment is a parameter (`Deployment`): the
 * broker's address, how services reach each other, the ports and the secret's value.
 *
 * Commands are argv arrays relative to the repository root (the working directory of every service).
 */
import { DEFAULT_TOPICS, TOPIC_ENV, type TopicNames, type TopicRole } from '@sensor-pipeline/shared';

export type ServiceName = 'sink' | 'alerting' | 'processor' | 'console' | 'simulator';

/**
 * Start order: each service's consumers are up before its producers (sink → alerting → processor → console →
 * simulator); the web console watches the alerts and stats topics before the readings start.
 */
export const START_ORDER: readonly ServiceName[] = ['sink', 'alerting', 'processor', 'console', 'simulator'];
/** Stop order: producers first, so everything in flight is consumed and delivered before its consumer stops. */
export const STOP_ORDER: readonly ServiceName[] = ['simulator', 'console', 'processor', 'alerting', 'sink'];

/**
 * Services only docker compose runs, beside the pipeline: Prometheus (infra/prometheus) and Grafana
 * (infra/grafana), which the launcher leaves out (they come as container images).
 */
export const COMPOSE_ONLY_SERVICES: readonly string[] = ['prometheus', 'grafana'];

/** Config files, relative to the repository root; mounted from `config/` in compose. */
export const CONFIG_FILES = {
  rules: 'config/rules.yaml',
  alerting: 'config/alerting.yaml',
  demoScenario: 'config/scenarios/demo.yaml',
} as const;

/** Environment variables whose values are secrets: compose takes them from the environment, never a literal. */
export const SECRET_ENV: ReadonlySet<string> = new Set(['SINK_SECRET']);

/** The processor's consumer group (set through PROCESSOR_GROUP_ID); instances of one deployment share it. */
export const PROCESSOR_GROUP = 'sensor-processor';
/** The alerting service's consumer group, as `consumer.groupId` in config/alerting.yaml says. */
export const ALERTING_GROUP = 'alerting';

/** Path on the sink's webhook port where the alerting service posts (the demo receiver in config/alerting.yaml). */
export const SINK_PATH = '/webhook';

export interface ServicePorts {
  /** The demo sink's webhook listener (it answers /healthz, /readyz and /metrics there too; no separate ops port). */
  readonly sinkWebhook: number;
  /** Each service's ops port: /healthz, /readyz, /metrics. */
  readonly alertingOps: number;
  readonly processorOps: number;
  readonly simulatorOps: number;
  /** The web console's pages, with its /healthz, /readyz and /metrics. */
  readonly console: number;
}

export const DEFAULT_PORTS: ServicePorts = {
  sinkWebhook: 9000,
  alertingOps: 9466,
  processorOps: 9465,
  simulatorOps: 9464,
  console: 9400,
};

/** Ports from `base` upwards (webhook, the ops ports, then the console): for running beside another pipeline. */
export function portsFrom(base: number): ServicePorts {
  if (!Number.isInteger(base) || base < 1 || base > 65_531)
    throw new RangeError(`port base must be an integer in 1..65531, got ${base}`);
  return {
    sinkWebhook: base,
    alertingOps: base + 1,
    processorOps: base + 2,
    simulatorOps: base + 3,
    console: base + 4,
  };
}

/** What differs between the laptop and a deployment; everything else is fixed by the spec. */
export interface Deployment {
  readonly bootstrapServers: string;
  readonly topics: TopicNames;
  readonly ports: ServicePorts;
  /** How one service reaches another's ports: 127.0.0.1 locally, the compose service name in compose. */
  readonly hostOf: (service: ServiceName) => string;
  /** Where the sink and the ops servers listen (OPS_HOST): 127.0.0.1 locally, 0.0.0.0 in a container. */
  readonly listenHost: string;
  /** The webhook signing secret's value (`whsec_...`), or a `${SINK_SECRET}` reference in compose. */
  readonly sinkSecret: string;
  /** Whether the simulator paces readings in real time (the demo) or runs as fast as it can. Default true. */
  readonly realtime?: boolean;
  /** The processor's consumer group (default `PROCESSOR_GROUP`); the launcher takes PROCESSOR_GROUP_ID. */
  readonly processorGroup?: string;
  /** Extra simulator arguments appended after the spec's (e.g. `--count 20000`); launcher only. */
  readonly simulatorArgs?: readonly string[];
}

export interface ServiceSpec {
  readonly name: ServiceName;
  readonly description: string;
  /** argv; `node` is the Node.js binary, paths are relative to the repository root. */
  readonly command: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  /** Port of /healthz, /readyz and /metrics (the sink: its webhook port; the console: its pages' port). */
  readonly opsPort: number;
  /** What answers 200 once the service does its job. */
  readonly readyPath: '/readyz' | '/healthz';
  /** Whether `opsPort` serves Prometheus /metrics. */
  readonly metrics: boolean;
  /** Config files it reads (relative to the repository root). */
  readonly configFiles: readonly string[];
  /** Topic roles it reads or writes; their names are in `env`. */
  readonly topics: readonly TopicRole[];
  /** The topic it consumes and its consumer group, for lag (none for producers only). */
  readonly consumes?: TopicRole;
  readonly consumerGroup?: string;
  /** True when exiting with status 0 on its own is normal (a simulator run with --count or --duration). */
  readonly mayFinish: boolean;
}

function topicEnv(topics: TopicNames, roles: readonly TopicRole[]): Record<string, string> {
  return Object.fromEntries(roles.map((role) => [TOPIC_ENV[role], topics[role]]));
}

/** The services for a deployment, in start order. */
export function pipelineServices(d: Deployment): ServiceSpec[] {
  const { ports } = d;
  const sinkUrl = `http://${d.hostOf('sink')}:${ports.sinkWebhook}${SINK_PATH}`;
  const kafka = { KAFKA_BOOTSTRAP_SERVERS: d.bootstrapServers };
  const processorTopics: TopicRole[] = ['readings', 'alerts', 'stats', 'readingsDlq', 'alertState'];
  const alertingTopics: TopicRole[] = ['alerts', 'deliveriesDlq', 'deliveriesRetry'];
  const simulatorTopics: TopicRole[] = ['readings'];
  const consoleTopics: TopicRole[] = ['alerts', 'stats'];
  const metricsUrl = (service: ServiceName, port: number) => `${service}=http://${d.hostOf(service)}:${port}/metrics`;
  const processorGroup = d.processorGroup ?? PROCESSOR_GROUP;
  return [
    {
      name: 'sink',
      description: 'demo webhook receiver: verifies signatures and prints each alert',
      command: [
        'node',
        'packages/alerting/dist/cli.js',
        'sink',
        '--port',
        String(ports.sinkWebhook),
        '--host',
        d.listenHost,
      ],
      env: { SINK_SECRET: d.sinkSecret },
      opsPort: ports.sinkWebhook,
      readyPath: '/readyz',
      metrics: true,
      configFiles: [],
      topics: [],
      mayFinish: false,
    },
    {
      name: 'alerting',
      description: 'routes alerts to webhooks, signed and retried',
      command: ['node', 'packages/alerting/dist/cli.js', 'run', '--config', CONFIG_FILES.alerting],
      env: {
        ...kafka,
        METRICS_PORT: String(ports.alertingOps),
        OPS_HOST: d.listenHost,
        SINK_SECRET: d.sinkSecret,
        SINK_URL: sinkUrl,
        ...topicEnv(d.topics, alertingTopics),
      },
      opsPort: ports.alertingOps,
      readyPath: '/readyz',
      metrics: true,
      configFiles: [CONFIG_FILES.alerting],
      topics: alertingTopics,
      consumes: 'alerts',
      consumerGroup: ALERTING_GROUP,
      mayFinish: false,
    },
    {
      name: 'processor',
      description: 'sliding windows, rules, FIRING/RESOLVED alerts',
      // a 32 MB semi-space: a batch's short-lived objects die young instead of filling the old generation
      // (peak RSS draining a backlog; README, "Benchmarks"); --workers' processes inherit the flag
      command: ['node', '--max-semi-space-size=32', 'packages/processor/dist/cli.js', '--rules', CONFIG_FILES.rules],
      env: {
        ...kafka,
        // two malloc arenas instead of one per thread (the client's and libuv's): about 40 MB less resident
        // memory draining a backlog, for the same speed (README, "Benchmarks")
        MALLOC_ARENA_MAX: '2',
        METRICS_PORT: String(ports.processorOps),
        OPS_HOST: d.listenHost,
        RULES_FILE: CONFIG_FILES.rules,
        PROCESSOR_GROUP_ID: processorGroup,
        // window stats for dashboards and `sensor-pipeline tail stats`: at most one per sensor and window per 10 s of event time
        PROCESSOR_STATS_INTERVAL: '10s',
        ...topicEnv(d.topics, processorTopics),
      },
      opsPort: ports.processorOps,
      readyPath: '/readyz',
      metrics: true,
      configFiles: [CONFIG_FILES.rules],
      topics: processorTopics,
      consumes: 'readings',
      consumerGroup: processorGroup,
      mayFinish: false,
    },
    {
      name: 'console',
      description: 'the web console: alerts firing now, the fleet, sensors, pipeline health',
      command: ['node', 'packages/console/dist/cli.js', '--rules', CONFIG_FILES.rules],
      env: {
        ...kafka,
        CONSOLE_PORT: String(ports.console),
        OPS_HOST: d.listenHost,
        CONSOLE_SCRAPE_TARGETS: [
          metricsUrl('simulator', ports.simulatorOps),
          metricsUrl('processor', ports.processorOps),
          metricsUrl('alerting', ports.alertingOps),
          metricsUrl('sink', ports.sinkWebhook),
        ].join(','),
        ...topicEnv(d.topics, consoleTopics),
      },
      opsPort: ports.console,
      readyPath: '/readyz',
      metrics: true,
      configFiles: [CONFIG_FILES.rules],
      topics: consoleTopics,
      mayFinish: false,
    },
    {
      name: 'simulator',
      description: 'the demo device fleet',
      command: [
        'node',
        'packages/simulator/dist/cli.js',
        '--scenario',
        CONFIG_FILES.demoScenario,
        '--seed',
        '1',
        ...(d.realtime === false ? [] : ['--realtime']),
        '--metrics-port',
        String(ports.simulatorOps),
        ...(d.simulatorArgs ?? []),
      ],
      env: { ...kafka, OPS_HOST: d.listenHost, ...topicEnv(d.topics, simulatorTopics) },
      opsPort: ports.simulatorOps,
      readyPath: '/readyz',
      metrics: true,
      configFiles: [CONFIG_FILES.demoScenario],
      topics: simulatorTopics,
      mayFinish: true,
    },
  ];
}

/**
 * The topic initializer: `sensor-pipeline topics` with the broker and every topic name. Compose runs it as a
 * one-shot service; the launcher does the same in-process (`createPipelineTopics`) with the same names.
 */
export const TOPICS_COMMAND: readonly string[] = ['node', 'infra/dist/sensor-pipeline.js', 'topics'];

export function topicsInitializerEnv(d: Pick<Deployment, 'bootstrapServers' | 'topics'>): Record<string, string> {
  const roles = Object.keys(TOPIC_ENV) as TopicRole[];
  return { KAFKA_BOOTSTRAP_SERVERS: d.bootstrapServers, ...topicEnv(d.topics, roles) };
}

/** The compose deployment: broker `kafka:19092`, services by their compose names, the secret from the environment. */
export const COMPOSE_BOOTSTRAP_SERVERS = 'kafka:19092';
export const COMPOSE_APP_DIR = '/app';

export function composeDeployment(): Deployment {
  return {
    bootstrapServers: COMPOSE_BOOTSTRAP_SERVERS,
    topics: DEFAULT_TOPICS,
    ports: DEFAULT_PORTS,
    hostOf: (service) => service,
    listenHost: '0.0.0.0',
    sinkSecret: '${SINK_SECRET}',
  };
}
