/**
 * A real Apache Kafka broker (KRaft, one node acting as broker and controller) for machines without
 * Docker: the jars come from Maven Central through `infra/kafka/pom.xml` into a git-ignored cache, the
 * storage is formatted once with a generated cluster id, and `kafka.Kafka` runs on Java 17+ on loopback
 * with its own port and data directory. Data survives stop/start; `reset` wipes it.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  appendFileSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { connect } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PipelineError } from '@sensor-pipeline/shared';

/** Must equal the apache/kafka image tag in infra/docker-compose.yml and kafka.version in infra/kafka/pom.xml. */
export const KAFKA_VERSION = '4.1.1';

/** Written to the broker's log before each start, so readiness looks only at the latest start's lines. */
export const LOCAL_KAFKA_START_MARKER = '--- local-kafka: starting the broker';

const INFRA_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const DEFAULT_KAFKA_HOME = process.env['LOCAL_KAFKA_HOME'] ?? join(INFRA_DIR, '.kafka');

export interface LocalKafkaOptions {
  /** Where jars and data live; default infra/.kafka (or LOCAL_KAFKA_HOME). */
  readonly home?: string;
  /** Client port on 127.0.0.1 (the controller uses port + 1). */
  readonly port?: number;
  /**
   * The port clients are told to connect to (`advertised.listeners`); default `port`. Another one puts
   * something between the clients and the broker (a TCP proxy on 127.0.0.1 forwarding to `port`).
   */
  readonly advertisedPort?: number;
  /** Data directory; default <home>/data-<port>. */
  readonly dataDir?: string;
  /** JVM heap, e.g. 512m. */
  readonly heap?: string;
  /** Progress lines (fetch, format, start); default: to stderr. */
  readonly progress?: (line: string) => void;
}

export class LocalKafka {
  readonly home: string;
  readonly port: number;
  readonly advertisedPort: number;
  readonly controllerPort: number;
  readonly dataDir: string;
  readonly heap: string;
  private readonly progress: (line: string) => void;

  constructor(options: LocalKafkaOptions = {}) {
    this.home = options.home ?? DEFAULT_KAFKA_HOME;
    this.port = options.port ?? 9092;
    this.advertisedPort = options.advertisedPort ?? this.port;
    this.controllerPort = this.port + 1;
    this.dataDir = options.dataDir ?? join(this.home, `data-${this.port}`);
    this.heap = options.heap ?? '512m';
    this.progress = options.progress ?? ((line) => process.stderr.write(`[local-kafka] ${line}\n`));
  }

  get bootstrapServers(): string {
    return `127.0.0.1:${this.port}`;
  }

  get libsDir(): string {
    return join(this.home, KAFKA_VERSION, 'libs');
  }

  private get pidFile(): string {
    return join(this.dataDir, 'broker.pid');
  }

  get logFile(): string {
    return join(this.dataDir, 'broker.out');
  }

  /** True when the jars are in the cache. */
  hasJars(): boolean {
    return existsSync(join(this.libsDir, '.complete'));
  }

