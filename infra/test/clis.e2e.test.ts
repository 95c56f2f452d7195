/**
 * Every CLI of the product behaves alike (one shared builder): each binary, run from dist/ with node as an
 * operator would, answers --help (exit 0, every environment variable it reads listed) and --version (the
 * package's version), refuses an unknown flag with exit 2 and a "did you mean" suggestion, refuses a duration
 * without a unit with exit 2, and takes --bootstrap-servers on every command that talks to Kafka — the flag
 * winning over KAFKA_BOOTSTRAP_SERVERS, which points at a closed port here, so the command only succeeds when
 * the flag's broker (the test broker) is the one used; and with the variable alone (no flag) naming the test
 * broker, the commands use it, while a quoted value is refused with exit 2.
 */
import { type SpawnSyncReturns, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, onTestFinished } from 'vitest';
import { bootstrapServers, deleteTopics, uniqueName } from '../../test/kafka.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
/** Nothing listens here: a command that used KAFKA_BOOTSTRAP_SERVERS instead of the flag would fail. */
const DEAD_BROKER = '127.0.0.1:1';

interface CliCase {
  /** The binary, relative to the repository root, and the package whose version it prints. */
  readonly bin: string;
  readonly pkg: string;
  /** A command and its help: every environment variable the command reads must be listed there. */
  readonly help: readonly { readonly args: readonly string[]; readonly env: readonly string[] }[];
  /** A mistyped flag and the suggestion expected for it. */
  readonly typo: readonly [args: readonly string[], suggestion: string];
  /** A duration flag given a bare number. */
  readonly bareDuration?: readonly string[];
}

const CLIS: readonly CliCase[] = [
  {
    bin: 'packages/processor/dist/cli.js',
    pkg: 'packages/processor',
    help: [
      {
        args: [],
        env: [
          'RULES_FILE',
          'KAFKA_BOOTSTRAP_SERVERS',
          'PROCESSOR_GROUP_ID',
          'PROCESSOR_DELIVERY',
          'PROCESSOR_STATS_INTERVAL',
          'PROCESSOR_COMMIT_INTERVAL',
          'PROCESSOR_REPLAY_EXTRA',
          'PROCESSOR_INSTANCE_ID',
          'PROCESSOR_WORKERS',
          'PROCESSOR_STATIC_MEMBERSHIP',
          'PROCESSOR_MAX_FUTURE_SKEW',
          'PROCESSOR_MAX_SENSORS',
          'METRICS_PORT',
          'READINGS_TOPIC',
          'ALERTS_TOPIC',
          'STATS_TOPIC',
          'READINGS_DLQ_TOPIC',
          'ALERT_STATE_TOPIC',
          'KAFKA_CONFIG_',
        ],
      },
    ],
    typo: [['--commit-intervl', '5s'], '--commit-interval'],
    bareDuration: ['--commit-interval', '5'],
  },
  {
    bin: 'packages/alerting/dist/cli.js',
    pkg: 'packages/alerting',
    help: [
      { args: [], env: ['ALERTING_CONFIG', 'KAFKA_BOOTSTRAP_SERVERS', 'METRICS_PORT', 'SINK_PORT', 'ALERTS_TOPIC'] },
      { args: ['run'], env: ['ALERTING_CONFIG', 'KAFKA_BOOTSTRAP_SERVERS', 'METRICS_PORT'] },
      { args: ['redrive'], env: ['ALERTING_CONFIG', 'KAFKA_BOOTSTRAP_SERVERS'] },
      { args: ['silence', 'add'], env: ['KAFKA_BOOTSTRAP_SERVERS'] },
      { args: ['silence', 'list'], env: ['KAFKA_BOOTSTRAP_SERVERS'] },
      { args: ['silence', 'expire'], env: ['KAFKA_BOOTSTRAP_SERVERS'] },
      { args: ['sink'], env: ['SINK_PORT', 'SINK_HOST', 'SINK_TOLERANCE'] },
    ],
    typo: [['run', '--metrics-prt', '1'], '--metrics-port'],
    bareDuration: ['sink', '--tolerance', '5', '--insecure'],
  },
  {
    bin: 'packages/simulator/dist/cli.js',
    pkg: 'packages/simulator',
    help: [
      {
        args: [],
        env: [
          'KAFKA_BOOTSTRAP_SERVERS',
          'READINGS_TOPIC',
          'METRICS_PORT',
          'SIMULATOR_COUNT',
          'SIMULATOR_DURATION',
          'SIMULATOR_SCENARIO',
          'KAFKA_CONFIG_',
        ],
      },
    ],
    typo: [['--duraton', '3m'], '--duration'],
    bareDuration: ['--duration', '180'],
  },
  {
    bin: 'packages/console/dist/cli.js',
    pkg: 'packages/console',
    help: [
      {
        args: [],
        env: [
          'CONSOLE_PORT',
          'CONSOLE_HOST',
          'RULES_FILE',
          'CONSOLE_SCRAPE_TARGETS',
          'CONSOLE_GROUP_ID',
          'KAFKA_BOOTSTRAP_SERVERS',
          'ALERTS_TOPIC',
          'STATS_TOPIC',
        ],
      },
    ],
    typo: [['--prot', '0'], '--port'],
  },
  {
    bin: 'infra/dist/sensor-pipeline.js',
    pkg: 'infra',
    help: [
      { args: [], env: ['READINGS_TOPIC', 'ALERTS_TOPIC', 'KAFKA_CONFIG_'] },
      {
        args: ['up'],
        env: ['KAFKA_BOOTSTRAP_SERVERS', 'LOCAL_KAFKA_PORT', 'SIMULATOR_ARGS', 'PIPELINE_READY_TIMEOUT', 'SINK_SECRET'],
      },
      { args: ['topics'], env: ['KAFKA_BOOTSTRAP_SERVERS', 'TOPIC_REPLICATION_FACTOR', 'READINGS_TOPIC'] },
      { args: ['tail'], env: ['KAFKA_BOOTSTRAP_SERVERS', 'TAIL_IDLE_TIMEOUT', 'ALERTS_TOPIC'] },
      { args: ['services'], env: [] },
    ],
    typo: [['tail', 'alerts', '--from-begining'], '--from-beginning'],
    bareDuration: ['up', '--ready-timeout', '90'],
  },
  {
    bin: 'infra/dist/cli.js',
    pkg: 'infra',
    help: [
      { args: [], env: [] },
      { args: ['start'], env: ['LOCAL_KAFKA_PORT', 'LOCAL_KAFKA_DATA_DIR', 'LOCAL_KAFKA_HEAP'] },
    ],
    typo: [['start', '--prot', '1'], '--port'],
  },
];

