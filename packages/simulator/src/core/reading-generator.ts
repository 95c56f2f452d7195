/**
 * The fleet's readings in delivery order, computed on demand: report k of device d happens at event time
 * `start + phase(d) + k·interval` and carries its three metrics. Within an interval devices report in
 * phase order, so event times ascend across the fleet; a device in a dropout sends nothing (its sequence
 * numbers do not advance); clock skew shifts the reported timestamp, never the delivery; a late delivery
 * holds a reading back and releases it after `byMs` of event time, so it arrives after newer readings of
 * the same device (out-of-order delivery reorders emission, not timestamps).
 *
 * Pure and deterministic: the output is a function of the fleet (seed + scenario) alone. `next` fills a
 * caller-owned object, so the loop allocates nothing per reading except for the few held back.
 */
import { ambientAt } from '../signals/ambient.js';
import { inWindow } from '../signals/signal.js';
import type { Device, Fleet } from './fleet.js';
import { copyReading, emptyReading, type GeneratedReading } from './generated-reading.js';
import { LateQueue } from './late-queue.js';
import { uniformAt } from './prng.js';

export interface ReadingGeneratorOptions {
  /** Readings are generated for event times before this (exclusive); absent: no end. */
  readonly endTimeMs?: number;
}

const HOUR_MS = 3_600_000;

export class ReadingGenerator {
  readonly fleet: Fleet;
  private readonly endTimeMs: number;
  private readonly seqs: Float64Array;
  private readonly late = new LateQueue();
  /** The next on-time reading, computed ahead so its delivery time can be compared with the late queue. */
  private readonly candidate = emptyReading();
  private hasCandidate = false;
  private exhausted = false;
  // cursor: report round, position in phase order, next metric of that device's report
  private round = 0;
  private position = 0;
  private metric = 0;
  private reportTimeMs = 0;
  private generated = 0;
  /** Devices skipped in a row because they were silent; a whole round of them may mean "silent forever". */
  private silentSkips = 0;

  constructor(fleet: Fleet, options: ReadingGeneratorOptions = {}) {
    this.fleet = fleet;
    this.endTimeMs = options.endTimeMs ?? Infinity;
    this.seqs = new Float64Array(fleet.devices.length);
  }

  /** Readings handed out so far. */
  get count(): number {
    return this.generated;
  }

  /** Readings held back for late delivery right now. */
  get heldBack(): number {
    return this.late.size;
  }

  /** Delivery time (event-time clock) of the next reading; Infinity when there are no more. */
  peekEmitAtMs(): number {
    if (!this.hasCandidate) this.fill();
    const late = this.late.peekEmitAtMs();
    const onTime = this.hasCandidate ? this.candidate.emitAtMs : Infinity;
    return Math.min(late, onTime);
  }

  /** Writes the next reading into `out`; false when the generator is done. */
  next(out: GeneratedReading): boolean {
    if (!this.hasCandidate) this.fill();
    if (this.late.size > 0 && (!this.hasCandidate || this.late.peekEmitAtMs() <= this.candidate.emitAtMs)) {
      this.late.pop(out);
      this.generated++;
      return true;
    }
    if (!this.hasCandidate) return false;
    copyReading(this.candidate, out);
    this.hasCandidate = false;
    this.generated++;
    return true;
  }

  /** Computes the next on-time reading into `candidate`, holding back late ones on the way. */
  private fill(): void {
    const fleet = this.fleet;
    const order = fleet.order;
    const devices = fleet.devices;
    const c = this.candidate;
    while (!this.exhausted) {
      if (this.position >= order.length) {
        this.position = 0;
        this.round++;
      }
      const d = order[this.position]!;
      const device = devices[d]!;
      if (this.metric === 0) {
        const t = fleet.startTimeMs + device.phaseMs + this.round * fleet.intervalMs;
        if (t >= this.endTimeMs) {
          this.exhausted = true; // devices are in phase order: everyone after this one is past the end too
          break;
        }
        if (device.silences !== null && isSilent(device, t)) {
          this.position++;
          if (++this.silentSkips > order.length) {
            this.silentSkips = 0; // checked at most once per round
            if (allSilentForever(fleet, t)) this.exhausted = true;
          }
          continue;
        }
        this.silentSkips = 0;
        this.reportTimeMs = t;
      }
      const m = this.metric;
      const t = this.reportTimeMs;
      const raw =
        device.signals === null
          ? ambientAt(fleet.profiles[m as 0 | 1 | 2], fleet.levels[d * 3 + m]!, fleet.keys[d * 3 + m]!, t)
          : device.signals[m as 0 | 1 | 2](t);
      c.device = d;
      c.metric = m;
      c.value = Math.round(raw * 100) / 100; // sensors report with a resolution of 0.01
      c.eventTimeMs = t;
      c.timestampMs = device.skews === null ? t : t + skewAt(device, t);
      c.emitAtMs = t;
      c.seq = this.seqs[d]!;
      c.late = false;
      this.seqs[d] = c.seq + 1;
      if (++this.metric === 3) {
        this.metric = 0;
        this.position++;
      }
      const lateByMs = device.late === null ? 0 : lateBy(device, m, c.seq, t);
      if (lateByMs > 0) {
        c.late = true;
        c.emitAtMs = t + lateByMs;
        this.late.push(c);
        continue;
      }
      this.hasCandidate = true;
      return;
    }
  }
}

function isSilent(device: Device, tMs: number): boolean {
  for (const window of device.silences!) if (inWindow(tMs, window)) return true;
  return false;
}

/** True when every device is in a dropout that never ends (a generator over it would never produce again). */
function allSilentForever(fleet: Fleet, tMs: number): boolean {
  return fleet.devices.every((device) => device.silences?.some((w) => w.toMs === Infinity && w.fromMs <= tMs) ?? false);
}

function skewAt(device: Device, tMs: number): number {
  let skew = 0;
  for (const s of device.skews!) {
    if (inWindow(tMs, s)) skew += s.offsetMs + (s.driftMsPerHour * (tMs - s.fromMs)) / HOUR_MS;
  }
  return Math.round(skew);
}

function lateBy(device: Device, metric: number, seq: number, tMs: number): number {
  for (const spec of device.late!) {
    if ((spec.metricMask & (1 << metric)) !== 0 && inWindow(tMs, spec) && uniformAt(spec.key, seq) < spec.share)
      return spec.byMs;
  }
  return 0;
}

/** The first `count` readings (or all, up to `endTimeMs`) as copies; for tests and offline expectations. */
export function generateReadings(fleet: Fleet, options: { count?: number; endTimeMs?: number }): GeneratedReading[] {
  if (options.count === undefined && options.endTimeMs === undefined)
    throw new RangeError('generateReadings needs a count or an endTimeMs');
  const generator = new ReadingGenerator(fleet, { endTimeMs: options.endTimeMs });
  const out: GeneratedReading[] = [];
  const limit = options.count ?? Infinity;
  const r = emptyReading();
  while (out.length < limit && generator.next(r)) out.push(copyReading(r, emptyReading()));
  return out;
}
