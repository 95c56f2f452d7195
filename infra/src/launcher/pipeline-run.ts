/**
 * `PipelineRun`: one run of the whole pipeline by the launcher, as a small object — a start sequence, a
 * watch while it runs, and a stop sequence, with the run's state in named fields instead of closures.
 *
 * Start: stop the services a killed launcher left behind, check that everything is built, configured and
 * has free ports, start (or reuse) the local broker unless one is given, create the topics, then start the
 * services from `pipelineServices()` in start order (sink → alerting → processor → simulator), each awaited
 * on its `/readyz`, their logs in `<runDir>/logs/`.
 * Watch: a live view of the whole until Ctrl-C / SIGTERM, or until a service exits unexpectedly. SIGHUP is the
 * reload signal: it is passed on to every running service (processor and alerting reload their config) and the
 * launcher goes on.
 * Stop: the services in the opposite order — producers first, each consumer given a moment to drain what
 * is left for it, SIGTERM with a deadline, SIGKILL after — and the broker last, only if this run started
 * it. A second signal kills everything at once. Nothing acknowledged is lost on the way: every service
 * commits only what it finished, so whatever was in flight is read again on the next start.
 */
import { createWriteStream, existsSync, mkdirSync, renameSync } from 'node:fs';
import { join, relative } from 'node:path';
import {
  createAdmin,
  createLogger,
  type KafkaSettings,
  type Logger,
  pipelineTopicSpecs,
  StartupError,
  topicNamesFromEnv,
} from '@sensor-pipeline/shared';
import { createPipelineTopics } from '../create-pipeline-topics.js';
import { LocalKafka, portOpen } from '../local-kafka.js';
import {
  type Deployment,
  pipelineServices,
  type ServiceName,
  type ServicePorts,
  type ServiceSpec,
  SINK_PATH,
  START_ORDER,
  STOP_ORDER,
} from '../pipeline-services.js';
import { type FiringNow, fetchFiringNow } from './console-alerts.js';
import { demoSinkSecret } from './demo-sink-secret.js';
import { LineFollower } from './line-follower.js';
import type { LiveView, ServiceState } from './live-view.js';
import {
  carryForward,
  groupLag,
  type PipelineRates,
  type PipelineSnapshot,
  ratesBetween,
  snapshotPipeline,
} from './pipeline-stats.js';
import type { LauncherOptions } from './run-pipeline.js';
import { alive, commandLine, readRunRecord, reapOrphans, removeRunRecord, writeRunRecord } from './run-record.js';
import { describeExit, type ExitStatus, ServiceProcess } from './service-process.js';
import { parseSinkLine, type SinkEvent } from './sink-events.js';

/** How a run ended: why, and whether that is a failure (exit status 1). */
interface Outcome {
  readonly reason: string;
  readonly failed: boolean;
}

/** What reached the demo receiver's path. */
interface SinkCounts {
  firing: number;
  resolved: number;
  duplicates: number;
}

type Admin = ReturnType<typeof createAdmin>;
type TopicNames = ReturnType<typeof topicNamesFromEnv>;

/** Interval between two drain checks of a consumer's lag while stopping. */
const DRAIN_POLL_MS = 250;
/** How long the local broker may take to start. */
const BROKER_START_TIMEOUT_MS = 120_000; // two minutes
/** How long creating the topics may take. */
const TOPICS_TIMEOUT_MS = 60_000; // one minute

export class PipelineRun {
  private readonly options: LauncherOptions;
  private readonly view: LiveView;
  private readonly logDir: string;
  /** `logDir` as the user should read it (relative to the working directory). */
  private readonly shownLogDir: string;
  private readonly startedAtMs = Date.now();
  private readonly topics: TopicNames;

  // --- the services ------------------------------------------------------------------------------------------
  private readonly procs = new Map<ServiceName, ServiceProcess>();
  private readonly states = new Map<ServiceName, ServiceState>(START_ORDER.map((n) => [n, 'waiting']));
  private services: ServiceSpec[] = [];
  private sinkSecret = '';

  // --- Kafka -------------------------------------------------------------------------------------------------
  private bootstrapServers: string;
  /** The local broker, when no broker was given. */
  private kafka: LocalKafka | undefined;
  /** Whether this run started the local broker (and so stops it). */
  private startedBroker = false;
  private admin: Admin | undefined;

  // --- what the live view shows ------------------------------------------------------------------------------
  private readonly sinkCounts: SinkCounts = { firing: 0, resolved: 0, duplicates: 0 };
  private sinkFollower: LineFollower | undefined;
  private snapshot: PipelineSnapshot | undefined;
  private rates: PipelineRates | undefined;
  /** The alerts firing now, from the web console (undefined while it does not answer). */
  private firingNow: FiringNow[] | undefined;
  private ticking = false;