function run(
  bin: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
  logLevel = 'warn',
): SpawnSyncReturns<string> {
  const path = join(REPO, bin);
  if (!existsSync(path)) throw new Error(`${path} is missing: run pnpm build first`);
  return spawnSync(process.execPath, [path, ...args], {
    cwd: REPO,
    encoding: 'utf8',
    env: { ...process.env, KAFKA_BOOTSTRAP_SERVERS: DEAD_BROKER, LOG_LEVEL: logLevel, ...env },
    timeout: 120_000,
  });
}

const versionOf = (pkg: string): string =>
  (JSON.parse(readFileSync(join(REPO, pkg, 'package.json'), 'utf8')) as { version: string }).version;

describe.each(CLIS)('$bin', (cli) => {
  it.each(cli.help)(
    'answers --help and -h for "$args" with exit 0, listing each variable it reads',
    ({ args, env }) => {
      for (const flag of ['--help', '-h']) {
        const out = run(cli.bin, [...args, flag]);
        expect(out.status, out.stderr).toBe(0);
        expect(out.stdout).toMatch(/^Usage: /);
        for (const name of env) expect(out.stdout, `${args.join(' ')} --help lists ${name}`).toContain(name);
      }
    },
  );

  it('prints the package version with --version, on every command', () => {
    for (const { args } of cli.help) {
      const out = run(cli.bin, [...args, '--version']);
      expect(out.status, out.stderr).toBe(0);
      expect(out.stdout.trim()).toBe(versionOf(cli.pkg));
    }
  });

  it('refuses an unknown flag with exit 2 and a suggestion, on stderr', () => {
    const [args, suggestion] = cli.typo;
    const out = run(cli.bin, args);
    expect(out.status).toBe(2);
    expect(out.stderr).toContain(`(did you mean ${suggestion}?)`);
    expect(out.stderr).toMatch(/see '.+ --help'/);
    expect(out.stdout).toBe('');
  });

  it.runIf(cli.bareDuration)('refuses a duration without a unit with exit 2', () => {
    const out = run(cli.bin, cli.bareDuration!);
    expect(out.status).toBe(2);
    expect(out.stderr).toMatch(/"\d+" needs a unit, e\.g\. \d+s/);
  });
});

