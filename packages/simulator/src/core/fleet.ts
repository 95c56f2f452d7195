/**
 * A fleet: the devices of a scenario with everything needed to compute their readings — ids, labels,
 * per-device phase and levels, and the faults that hit them (as wrapped signals, silences, clock skews and
 * late deliveries). Built once, then read by the generator; no clock, no I/O.
 *
 * Every random choice comes from (seed, device id, metric), so adding a device or a site does not change
 * any other device's stream. Healthy devices carry no closures at all (their levels and stream keys sit in
 * typed arrays, evaluated by `ambientAt`), which keeps 100k devices cheap in memory.
 */

import {
  deviceId,
  type FaultSpec,
  METRIC_LIMITS,
  METRICS,
  type MetricName,
  type ScenarioFile,
} from '../scenario/scenario-schema.js';
import { type AmbientProfile, ambient, ambientAt, DEFAULT_PROFILES, deviceLevel } from '../signals/ambient.js';
import { cpuBursts } from '../signals/cpu-bursts.js';
import { memoryLeak } from '../signals/memory-leak.js';
import { rampTo } from '../signals/ramp-to.js';
import { clamp, type Signal, type TimeWindow } from '../signals/signal.js';
import { stuck } from '../signals/stuck.js';
import { temperatureSpikes } from '../signals/temperature-spikes.js';
import { streamKey, uniformAt } from './prng.js';

/** Event time of the first report when a deterministic run does not name one: 2024-01-01T00:00:00Z. */
export const DEFAULT_START_TIME_MS = Date.UTC(2024, 0, 1);

export interface LateDelivery extends TimeWindow {
  /** Stream key for the per-reading draw. */
  readonly key: number;
  readonly share: number;
  readonly byMs: number;
  /** Bit m set: metric m (temperature 1, cpu 2, memory 4) is affected. */
  readonly metricMask: number;
}

export interface ClockSkew extends TimeWindow {
  readonly offsetMs: number;
  readonly driftMsPerHour: number;
}

export interface Device {
  /** Position in the fleet: sites in order, devices in order within a site. */
  readonly index: number;
  readonly id: string;
  /** The id as UTF-8: the Kafka key, and the bytes of the Avro string. */
  readonly key: Buffer;
  /** Index into `Fleet.sites`. */
  readonly site: number;
  /** Offset of this device's reports within the interval, [0, intervalMs). */
  readonly phaseMs: number;
  /** Per-metric signals when faults change values; null for a healthy device (computed from `Fleet.levels`). */
  readonly signals: readonly [Signal, Signal, Signal] | null;
  readonly silences: readonly TimeWindow[] | null;
  readonly skews: readonly ClockSkew[] | null;
  readonly late: readonly LateDelivery[] | null;
  /** Stream key for poison draws. */
  readonly poisonKey: number;
  /** Indexes into `scenario.faults` of the faults that hit this device. */
  readonly faults: readonly number[];
}

export interface FleetSite {
  readonly name: string;
  /** `site` plus the site's labels. */
  readonly labels: Readonly<Record<string, string>>;
}

export interface Fleet {
  readonly seed: number;
  readonly startTimeMs: number;
  readonly intervalMs: number;
  readonly sites: readonly FleetSite[];
  readonly devices: readonly Device[];
  readonly profiles: readonly [AmbientProfile, AmbientProfile, AmbientProfile];
  /** levels[3·device + metric]: each sensor's own baseline. */
  readonly levels: Float64Array;
  /** keys[3·device + metric]: each sensor's noise stream key. */
  readonly keys: Uint32Array;
  /** Device indexes ordered by phase: the order of reports within one interval. */
  readonly order: Uint32Array;
  readonly scenario: ScenarioFile;
}

export interface FleetOptions {
  /** The run's 32-bit seed (see `seedFrom`). */
  readonly seed: number;
  readonly startTimeMs: number;
}