  // --- stopping ----------------------------------------------------------------------------------------------
  /** The first signal's name, once a stop was asked for. */
  private stopReason: string | undefined;
  private readonly stopRequested: Promise<string>;
  private requestStop!: (reason: string) => void;
  private outcome: Outcome | undefined;
  private logger!: Logger;

  constructor(options: LauncherOptions) {
    this.options = options;
    this.view = options.view;
    this.logDir = join(options.runDir, 'logs');
    this.shownLogDir = relative(process.cwd(), this.logDir) || this.logDir;
    this.topics = topicNamesFromEnv(options.env);
    this.bootstrapServers = options.bootstrapServers ?? `127.0.0.1:${options.kafkaPort}`;
    this.stopRequested = new Promise<string>((resolve) => (this.requestStop = resolve));
  }

  /** Starts everything, runs until asked to stop or a service fails, stops everything; the exit status. */
  async run(): Promise<number> {
    const previous = readRunRecord(this.options.runDir);
    if (this.anotherLauncherRuns(previous)) return 1;
    this.openLogs();
    this.listenForSignals();
    try {
      if (previous) await reapOrphans(previous, (line) => this.view.info(line));
      if (await this.start()) {
        this.outcome = await this.watch();
        if (this.outcome.failed) this.view.info(`error: ${this.outcome.reason}`);
      }
    } catch (err) {
      const message = (err as Error).message;
      this.logger.error({ err }, 'launcher failed');
      this.view.info(`error: ${message}`);
      this.outcome = { reason: message, failed: true };
    }
    return this.stop();
  }

  // === start ===================================================================================================

  /** The start sequence; false when a stop was asked for on the way (not a failure). Throws what prevents it. */
  private async start(): Promise<boolean> {
    writeRunRecord(this.options.runDir, {
      launcherPid: process.pid,
      startedAt: new Date().toISOString(),
      repoDir: this.options.repoDir,
      services: {},
    });
    this.sinkSecret = this.options.env['SINK_SECRET'] || demoSinkSecret();
    if (!this.options.env['SINK_SECRET'])
      this.view.info('no SINK_SECRET set: generated a demo webhook signing secret for this run');
    this.services = pipelineServices(this.deployment());
    await preflight(this.services, this.options.repoDir, this.options.ports);
    await this.startBroker();
    if (this.stopReason) return false;
    await this.createTopics();
    await this.startServices();
    if (this.stopReason) return false;
    this.view.info(`all services ready; logs in ${this.shownLogDir}/`);
    this.view.info(`web console: ${this.consoleUrl}`);
    return true;
  }

  /** One launcher per run directory: a second one would take over the first one's logs and services. */
  private anotherLauncherRuns(previous: ReturnType<typeof readRunRecord>): boolean {
    if (
      !previous ||
      previous.launcherPid === process.pid ||
      !alive(previous.launcherPid) ||
      !/sensor-pipeline|launcher/.test(commandLine(previous.launcherPid) ?? 'sensor-pipeline')
    )
      return false;
    this.view.info(
      `error: another launcher (pid ${previous.launcherPid}) runs the pipeline from ${this.options.runDir}; stop it first ` +
        `(Ctrl-C there, or kill ${previous.launcherPid}), or use another --run-dir`,
    );
    this.view.close();
    return true;
  }

  /** The logs directory, the previous run's logs kept as `*.previous.log`, and the launcher's own log. */
  private openLogs(): void {
    mkdirSync(this.logDir, { recursive: true });
    rotateLogs(this.logDir);
    this.logger = createLogger({
      service: 'launcher',
      level: this.options.env['LOG_LEVEL'] ?? 'info',
      destination: createWriteStream(join(this.logDir, 'launcher.log'), { flags: 'a' }),
    });
  }

  private deployment(): Deployment {
    const { options } = this;
    return {
      bootstrapServers: this.bootstrapServers,
      topics: this.topics,
      ports: options.ports,
      hostOf: () => '127.0.0.1',
      listenHost: '127.0.0.1',
      sinkSecret: this.sinkSecret,
      realtime: options.realtime,
      simulatorArgs: options.simulatorArgs,
      ...(options.env['PROCESSOR_GROUP_ID'] ? { processorGroup: options.env['PROCESSOR_GROUP_ID'] } : {}),
    };
  }

