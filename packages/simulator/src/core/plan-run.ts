/**
 * Turns a scenario and run options into the fleet and its message stream: the seed (`--seed`, else the
 * scenario's, else 1), the start of event time, and where the run ends.
 *
 * Start of event time, in order: the option, the scenario's `startTime`, then the wall clock when the caller
 * gives it (`nowMs`): a real-time run starts at the current second, a fast run (count, duration or rate) so
 * that its event time ENDS at the current second (start = now − the span it covers), so that its readings
 * are not late on a broker that already holds newer data. Without `nowMs`, the fixed DEFAULT_START_TIME_MS
 * (2024-01-01T00:00:00Z), so that a deterministic run gives the same bytes whenever it is run.
 */
import type { AvroCodec, SensorReading } from '@sensor-pipeline/shared';
import { METRICS, type ScenarioFile } from '../scenario/scenario-schema.js';
import { buildFleet, DEFAULT_START_TIME_MS, type Fleet } from './fleet.js';
import { MessageSource } from './message-source.js';
import { seedFrom } from './prng.js';

export const DEFAULT_SEED = 1;

export interface RunPlanOptions {
  readonly seed?: string | number;
  readonly startTimeMs?: number;
  /** Real-time runs start at the current second unless told otherwise. */
  readonly realtime?: boolean;
  /** The wall clock (the caller's Date.now()): real-time runs start at it, fast runs end at it. */
  readonly nowMs?: number;
  /** Messages to produce; absent: until the duration ends (or forever). */
  readonly count?: number;
  /** Event time to cover; default the scenario's `duration`; absent both: no end. */
  readonly durationMs?: number;
  readonly poisonRate?: number;
  readonly codec?: AvroCodec<SensorReading>;
}

export interface RunPlan {
  /** The seed as given (string or number) and its 32-bit form. */
  readonly seed: string | number;
  readonly seed32: number;
  readonly startTimeMs: number;
  readonly endTimeMs: number | undefined;
  readonly fleet: Fleet;
  readonly source: MessageSource;
}

export function planRun(scenario: ScenarioFile, options: RunPlanOptions = {}): RunPlan {
  const seed = options.seed ?? scenario.seed ?? DEFAULT_SEED;
  const seed32 = seedFrom(seed);
  const durationMs = options.durationMs ?? scenario.duration;
  let startTimeMs = options.startTimeMs ?? scenario.startTime;
  if (startTimeMs === undefined) {
    if (options.realtime && options.nowMs === undefined)
      throw new RangeError('a real-time run without a start time needs nowMs');
    startTimeMs =
      options.nowMs === undefined
        ? DEFAULT_START_TIME_MS
        : Math.floor(options.nowMs / 1_000) * 1_000 -
          (options.realtime ? 0 : fastRunSpanMs(scenario, durationMs, options.count));
  }
  const endTimeMs = durationMs === undefined ? undefined : startTimeMs + durationMs;
  const fleet = buildFleet(scenario, { seed: seed32, startTimeMs });
  const source = new MessageSource(fleet, {
    count: options.count,
    endTimeMs,
    poisonRate: options.poisonRate,
    codec: options.codec,
  });
  return { seed, seed32, startTimeMs, endTimeMs, fleet, source };
}

/**
 * The event time a fast run covers: its duration, else what `count` readings take (the fleet reports three
 * metrics per device per interval: `METRICS`), else nothing (an endless run at a rate starts now).
 */
function fastRunSpanMs(scenario: ScenarioFile, durationMs: number | undefined, count: number | undefined): number {
  if (durationMs !== undefined) return durationMs;
  if (count === undefined) return 0;
  const perInterval = METRICS.length * scenario.fleet.sites.reduce((n, site) => n + site.devices, 0);
  return perInterval > 0 ? Math.ceil(count / perInterval) * scenario.interval : 0;
}