export function buildProfiles(scenario: ScenarioFile): [AmbientProfile, AmbientProfile, AmbientProfile] {
  return METRICS.map((metric) => {
    const spec = scenario.metrics[metric] ?? {};
    const d = DEFAULT_PROFILES[metric];
    const { min, max } = METRIC_LIMITS[metric];
    return {
      level: spec.level ?? d.level,
      spread: spec.spread ?? d.spread,
      dailyAmplitude: spec.dailyAmplitude ?? d.dailyAmplitude,
      dailyPeakHourUtc: spec.dailyPeakHour ?? d.dailyPeakHourUtc,
      dailyPeriodMs: spec.dailyPeriod ?? d.dailyPeriodMs,
      drift: spec.drift ?? d.drift,
      driftPeriodMs: spec.driftPeriod ?? d.driftPeriodMs,
      noise: spec.noise ?? d.noise,
      min,
      max,
    };
  }) as [AmbientProfile, AmbientProfile, AmbientProfile];
}

export function buildFleet(scenario: ScenarioFile, options: FleetOptions): Fleet {
  const { seed, startTimeMs } = options;
  const intervalMs = scenario.interval;
  const profiles = buildProfiles(scenario);
  const sites: FleetSite[] = scenario.fleet.sites.map((s) => ({ name: s.name, labels: { site: s.name, ...s.labels } }));
  const total = scenario.fleet.sites.reduce((n, s) => n + s.devices, 0);
  const levels = new Float64Array(total * 3);
  const keys = new Uint32Array(total * 3);
  const devices: Device[] = [];
  const seen = new Map<string, number>();
  const faultSelections = scenario.faults.map((fault) => {
    // the draw is keyed by the fault's kind and start (and how many alike came before), not by its position
    // in the list, so adding or reordering other faults does not move devices between them
    const base = `${fault.kind}@${fault.at}`;
    const repeat = seen.get(base) ?? 0;
    seen.set(base, repeat + 1);
    return selector(fault, seed, repeat === 0 ? base : `${base}#${repeat}`);
  });

  scenario.fleet.sites.forEach((site, siteIndex) => {
    for (let n = 1; n <= site.devices; n++) {
      const index = devices.length;
      const id = deviceId(site.name, n);
      for (let m = 0; m < 3; m++) {
        const key = streamKey(seed, id, METRICS[m]!);
        keys[index * 3 + m] = key;
        levels[index * 3 + m] = deviceLevel(profiles[m]!, uniformAt(key, 0x7fffffff));
      }
      const phaseMs = Math.floor(uniformAt(streamKey(seed, id, 'phase'), 0) * intervalMs);
      const hits: number[] = [];
      faultSelections.forEach((selects, i) => {
        if (selects(id, site.name)) hits.push(i);
      });
      devices.push(
        hits.length === 0
          ? {
              index,
              id,
              key: Buffer.from(id, 'utf8'),
              site: siteIndex,
              phaseMs,
              signals: null,
              silences: null,
              skews: null,
              late: null,
              poisonKey: streamKey(seed, id, 'poison'),
              faults: hits,
            }
          : faultyDevice(scenario, { index, id, siteIndex, phaseMs, hits, seed, startTimeMs, profiles, levels, keys }),
      );
    }
  });

  const order = Uint32Array.from(devices.map((d) => d.index)).sort(
    (a, b) => devices[a]!.phaseMs - devices[b]!.phaseMs || a - b,
  );
  return { seed, startTimeMs, intervalMs, sites, devices, profiles, levels, keys, order, scenario };
}

/** The signal of one sensor of the fleet (faults included), for tests and offline expectations. */
export function sensorSignal(fleet: Fleet, device: Device, metric: MetricName | number): Signal {
  const m = typeof metric === 'number' ? metric : METRICS.indexOf(metric);
  if (device.signals) return device.signals[m as 0 | 1 | 2];
  const profile = fleet.profiles[m as 0 | 1 | 2];
  const level = fleet.levels[device.index * 3 + m]!;
  const key = fleet.keys[device.index * 3 + m]!;
  return (tMs) => ambientAt(profile, level, key, tMs);
}

function selector(fault: FaultSpec, seed: number, salt: string): (id: string, site: string) => boolean {
  if (fault.devices) {
    const ids = new Set(fault.devices);
    return (id) => ids.has(id);
  }
  const sites = fault.sites ? new Set(fault.sites) : undefined;
  const share = fault.share ?? 1;
  return (id, site) =>
    (!sites || sites.has(site)) && (share >= 1 || uniformAt(streamKey(seed, id, 'fault', salt), 0) < share);
}

