/**
 * Every knob of the fault-injection suite in one place, with units in the names. The defaults make one
 * scenario last about a minute or two on a 2-core machine; the CI subset shortens the workload.
 */
export type DeliveryMode = 'at-least-once' | 'exactly-once';

export interface ChaosOptions {
  /** Seeds the workload and the fault points. */
  readonly seed: number;
  /** Devices in the workload (each sends temperature and CPU). */
  readonly devices: number;
  /** Event-time length of the workload, one reading per sensor per second. */
  readonly workloadSeconds: number;
  /** Partitions of the readings topic (the state topic gets as many). */
  readonly partitions: number;
  /** Share of the readings written before the processor starts; the rest is produced alongside the faults. */
  readonly preloadShare: number;
  /** Rate of the producer running alongside the faults, readings per second. */
  readonly produceRatePerS: number;
  /** Given to the processors as KAFKA_CONFIG_SESSION_TIMEOUT_MS (0 = the client's default, 45 s). */
  readonly sessionTimeoutMs: number;
  /** Passed to the processors' --commit-interval. */
  readonly commitIntervalMs: number;
  /** Busy processes run alongside the scenarios (0 = none): the timing-dependent faults show under load. */
  readonly cpuLoad: number;
  /** Pass --static-membership to the processors (once the CLI has it). */
  readonly staticMembership: boolean;
  /** Last-resort deadline for one wait on a condition (readiness, progress, a member leaving). */
  readonly waitTimeoutMs: number;
  /** Last-resort deadline for the group's committed offsets to reach the end of the readings after a run. */
  readonly settleTimeoutMs: number;
  /** Where logs, broker data and the JSON report go. */
  readonly runDir: string;
  /** The processor CLI (built with `pnpm build`). */
  readonly processorCli: string;
  /** Progress lines while the suite runs. */
  readonly progress: (line: string) => void;
}

export const DEFAULT_CHAOS_OPTIONS = {
  seed: 42,
  devices: 30,
  workloadSeconds: 400, // 30 devices × 2 metrics × 400 s = 24,000 readings
  partitions: 4,
  preloadShare: 0.2,
  produceRatePerS: 600,
  sessionTimeoutMs: 10_000, // ten seconds: a killed member is noticed quickly, and the zombie case stays short
  commitIntervalMs: 500,
  staticMembership: false,
  cpuLoad: 0,
  waitTimeoutMs: 180_000, // three minutes
  settleTimeoutMs: 180_000, // three minutes
} as const satisfies Partial<ChaosOptions>;