  /** The given broker, or the local one: started, or reused when it already runs on `kafkaPort`. */
  private async startBroker(): Promise<void> {
    const { kafkaPort } = this.options;
    if (this.options.bootstrapServers !== undefined) {
      this.view.info(`using the broker at ${this.bootstrapServers}`);
      return;
    }
    const kafka = new LocalKafka({ port: kafkaPort, progress: (line) => this.view.info(`kafka: ${line}`) });
    this.kafka = kafka;
    const wasRunning = kafka.runningPid() !== undefined && (await portOpen(kafkaPort));
    if (!wasRunning && (await portOpen(kafkaPort))) {
      throw new StartupError(
        `port ${kafkaPort} is taken by a process the launcher did not start: if it is a Kafka broker, use it with ` +
          `KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:${kafkaPort} (or --no-broker); otherwise give the local broker another port with --kafka-port`,
      );
    }
    this.bootstrapServers = await kafka.start({ timeoutMs: BROKER_START_TIMEOUT_MS });
    this.startedBroker = !wasRunning;
    if (!this.startedBroker)
      this.view.info(
        `using the local broker already running at ${this.bootstrapServers} (it stays running afterwards)`,
      );
    this.services = pipelineServices(this.deployment());
  }

  /** The pipeline's topics (created when missing), and the admin client the live view reads lag with. */
  private async createTopics(): Promise<void> {
    const settings: KafkaSettings = { bootstrapServers: this.bootstrapServers, clientId: 'sensor-pipeline-launcher' };
    const specs = pipelineTopicSpecs(this.topics, { replicationFactor: this.options.replicationFactor });
    const report = await createPipelineTopics(settings, specs, this.topics, this.logger, {
      timeoutMs: TOPICS_TIMEOUT_MS,
    });
    const created = report.created.length ? `created ${report.created.join(', ')}` : 'all present';
    const present = report.existing.length && report.created.length ? `; present: ${report.existing.join(', ')}` : '';
    this.view.info(`topics: ${created}${present}`);
    for (const warning of report.warnings) this.view.info(`topics: warning: ${warning}`);
    this.admin = createAdmin(settings, this.logger);
    await this.admin.connect();
  }

  /** The services in start order (consumers before producers), each awaited on its readiness endpoint. */
  private async startServices(): Promise<void> {
    const { options, view } = this;
    for (const spec of this.services) {
      if (this.stopReason) return;
      const proc = new ServiceProcess(spec, { cwd: options.repoDir, logDir: this.logDir, baseEnv: options.env });
      this.procs.set(spec.name, proc);
      this.states.set(spec.name, 'starting');
      view.info(`starting ${spec.name}: ${spec.command.join(' ')}`);
      this.logger.info({ serviceName: spec.name, command: spec.command, opsPort: spec.opsPort }, 'starting service');
      proc.start();
      recordPids(options.runDir, options.repoDir, this.procs);
      if (spec.name === 'sink') this.sinkFollower = new LineFollower(proc.logFile, { fromStart: true });
      try {
        await proc.waitReady(options.readyTimeoutMs, () => this.stopReason !== undefined);
      } catch (err) {
        if (this.stopReason) return; // asked to stop while it was starting: not a failure
        throw err;
      }
      const finished = proc.exited?.code === 0;
      this.states.set(spec.name, finished ? 'finished' : 'ready');
      view.info(
        finished
          ? `${spec.name} finished before its first readiness probe`
          : `${spec.name} ready (${proc.opsUrl}${spec.readyPath})`,
      );
    }
  }

  // === watch ===================================================================================================

  /** The live view, refreshed every `tickMs`, until a stop request or a service failing. */
  private async watch(): Promise<Outcome> {
    await this.tick();
    const timer = setInterval(() => void this.tick(), this.options.tickMs);
    try {
      return await Promise.race([
        this.stopRequested.then((signal): Outcome => ({ reason: signal, failed: false })),
        this.serviceFailure(),
      ]);
    } finally {
      clearInterval(timer);
      this.drainSink();
    }
  }

  /** Resolves when a service exits unexpectedly (a service allowed to finish may exit 0). */
  private serviceFailure(): Promise<Outcome> {
    return new Promise<Outcome>((resolve) => {
      for (const proc of this.procs.values()) {
        void proc.whenExited().then((status: ExitStatus) => {
          if (this.stopReason !== undefined) return;
          if (proc.spec.mayFinish && status.code === 0) {
            this.states.set(proc.spec.name, 'finished');
            this.view.info(`${proc.spec.name} finished (exit code 0); the rest keeps running — Ctrl-C to stop`);
            return;
          }
          this.states.set(proc.spec.name, 'failed');
          resolve({
            reason: `${proc.spec.name} exited unexpectedly (${describeExit(status)}); last lines of ${proc.logFile}:\n${proc.logTail()}`,
            failed: true,
          });
        });
      }
    });
  }