interface FaultyDeviceInput {
  readonly index: number;
  readonly id: string;
  readonly siteIndex: number;
  readonly phaseMs: number;
  readonly hits: readonly number[];
  readonly seed: number;
  readonly startTimeMs: number;
  readonly profiles: readonly AmbientProfile[];
  readonly levels: Float64Array;
  readonly keys: Uint32Array;
}

function faultyDevice(scenario: ScenarioFile, input: FaultyDeviceInput): Device {
  const { index, id, seed, startTimeMs, profiles, levels, keys } = input;
  const level = (m: number) => levels[index * 3 + m]!;
  const signals: Signal[] = [0, 1, 2].map((m) => ambient(profiles[m]!, level(m), keys[index * 3 + m]!));
  let valuesChanged = false;
  const silences: TimeWindow[] = [];
  const skews: ClockSkew[] = [];
  const late: LateDelivery[] = [];

  for (const i of input.hits) {
    const fault = scenario.faults[i]!;
    const fromMs = startTimeMs + fault.at;
    const toMs = fault.for === undefined ? Infinity : fromMs + fault.for;
    const key = (metric: string) => streamKey(seed, id, metric, 'fault', i);
    switch (fault.kind) {
      case 'overheat':
      case 'freeze':
        signals[0] = rampTo(signals[0]!, {
          fromMs,
          toMs,
          level: level(0),
          target: fault.targetC,
          rampMs: fault.ramp,
          recoverMs: fault.recover ?? fault.ramp,
        });
        valuesChanged = true;
        break;
      case 'temperature-spikes':
        signals[0] = temperatureSpikes(signals[0]!, {
          fromMs,
          toMs,
          key: key('temperature'),
          deltaC: fault.deltaC,
          everyMs: fault.every,
          lengthMs: fault.length,
          probability: fault.probability,
        });
        valuesChanged = true;
        break;
      case 'cpu-burst':
        signals[1] = cpuBursts(signals[1]!, {
          fromMs,
          toMs,
          key: key('cpu'),
          level: fault.levelPercent,
          everyMs: fault.every,
          lengthMs: fault.length,
          probability: fault.probability,
        });
        valuesChanged = true;
        break;
      case 'memory-leak':
        signals[2] = memoryLeak(signals[2]!, {
          fromMs,
          toMs,
          level: level(2),
          ratePerMinute: fault.ratePercentPerMinute,
          ceiling: fault.ceilingPercent,
          restartEveryMs: fault.restartEvery,
        });
        valuesChanged = true;
        break;
      case 'stuck': {
        const m = METRICS.indexOf(fault.metric);
        signals[m] = stuck(signals[m]!, { fromMs, toMs, value: fault.value });
        valuesChanged = true;
        break;
      }
      case 'dropout':
      case 'outage':
        silences.push({ fromMs, toMs });
        break;
      case 'clock-skew':
        skews.push({ fromMs, toMs, offsetMs: fault.offset, driftMsPerHour: fault.driftPerHour });
        break;
      case 'late-delivery': {
        const metrics: readonly MetricName[] = fault.metrics ?? METRICS;
        const metricMask = metrics.reduce<number>((mask, metric) => mask | (1 << METRICS.indexOf(metric)), 0);
        late.push({
          fromMs,
          toMs,
          key: streamKey(seed, id, 'late', i),
          share: fault.lateShare,
          byMs: fault.by,
          metricMask,
        });
        break;
      }
    }
  }
  const bounded = signals.map((signal, m) => clamp(signal, profiles[m]!.min, profiles[m]!.max)) as [
    Signal,
    Signal,
    Signal,
  ];
  return {
    index,
    id,
    key: Buffer.from(id, 'utf8'),
    site: input.siteIndex,
    phaseMs: input.phaseMs,
    signals: valuesChanged ? bounded : null,
    silences: silences.length > 0 ? silences : null,
    skews: skews.length > 0 ? skews : null,
    late: late.length > 0 ? late : null,
    poisonKey: streamKey(seed, id, 'poison'),
    faults: input.hits,
  };
}
