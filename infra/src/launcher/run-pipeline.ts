/**
 * `runPipeline(options)`: the one-command pipeline (`sensor-pipeline up`) — the broker, the topics and every
 * service, a live view until Ctrl-C or SIGTERM, then everything stopped in order. The work is done by a
 * {@link PipelineRun} (its start and stop sequences); this file holds the launcher's options.
 *
 * Resolves with the process exit status: 0 when it was asked to stop and everything stopped cleanly.
 */
import type { ServicePorts } from '../pipeline-services.js';
import type { LiveView } from './live-view.js';
import { PipelineRun } from './pipeline-run.js';

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

export function runPipeline(options: LauncherOptions): Promise<number> {
  return new PipelineRun(options).run();
}