  /** One refresh of the live view: new sink lines, a metrics snapshot, rates since the previous one. */
  private async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      this.drainSink();
      const next = carryForward(
        this.snapshot,
        await snapshotPipeline(this.services, this.admin, (spec) =>
          spec.consumes ? this.topics[spec.consumes] : undefined,
        ),
      );
      this.rates = ratesBetween(this.snapshot, next);
      this.snapshot = next;
      this.firingNow = await fetchFiringNow(this.consoleUrl);
      this.render();
    } catch (err) {
      this.logger.debug({ err }, 'live view tick failed');
    } finally {
      this.ticking = false;
    }
  }

  private render(): void {
    this.view.status({
      startedAtMs: this.startedAtMs,
      bootstrapServers: this.bootstrapServers,
      logDir: this.shownLogDir,
      services: this.states,
      sink: this.sinkCounts,
      ...(this.snapshot ? { snapshot: this.snapshot } : {}),
      ...(this.rates ? { rates: this.rates } : {}),
      ...(this.firingNow ? { firingNow: this.firingNow } : {}),
    });
  }

  /** Where the web console answers on this machine. */
  private get consoleUrl(): string {
    return `http://127.0.0.1:${this.options.ports.console}`;
  }

  /** Shows and counts what the sink received since the last look. */
  private drainSink(): void {
    for (const line of this.sinkFollower?.poll() ?? []) {
      const event = parseSinkLine(line);
      if (!event) continue;
      countSink(this.sinkCounts, event);
      this.view.alert(event);
      this.logger.info(
        {
          path: event.path,
          status: event.status,
          rule: event.rule,
          deviceId: event.deviceId,
          subject: event.subject,
          metric: event.metric,
          duplicate: event.duplicate,
        },
        'sink received an alert',
      );
    }
  }

  // === stop ====================================================================================================

  /** The first signal stops in order; a second one kills everything at once. */
  private readonly onSignal = (signal: NodeJS.Signals): void => {
    if (this.stopReason !== undefined) {
      this.view.info(`${signal} again: killing every service now`);
      this.logger.warn({ signal }, 'second signal: killing everything');
      this.killAll();
      const brokerPid = this.startedBroker ? this.kafka?.runningPid() : undefined;
      if (brokerPid !== undefined) process.kill(brokerPid, 'SIGTERM'); // its controlled shutdown goes on without us
      process.exit(1);
    }
    this.stopReason = signal;
    this.view.info(`${signal}: stopping (Ctrl-C again to kill everything at once)`);
    this.logger.info({ signal }, 'stop requested');
    this.requestStop(signal);
  };

  /**
   * SIGHUP, the reload signal (as for Prometheus and Alertmanager): passed on to the process each service was
   * started as — not its whole group, so a service with workers passes it on itself, once — and nothing stops.
   */
  private readonly onReloadSignal = (): void => {
    const passedTo: string[] = [];
    for (const [name, proc] of this.procs) {
      if (!proc.running) continue;
      proc.signalLeader('SIGHUP');
      passedTo.push(name);
    }
    this.view.info(`SIGHUP: passed on to ${passedTo.length > 0 ? passedTo.join(', ') : 'no running service'}`);
    this.logger.info({ signal: 'SIGHUP', services: passedTo }, 'reload signal passed on');
  };

  /** Never leave a service behind, whatever ends this process. */
  private readonly onExit = (): void => this.killAll();

  private listenForSignals(): void {
    process.on('SIGINT', this.onSignal);
    process.on('SIGTERM', this.onSignal);
    process.on('SIGHUP', this.onReloadSignal);
    process.on('exit', this.onExit);
  }

  private stopListening(): void {
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
    process.off('SIGHUP', this.onReloadSignal);
    process.off('exit', this.onExit);
  }

  private killAll(): void {
    for (const proc of this.procs.values()) if (proc.running) proc.signal('SIGKILL');
  }

  /** The stop sequence: every service that was started, in stop order, then the broker; the exit status. */
  private async stop(): Promise<number> {
    const { options, view } = this;
    const failed = this.outcome?.failed === true;
    let clean = !failed;
    for (const name of STOP_ORDER) {
      const proc = this.procs.get(name);
      if (!proc) continue;
      if (proc.running && !failed) await this.drainConsumer(proc.spec);
      this.states.set(name, 'stopping');
      const result = await proc.stop(options.stopTimeoutMs);
      this.states.set(name, 'stopped');
      this.drainSink();
      const how = result.killed
        ? `did not stop within ${options.stopTimeoutMs / 1000} s: killed`
        : describeExit(result.status);
      const took =
        result.ms === 0 ? '' : result.ms < 1_000 ? `, ${result.ms} ms` : `, ${(result.ms / 1000).toFixed(1)} s`;
      view.info(`${name} stopped (${how}${took})`);
      this.logger.info(
        { serviceName: name, status: result.status, killed: result.killed, ms: result.ms },
        'service stopped',
      );
      if (!result.clean && !(proc.spec.mayFinish && result.status.code === 0)) clean = false;
    }
    await this.admin?.disconnect().catch(() => undefined);
    if (this.kafka && this.startedBroker) await this.kafka.stop();
    removeRunRecord(options.runDir);
    this.stopListening();
    const summary = `sink received ${this.sinkCounts.firing} FIRING and ${this.sinkCounts.resolved} RESOLVED alerts`;
    if (this.procs.size > 0 || clean)
      view.info(clean ? `stopped cleanly; ${summary}` : `stopped with errors; ${summary}; see ${this.shownLogDir}/`);
    view.close();
    this.logger.info({ clean, sink: this.sinkCounts }, 'launcher done');
    return clean ? 0 : 1;
  }

  /** Before stopping a consumer, wait (bounded) until it has read what its producer, already stopped, wrote last. */
  private async drainConsumer(spec: ServiceSpec): Promise<void> {
    const { drainTimeoutMs } = this.options;
    if (!spec.consumes || !spec.consumerGroup || !this.admin || drainTimeoutMs <= 0) return;
    const topic = this.topics[spec.consumes];
    const deadline = Date.now() + drainTimeoutMs;
    while (Date.now() < deadline) {
      if ((await groupLag(this.admin, spec.consumerGroup, topic)) === 0) return;
      await new Promise((r) => setTimeout(r, DRAIN_POLL_MS));
    }
    this.view.info(
      `${spec.name} had not caught up after ${drainTimeoutMs / 1000} s; what it did not finish is read again on the next start`,
    );
  }
}

