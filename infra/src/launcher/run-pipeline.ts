/**
 * The one-command pipeline: the local Kafka broker (unless one is given), the topics, then the services
 * from `pipelineServices()` in start order (sink → alerting → processor → simulator), each awaited on its
 * `/readyz`, their logs in `<runDir>/logs/`, and a live view of the whole until Ctrl-C or SIGTERM. Then it
 * stops them in the opposite order — producers first, each consumer given a moment to drain what is left
 * for it, SIGTERM with a deadline, SIGKILL after — and the broker last, only if it started it. Nothing
 * acknowledged is lost on the way: every service commits only what it finished, so whatever was in flight
 * is read again on the next start.
 *
 * Resolves with the process exit status: 0 when it was asked to stop and everything stopped cleanly.
 */
import { createWriteStream, existsSync, mkdirSync, renameSync } from 'node:fs';
import { join, relative } from 'node:path';
import {
  createAdmin,
  createLogger,
  type KafkaSettings,
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
import { pipelineTopicSpecs } from '../pipeline-topics.js';
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
import { alive, commandLine, readRunRecord, reapOrphans, removeRunRecord, writeRunRecord } from './run-record.js';
import { describeExit, type ExitStatus, ServiceProcess } from './service-process.js';
import { parseSinkLine, type SinkEvent } from './sink-events.js';

export interface LauncherOptions {
  /** The repository root: every service's working directory. */
  readonly repoDir: string;
  /** Logs and the run record; default `<repo>/.run`. */
  readonly runDir: string;
  /** A broker to use; when undefined the local broker is started (or reused) on `kafkaPort`. */
  readonly bootstrapServers?: string;
  readonly kafkaPort: number;
  readonly ports: ServicePorts;
  /** Pace the simulator in real time (the demo); false runs it as fast as it can. */
  readonly realtime: boolean;
  readonly simulatorArgs: readonly string[];
  readonly readyTimeoutMs: number;
  readonly stopTimeoutMs: number;
  /** How long a consumer may take to catch up before it is stopped (its producer is already stopped). */
  readonly drainTimeoutMs: number;
  readonly replicationFactor: number;
  readonly tickMs: number;
  readonly view: LiveView;
  readonly env: NodeJS.ProcessEnv;
}

interface Outcome {
  readonly reason: string;
  readonly failed: boolean;
}

export async function runPipeline(options: LauncherOptions): Promise<number> {
  const { view, repoDir, runDir } = options;
  // one launcher per run directory: a second one would take over the first one's logs and services
  const previous = readRunRecord(runDir);
  if (
    previous &&
    previous.launcherPid !== process.pid &&
    alive(previous.launcherPid) &&
    /sensor-pipeline|launcher/.test(commandLine(previous.launcherPid) ?? 'sensor-pipeline')
  ) {
    view.info(
      `error: another launcher (pid ${previous.launcherPid}) runs the pipeline from ${runDir}; stop it first (Ctrl-C there, or kill ${previous.launcherPid}), or use another --run-dir`,
    );
    view.close();
    return 1;
  }
  const logDir = join(runDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  rotateLogs(logDir);
  const logger = createLogger({
    service: 'launcher',
    level: options.env['LOG_LEVEL'] ?? 'info',
    destination: createWriteStream(join(logDir, 'launcher.log'), { flags: 'a' }),
  });
  const shownLogDir = relative(process.cwd(), logDir) || logDir;

  // --- stop requests: the first signal stops in order, a second one kills everything at once ---------------
  const procs = new Map<ServiceName, ServiceProcess>();
  let stopReason: string | undefined;
  let requestStop!: (reason: string) => void;
  const stopRequested = new Promise<string>((resolve) => (requestStop = resolve));
  const killAll = (): void => {
    for (const proc of procs.values()) if (proc.running) proc.signal('SIGKILL');
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopReason !== undefined) {
      view.info(`${signal} again: killing every service now`);
      logger.warn({ signal }, 'second signal: killing everything');
      killAll();
      const brokerPid = startedBroker ? kafka?.runningPid() : undefined;
      if (brokerPid !== undefined) process.kill(brokerPid, 'SIGTERM'); // its controlled shutdown goes on without us
      process.exit(1);
    }
    stopReason = signal;
    view.info(`${signal}: stopping (Ctrl-C again to kill everything at once)`);
    logger.info({ signal }, 'stop requested');
    requestStop(signal);
  };
  const onExit = (): void => killAll(); // never leave a service behind, whatever ends this process
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
  process.on('exit', onExit);

  let kafka: LocalKafka | undefined;
  let startedBroker = false;
  let admin: ReturnType<typeof createAdmin> | undefined;
  let outcome: Outcome | undefined;
  const state = new Map<ServiceName, ServiceState>(START_ORDER.map((n) => [n, 'waiting']));
  const sinkCounts = { firing: 0, resolved: 0, duplicates: 0 };
  let sinkFollower: LineFollower | undefined;
  let snapshot: PipelineSnapshot | undefined;
  let rates: PipelineRates | undefined;
  let bootstrapServers = options.bootstrapServers ?? `127.0.0.1:${options.kafkaPort}`;
  const startedAtMs = Date.now();
  let services: ServiceSpec[] = [];

  const drainSink = (): void => {
    for (const line of sinkFollower?.poll() ?? []) {
      const event = parseSinkLine(line);
      if (!event) continue;
      countSink(sinkCounts, event);
      view.alert(event);
      logger.info(
        {
          path: event.path,
          status: event.status,
          rule: event.rule,
          deviceId: event.deviceId,
          metric: event.metric,
          duplicate: event.duplicate,
        },
        'sink received an alert',
      );
    }
  };
  const render = (): void =>
    view.status({
      startedAtMs,
      bootstrapServers,
      logDir: shownLogDir,
      services: state,
      sink: sinkCounts,
      ...(snapshot ? { snapshot } : {}),
      ...(rates ? { rates } : {}),
    });

  try {
    // --- services a killed launcher left behind are stopped ------------------------------------------------
    if (previous) await reapOrphans(previous, (line) => view.info(line));
    writeRunRecord(runDir, { launcherPid: process.pid, startedAt: new Date().toISOString(), repoDir, services: {} });

    // --- what runs, and whether it can ----------------------------------------------------------------------
    const topics = topicNamesFromEnv(options.env);
    const secret = options.env['SINK_SECRET'] || demoSinkSecret();
    if (!options.env['SINK_SECRET'])
      view.info('no SINK_SECRET set: generated a demo webhook signing secret for this run');
    const deployment = (bootstrap: string): Deployment => ({
      bootstrapServers: bootstrap,
      topics,
      ports: options.ports,
      hostOf: () => '127.0.0.1',
      listenHost: '127.0.0.1',
      sinkSecret: secret,
      realtime: options.realtime,
      simulatorArgs: options.simulatorArgs,
      ...(options.env['PROCESSOR_GROUP_ID'] ? { processorGroup: options.env['PROCESSOR_GROUP_ID'] } : {}),
    });
    services = pipelineServices(deployment(bootstrapServers));
    await preflight(services, repoDir, options.ports);

    // --- the broker ---------------------------------------------------------------------------------------
    if (options.bootstrapServers === undefined) {
      kafka = new LocalKafka({ port: options.kafkaPort, progress: (line) => view.info(`kafka: ${line}`) });
      const wasRunning = kafka.runningPid() !== undefined && (await portOpen(options.kafkaPort));
      if (!wasRunning && (await portOpen(options.kafkaPort))) {
        throw new StartupError(
          `port ${options.kafkaPort} is taken by a process the launcher did not start: if it is a Kafka broker, use it with ` +
            `KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:${options.kafkaPort} (or --no-broker); otherwise give the local broker another port with --kafka-port`,
        );
      }
      bootstrapServers = await kafka.start({ timeoutMs: 120_000 });
      startedBroker = !wasRunning;
      if (!startedBroker)
        view.info(`using the local broker already running at ${bootstrapServers} (it stays running afterwards)`);
      services = pipelineServices(deployment(bootstrapServers));
    } else {
      view.info(`using the broker at ${bootstrapServers}`);
    }
    if (stopReason) return await finish();

    // --- topics -------------------------------------------------------------------------------------------
    const settings: KafkaSettings = { bootstrapServers, clientId: 'sensor-pipeline-launcher' };
    const specs = pipelineTopicSpecs(topics, { replicationFactor: options.replicationFactor });
    const report = await createPipelineTopics(settings, specs, topics, logger, { timeoutMs: 60_000 });
    view.info(
      `topics: ${report.created.length ? `created ${report.created.join(', ')}` : 'all present'}${report.existing.length && report.created.length ? `; present: ${report.existing.join(', ')}` : ''}`,
    );
    for (const warning of report.warnings) view.info(`topics: warning: ${warning}`);
    admin = createAdmin(settings, logger);
    await admin.connect();

    // --- the services, consumers before producers -----------------------------------------------------------
    for (const spec of services) {
      if (stopReason) break;
      const proc = new ServiceProcess(spec, { cwd: repoDir, logDir, baseEnv: options.env });
      procs.set(spec.name, proc);
      state.set(spec.name, 'starting');
      view.info(`starting ${spec.name}: ${spec.command.join(' ')}`);
      logger.info({ serviceName: spec.name, command: spec.command, opsPort: spec.opsPort }, 'starting service');
      proc.start();
      recordPids(runDir, repoDir, procs);
      if (spec.name === 'sink') sinkFollower = new LineFollower(proc.logFile, { fromStart: true });
      try {
        await proc.waitReady(options.readyTimeoutMs, () => stopReason !== undefined);
      } catch (err) {
        if (stopReason) break; // asked to stop while it was starting: not a failure
        throw err;
      }
      const finished = proc.exited?.code === 0;
      state.set(spec.name, finished ? 'finished' : 'ready');
      view.info(
        finished
          ? `${spec.name} finished before its first readiness probe`
          : `${spec.name} ready (${proc.opsUrl}${spec.readyPath})`,
      );
    }
    if (stopReason) return await finish();
    view.info(`all services ready; logs in ${shownLogDir}/`);

    // --- running: the live view until a stop request or a service failing ------------------------------------
    let ticking = false;
    const tick = async (): Promise<void> => {
      if (ticking) return;
      ticking = true;
      try {
        drainSink();
        const next = carryForward(
          snapshot,
          await snapshotPipeline(services, admin, (spec) => (spec.consumes ? topics[spec.consumes] : undefined)),
        );
        rates = ratesBetween(snapshot, next);
        snapshot = next;
        render();
      } catch (err) {
        logger.debug({ err }, 'live view tick failed');
      } finally {
        ticking = false;
      }
    };
    await tick();
    const timer = setInterval(() => void tick(), options.tickMs);
    const failure = new Promise<Outcome>((resolve) => {
      for (const proc of procs.values()) {
        void proc.whenExited().then((status: ExitStatus) => {
          if (stopReason !== undefined) return;
          if (proc.spec.mayFinish && status.code === 0) {
            state.set(proc.spec.name, 'finished');
            view.info(`${proc.spec.name} finished (exit code 0); the rest keeps running — Ctrl-C to stop`);
            return;
          }
          state.set(proc.spec.name, 'failed');
          resolve({
            reason: `${proc.spec.name} exited unexpectedly (${describeExit(status)}); last lines of ${proc.logFile}:\n${proc.logTail()}`,
            failed: true,
          });
        });
      }
    });
    outcome = await Promise.race([stopRequested.then((signal) => ({ reason: signal, failed: false })), failure]);
    clearInterval(timer);
    drainSink();
    if (outcome.failed) view.info(`error: ${outcome.reason}`);
    return await finish();
  } catch (err) {
    const message = (err as Error).message;
    logger.error({ err }, 'launcher failed');
    view.info(`error: ${message}`);
    outcome = { reason: message, failed: true };
    return await finish();
  }

  /** Stops everything that was started, in order; the exit status. */
  async function finish(): Promise<number> {
    let clean = outcome === undefined || !outcome.failed;
    for (const name of STOP_ORDER) {
      const proc = procs.get(name);
      if (!proc) continue;
      if (proc.running && !outcome?.failed) await drainConsumer(proc.spec);
      state.set(name, 'stopping');
      const result = await proc.stop(options.stopTimeoutMs);
      state.set(name, 'stopped');
      drainSink();
      const how = result.killed
        ? `did not stop within ${options.stopTimeoutMs / 1000} s: killed`
        : describeExit(result.status);
      const took =
        result.ms === 0 ? '' : result.ms < 1_000 ? `, ${result.ms} ms` : `, ${(result.ms / 1000).toFixed(1)} s`;
      view.info(`${name} stopped (${how}${took})`);
      logger.info(
        { serviceName: name, status: result.status, killed: result.killed, ms: result.ms },
        'service stopped',
      );
      if (!result.clean && !(proc.spec.mayFinish && result.status.code === 0)) clean = false;
    }
    await admin?.disconnect().catch(() => undefined);
    if (kafka && startedBroker) {
      await kafka.stop();
    }
    removeRunRecord(runDir);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onSignal);
    process.off('exit', onExit);
    const summary = `sink received ${sinkCounts.firing} FIRING and ${sinkCounts.resolved} RESOLVED alerts`;
    if (procs.size > 0 || clean)
      view.info(clean ? `stopped cleanly; ${summary}` : `stopped with errors; ${summary}; see ${shownLogDir}/`);
    view.close();
    logger.info({ clean, sink: sinkCounts }, 'launcher done');
    return clean ? 0 : 1;
  }

  /** Before stopping a consumer, wait (bounded) until it has read what its producer, already stopped, wrote last. */
  async function drainConsumer(spec: ServiceSpec): Promise<void> {
    if (!spec.consumes || !spec.consumerGroup || !admin || options.drainTimeoutMs <= 0) return;
    const topic = topicNamesFromEnv(options.env)[spec.consumes];
    const deadline = Date.now() + options.drainTimeoutMs;
    while (Date.now() < deadline) {
      if ((await groupLag(admin, spec.consumerGroup, topic)) === 0) return;
      await new Promise((r) => setTimeout(r, 250));
    }
    view.info(
      `${spec.name} had not caught up after ${options.drainTimeoutMs / 1000} s; what it did not finish is read again on the next start`,
    );
  }
}

/** Counts what reached the demo receiver's path (every alert is routed there; other paths get copies). */
function countSink(counts: { firing: number; resolved: number; duplicates: number }, event: SinkEvent): void {
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
    const script = spec.command[1];
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
  };
  for (const [key, port] of Object.entries(ports) as [keyof ServicePorts, number][]) {
    if (await portOpen(port))
      problems.push(
        `port ${port} (${labels[key]}) is in use — stop what listens there or choose other ports with --port-base`,
      );
  }
  if (problems.length > 0) throw new StartupError(`cannot start the pipeline:\n  ${problems.join('\n  ')}`);
}