/** Every topic variable the CLIs read, named under `prefix`. */
function topicEnv(prefix: string): Record<string, string> {
  return {
    READINGS_TOPIC: `${prefix}.readings`,
    ALERTS_TOPIC: `${prefix}.alerts`,
    STATS_TOPIC: `${prefix}.stats`,
    READINGS_DLQ_TOPIC: `${prefix}.readings-dlq`,
    ALERT_STATE_TOPIC: `${prefix}.alert-state`,
    DELIVERIES_DLQ_TOPIC: `${prefix}.deliveries-dlq`,
    DELIVERIES_RETRY_TOPIC: `${prefix}.deliveries-retry`,
    SILENCES_TOPIC: `${prefix}.silences`,
  };
}
describe('--bootstrap-servers wins over KAFKA_BOOTSTRAP_SERVERS wherever Kafka is used', () => {
  const broker = () => ['--bootstrap-servers', bootstrapServers()];

  it('processor: accepted with the rules check', () => {
    const out = run('packages/processor/dist/cli.js', [...broker(), '--check']);
    expect(out.status, out.stderr).toBe(0);
    expect(out.stdout).toMatch(/rules OK/);
  });

  it('simulator: produces to the given broker', async () => {
    const topic = uniqueName('cli-sim');
    onTestFinished(() => deleteTopics([topic]));
    const out = run(
      'packages/simulator/dist/cli.js',
      [
        ...broker(),
        '--count',
        '30',
        '--topic',
        topic,
        '--create-topic',
        '--partitions',
        '1',
        '--no-progress',
        '--delivery-timeout',
        '30s',
      ],
      {},
      'info',
    );
    expect(out.status, out.stdout + out.stderr).toBe(0);
    expect(out.stdout).toMatch(/every reading acknowledged/);
  });

  it('sensor-pipeline topics and tail, and alerting silence add and list: against the given broker', async () => {
    const prefix = uniqueName('cli-topics');
    const env = topicEnv(prefix);
    onTestFinished(() => deleteTopics(Object.values(env)));
    const topics = run('infra/dist/sensor-pipeline.js', ['topics', ...broker()], env, 'info');
    expect(topics.status, topics.stdout + topics.stderr).toBe(0);
    expect(topics.stdout).toMatch(/topics created/);

    const tail = run(
      'infra/dist/sensor-pipeline.js',
      ['tail', 'alerts', '--from-beginning', '--idle-timeout', '2s', ...broker()],
      env,
    );
    expect(tail.status, tail.stderr).toBe(0);
    expect(tail.stderr).toMatch(/^0 records$/m);

    const add = run(
      'packages/alerting/dist/cli.js',
      ['silence', 'add', '--match', 'rule=cpu-high', '--for', '1h', '--comment', 'cli test', ...broker()],
      env,
    );
    expect(add.status, add.stderr).toBe(0);
    const id = add.stdout.trim();
    expect(id).toMatch(/^sil_/);
    const list = run('packages/alerting/dist/cli.js', ['silence', 'list', ...broker()], env);
    expect(list.status, list.stderr).toBe(0);
    expect(list.stdout).toContain(id); // read back from the given broker: the dead one in the environment has none
  });

  it('console: starts against the given broker', async () => {
    const child = spawn(
      process.execPath,
      [
        join(REPO, 'packages/console/dist/cli.js'),
        '--port',
        '0',
        '--scrape',
        'none=http://127.0.0.1:9/metrics',
        ...broker(),
      ],
      {
        cwd: REPO,
        env: { ...process.env, KAFKA_BOOTSTRAP_SERVERS: DEAD_BROKER, LOG_LEVEL: 'warn' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    onTestFinished(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const started = await new Promise<boolean>((resolve) => {
      child.stdout.on('data', () => /console: http:\/\//.test(out) && resolve(true));
      child.once('exit', () => resolve(false));
    });
    expect(started, out).toBe(true);
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) =>
      child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (c) => resolve(c)),
    );
    expect(code, out).toBe(0);
  });
});

describe('KAFKA_BOOTSTRAP_SERVERS alone names the broker', () => {
  it('sensor-pipeline topics and tail, alerting silence: with the broker in KAFKA_BOOTSTRAP_SERVERS only', () => {
    const prefix = uniqueName('cli-env-topics');
    const topicNames = topicEnv(prefix);
    const env = {
      KAFKA_BOOTSTRAP_SERVERS: bootstrapServers(), // no --bootstrap-servers: the variable alone names the broker
      ...topicNames,
    };
    onTestFinished(() => deleteTopics(Object.values(topicNames)));
    const topics = run('infra/dist/sensor-pipeline.js', ['topics'], env, 'info');
    expect(topics.status, topics.stdout + topics.stderr).toBe(0);
    expect(topics.stdout).toMatch(/topics created/);
    expect(topics.stdout).toContain(`"bootstrapServers":"${bootstrapServers()}"`);
    const tail = run(
      'infra/dist/sensor-pipeline.js',
      ['tail', 'alerts', '--from-beginning', '--idle-timeout', '2s'],
      env,
    );
    expect(tail.status, tail.stderr).toBe(0);
    expect(tail.stderr).toMatch(/^0 records$/m);
    const list = run('packages/alerting/dist/cli.js', ['silence', 'list'], env);
    expect(list.status, list.stderr).toBe(0);

    // what an env file passes on as written: refused at once, naming the variable, before any Kafka client
    const quoted = run('infra/dist/sensor-pipeline.js', ['topics'], {
      ...env,
      KAFKA_BOOTSTRAP_SERVERS: `"${bootstrapServers()}"`,
    });
    expect(quoted.status, quoted.stderr).toBe(2);
    expect(quoted.stderr).toMatch(/KAFKA_BOOTSTRAP_SERVERS=.*remove the quotes/);
  });
});