/** Counts what reached the demo receiver's path (every alert is routed there; other paths get copies). */
function countSink(counts: SinkCounts, event: SinkEvent): void {
  if (event.path !== SINK_PATH) return;
  if (event.duplicate) counts.duplicates += 1;
  else if (event.status === 'FIRING') counts.firing += 1;
  else counts.resolved += 1;
}

function recordPids(runDir: string, repoDir: string, procs: ReadonlyMap<ServiceName, ServiceProcess>): void {
  const services: Record<string, { pid: number; script: string }> = {};
  for (const [name, proc] of procs)
    if (proc.pid !== undefined) services[name] = { pid: proc.pid, script: proc.spec.command[1] ?? '' };
  writeRunRecord(runDir, { launcherPid: process.pid, startedAt: new Date().toISOString(), repoDir, services });
}

/** Keeps one previous run's logs as `<name>.previous.log`. */
function rotateLogs(logDir: string): void {
  for (const name of [...START_ORDER, 'launcher']) {
    const file = join(logDir, `${name}.log`);
    if (existsSync(file)) renameSync(file, join(logDir, `${name}.previous.log`));
  }
}

/** Built, configured and with free ports — or a message that says what to do. */
async function preflight(services: readonly ServiceSpec[], repoDir: string, ports: ServicePorts): Promise<void> {
  const problems: string[] = [];
  for (const spec of services) {
    const script = spec.command.slice(1).find((arg) => !arg.startsWith('-')); // after node's own flags
    if (script && !existsSync(join(repoDir, script)))
      problems.push(`${spec.name}: ${script} does not exist — build the services first (pnpm build)`);
    for (const file of spec.configFiles)
      if (!existsSync(join(repoDir, file))) problems.push(`${spec.name}: config file ${file} does not exist`);
  }
  const labels: Record<keyof ServicePorts, string> = {
    sinkWebhook: 'sink webhook',
    alertingOps: 'alerting ops',
    processorOps: 'processor ops',
    simulatorOps: 'simulator ops',
    console: 'web console',
  };
  for (const [key, port] of Object.entries(ports) as [keyof ServicePorts, number][]) {
    if (await portOpen(port))
      problems.push(
        `port ${port} (${labels[key]}) is in use — stop what listens there or choose other ports with --port-base`,
      );
  }
  if (problems.length > 0) throw new StartupError(`cannot start the pipeline:\n  ${problems.join('\n  ')}`);
}