  /** Copies kafka_2.13 and its runtime dependencies from Maven Central (once; later calls return at once). */
  async fetchJars(): Promise<void> {
    if (this.hasJars()) return;
    mkdirSync(this.libsDir, { recursive: true });
    this.progress(`fetching Apache Kafka ${KAFKA_VERSION} jars from Maven Central into ${this.libsDir}`);
    const started = Date.now();
    const mvn = spawn(
      'mvn',
      [
        '-B',
        '-q',
        '-f',
        join(INFRA_DIR, 'kafka', 'pom.xml'),
        `-Dkafka.version=${KAFKA_VERSION}`,
        'dependency:copy-dependencies',
        `-DoutputDirectory=${this.libsDir}`,
        '-DincludeScope=runtime',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    mvn.stdout.on('data', (d: Buffer) => (output += d.toString()));
    mvn.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const ticker = setInterval(() => {
      const jars = readdirSync(this.libsDir).filter((f) => f.endsWith('.jar')).length;
      this.progress(`still fetching: ${jars} jars so far, ${Math.round((Date.now() - started) / 1000)} s`);
    }, 5_000);
    const code = await new Promise<number>((res) => mvn.on('close', (c) => res(c ?? 1)));
    clearInterval(ticker);
    if (code !== 0)
      throw new PipelineError(
        'LOCAL_KAFKA_FETCH_FAILED',
        `mvn dependency:copy-dependencies failed (exit ${code}):\n${output.slice(-4_000)}`,
      );
    const jars = readdirSync(this.libsDir).filter((f) => f.endsWith('.jar')).length;
    writeFileSync(join(this.libsDir, '.complete'), `${KAFKA_VERSION}\n`);
    this.progress(`fetched ${jars} jars in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }

  /** The pid of a broker started from this data directory, if it is alive. */
  runningPid(): number | undefined {
    if (!existsSync(this.pidFile)) return undefined;
    const pid = Number(readFileSync(this.pidFile, 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 0) return undefined;
    try {
      process.kill(pid, 0);
      return pid;
    } catch {
      return undefined;
    }
  }

  /**
   * Starts the broker in the background (formatting its storage on first use) and waits until it accepts
   * connections. Returns at once if it is already running. The broker keeps running after this process exits.
   */
  async start(options: { timeoutMs?: number } = {}): Promise<string> {
    const timeoutMs = options.timeoutMs ?? 90_000;
    if (this.runningPid() !== undefined && (await portOpen(this.port))) {
      this.progress(`already running at ${this.bootstrapServers} (pid ${this.runningPid()})`);
      return this.bootstrapServers;
    }
    if (await portOpen(this.port)) {
      throw new PipelineError(
        'LOCAL_KAFKA_PORT_TAKEN',
        `port ${this.port} is taken by another process; choose another with --port`,
      );
    }
    await this.fetchJars();
    mkdirSync(this.dataDir, { recursive: true });
    const propsFile = join(this.dataDir, 'server.properties');
    writeFileSync(propsFile, this.serverProperties());
    writeFileSync(join(this.dataDir, 'log4j2.yaml'), LOG4J2_CONFIG);
    if (!existsSync(join(this.dataDir, 'logs', 'meta.properties'))) {
      const clusterId = newClusterId();
      this.progress(`formatting storage in ${this.dataDir} (cluster id ${clusterId})`);
      const format = spawnSync(
        'java',
        [
          ...this.jvmArgs(),
          'kafka.tools.StorageTool',
          'format',
          '-t',
          clusterId,
          '-c',
          propsFile,
          '--ignore-formatted',
        ],
        { encoding: 'utf8' },
      );
      if (format.status !== 0)
        throw new PipelineError(
          'LOCAL_KAFKA_FORMAT_FAILED',
          `formatting Kafka storage failed:\n${format.stdout}\n${format.stderr}`,
        );
    }
    this.progress(
      `starting Apache Kafka ${KAFKA_VERSION} on ${this.bootstrapServers} (heap ${this.heap}, log ${this.logFile})`,
    );
    // the log is appended across starts: a marker makes ready() look only at this start's lines
    appendFileSync(this.logFile, `${LOCAL_KAFKA_START_MARKER} ${new Date().toISOString()}\n`);
    const out = openSync(this.logFile, 'a');
    const child = spawn(
      'java',
      [...this.jvmArgs(), `-Dlog4j2.configurationFile=${join(this.dataDir, 'log4j2.yaml')}`, 'kafka.Kafka', propsFile],
      {
        detached: true,
        stdio: ['ignore', out, out],
      },
    );
    closeSync(out);
    child.unref();
    writeFileSync(this.pidFile, `${child.pid}\n`);
    const started = Date.now();
    let lastNote = started;
    while (!(await this.ready())) {
      if (this.runningPid() === undefined)
        throw new PipelineError(
          'LOCAL_KAFKA_EXITED',
          `the broker exited during start; see ${this.logFile}:\n${tail(this.logFile)}`,
        );
      if (Date.now() - started > timeoutMs) {
        await this.stop();
        throw new PipelineError(
          'LOCAL_KAFKA_START_TIMEOUT',
          `the broker did not become ready in ${timeoutMs} ms; see ${this.logFile}:\n${tail(this.logFile)}`,
        );
      }
      if (Date.now() - lastNote > 5_000) {
        lastNote = Date.now();
        this.progress(`waiting for the broker (${Math.round((Date.now() - started) / 1000)} s)`);
      }
      await sleep(250);
    }
    this.progress(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s at ${this.bootstrapServers}`);
    return this.bootstrapServers;
  }

  /**
   * Ready = the client port accepts connections and the broker has logged that it started — since its latest
   * start (the log is appended across restarts, so an earlier start's line does not count).
   */
  async ready(): Promise<boolean> {
    if (!(await portOpen(this.port))) return false;
    if (!existsSync(this.logFile)) return false;
    const text = readFileSync(this.logFile, 'utf8').slice(-200_000);
    const latest = text.lastIndexOf(LOCAL_KAFKA_START_MARKER);
    return /Kafka Server started/.test(latest >= 0 ? text.slice(latest) : text);
  }

  /** Stops the broker with SIGTERM (a controlled shutdown that flushes its logs), SIGKILL after `timeoutMs`. */
  async stop(options: { timeoutMs?: number } = {}): Promise<boolean> {
    const pid = this.runningPid();
    if (pid === undefined) return false;
    this.progress(`stopping the broker (pid ${pid})`);
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + (options.timeoutMs ?? 30_000);
    while (this.runningPid() !== undefined) {
      if (Date.now() > deadline) {
        this.progress('the broker did not stop in time; killing it');
        process.kill(pid, 'SIGKILL');
        await sleep(500);
        break;
      }
      await sleep(200);
    }
    rmSync(this.pidFile, { force: true });
    this.progress('stopped');
    return true;
  }

  /** Stops the broker and deletes its data directory. */
  async reset(): Promise<void> {
    await this.stop();
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  private jvmArgs(): string[] {
    return [
      `-Xms${this.heap === '512m' ? '128m' : this.heap}`,
      `-Xmx${this.heap}`,
      '-XX:+UseG1GC',
      '-XX:MaxGCPauseMillis=20',
      '-XX:+ExitOnOutOfMemoryError',
      '-Djava.awt.headless=true',
      '-cp',
      `${this.libsDir}/*`,
    ];
  }

  private serverProperties(): string {
    return `# written by local-kafka on every start; edit infra/src/local-kafka.ts instead
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:${this.controllerPort}
listeners=PLAINTEXT://127.0.0.1:${this.port},CONTROLLER://127.0.0.1:${this.controllerPort}
advertised.listeners=PLAINTEXT://127.0.0.1:${this.advertisedPort}
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=${join(this.dataDir, 'logs')}
num.partitions=1
default.replication.factor=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=10
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=4
log.retention.hours=168
`;
  }
}

const LOG4J2_CONFIG = `Configuration:
  Appenders:
    Console:
      name: STDOUT
      PatternLayout:
        pattern: "[%d] %p %m (%c)%n"
  Loggers:
    Root:
      level: INFO
      AppenderRef:
        - ref: STDOUT
    Logger:
      - name: kafka.request.logger
        level: WARN
      - name: org.apache.kafka.controller
        level: WARN
`;

export function portOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    const done = (open: boolean): void => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** A base64url cluster id like Kafka's own: never starting with '-', which the storage tool would read as a flag. */
function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

function tail(file: string, lines = 30): string {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n') : '(no log)';
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
