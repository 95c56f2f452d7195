/**
 * Window engine benchmark (not a test): updates per second of `SensorWindow` — add one reading, then read
 * count, mean, median, min and max — against a sort-per-reading reference (copy the window, sort, compute)
 * on the same pseudo-random input, in the same run, for count windows of 10 to 10,000 readings and one
 * time window. Prints a table with the ratio (DESIGN.md: >= 20x at 1,000 samples) and writes the results
 * to `.bench/window-engine.json` at the repository root.
 *
 *   npx tsx packages/processor/bench/window-engine.bench.ts
 *
 * Each side runs for a fixed time (after a warm-up) rather than a fixed count, so the slow reference at
 * 10,000 samples does not dominate the run; the first updates of every case are cross-checked between the
 * two so the comparison is between implementations that agree. The load average is recorded, since other
 * processes on the machine depress both sides.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { SensorWindow } from '../src/window/sensor-window.js';
import type { WindowOptions } from '../src/window/window-options.js';

const MEASURE_MS = 2_500;
const WARMUP_MS = 300;
const CHECK_UPDATES = 3_000;
const INPUT_SIZE = 4_000_000;

interface Case {
  readonly name: string;
  readonly options: WindowOptions;
  /** About how many readings the window holds once full. */
  readonly samples: number;
}

const cases: readonly Case[] = [
  { name: 'count 10', options: { kind: 'count', size: 10 }, samples: 10 },
  { name: 'count 100', options: { kind: 'count', size: 100 }, samples: 100 },
  { name: 'count 1,000', options: { kind: 'count', size: 1_000 }, samples: 1_000 },
  { name: 'count 10,000', options: { kind: 'count', size: 10_000 }, samples: 10_000 },
  // ~1 reading per ms, 5% of them up to 20 ms out of order (grace 25 ms): ~1,000 readings held
  { name: 'time 1s, out-of-order', options: { kind: 'time', sizeMs: 1_000, graceMs: 25 }, samples: 1_000 },
];

/** The reads every update pays for, folded into one number so nothing is optimized away. */
interface Sink {
  checksum: number;
}

/** One side of the comparison: offer reading i, read the stats, return false when it was not accepted. */
interface Runner {
  update(timestampMs: number, value: number, sink: Sink): boolean;
  /** count, mean, median, min, max of the current window, for the cross-check. */
  snapshot(): [number, number, number, number, number];
}

function engineRunner(options: WindowOptions): Runner {
  const w = new SensorWindow(options);
  return {
    update(timestampMs, value, sink) {
      if (w.add(timestampMs, value).status !== 'accepted') return false;
      sink.checksum += w.count + w.mean + w.median + w.min + w.max;
      return true;
    },
    snapshot: () => [w.count, w.mean, w.median, w.min, w.max],
  };
}

/** The straightforward implementation: keep the window in timestamp order, copy and sort on every reading. */
function referenceRunner(options: WindowOptions): Runner {
  const timestamps: number[] = [];
  const values: number[] = [];
  let head = 0;
  let t = -Infinity;
  let last: [number, number, number, number, number] = [0, NaN, NaN, NaN, NaN];
  const graceMs = options.graceMs ?? 0;
  const limit = options.kind === 'count' ? options.size : Infinity;
  const sizeMs = options.kind === 'time' ? options.sizeMs : Infinity;
  return {
    update(timestampMs, value, sink) {
      if (timestampMs < t) {
        if (timestampMs <= t - graceMs || timestampMs <= t - sizeMs) return false;
        if (values.length - head >= limit && timestampMs < timestamps[head]!) return false;
        let p = values.length;
        while (p > head && timestamps[p - 1]! > timestampMs) p--;
        timestamps.splice(p, 0, timestampMs);
        values.splice(p, 0, value);
      } else {
        t = timestampMs;
        timestamps.push(timestampMs);
        values.push(value);
        while (timestamps[head]! <= t - sizeMs) head++;
      }
      while (values.length - head > limit) head++;
      if (head > 4_096 && head * 2 > values.length) {
        timestamps.splice(0, head);
        values.splice(0, head);
        head = 0;
      }
      const n = values.length - head;
      const sorted = new Float64Array(n);
      for (let i = 0; i < n; i++) sorted[i] = values[head + i]!;
      sorted.sort();
      let sum = 0;
      for (let i = 0; i < n; i++) sum += sorted[i]!;
      const median = n % 2 === 1 ? sorted[(n - 1) >> 1]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
      last = [n, sum / n, median, sorted[0]!, sorted[n - 1]!];
      sink.checksum += n + sum / n + median + sorted[0]! + sorted[n - 1]!;
      return true;
    },
    snapshot: () => last,
  };
}

/** Deterministic input: a slowly varying signal with noise, timestamps ~1 ms apart, 5% up to 20 ms late. */
function makeInput(size: number): { timestamps: Float64Array; values: Float64Array } {
  let state = 0x9e3779b9;
  const random = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = state;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4_294_967_296;
  };
  const timestamps = new Float64Array(size);
  const values = new Float64Array(size);
  let clock = 1_700_000_000_000;
  for (let i = 0; i < size; i++) {
    clock += random() < 0.5 ? 1 : 0;
    timestamps[i] = random() < 0.05 ? clock - Math.floor(random() * 20) : clock;
    values[i] = 20 + 5 * Math.sin(i / 5_000) + (random() - 0.5) * 2;
  }
  return { timestamps, values };
}

interface Measurement {
  updatesPerSecond: number;
  updates: number;
  accepted: number;
  elapsedMs: number;
}

/** Runs `runner` over the input (wrapping around with shifted timestamps) for `durationMs`. */
function measure(
  makeRunner: () => Runner,
  input: { timestamps: Float64Array; values: Float64Array },
  durationMs: number,
  sink: Sink,
): Measurement {
  const runner = makeRunner();
  const { timestamps, values } = input;
  const span = timestamps[timestamps.length - 1]! - timestamps[0]! + 1_000;
  let i = 0;
  let lap = 0;
  let accepted = 0;
  const batch = 256;
  const start = performance.now();
  let now = start;
  while (now - start < durationMs) {
    for (let k = 0; k < batch; k++) {
      if (runner.update(timestamps[i]! + lap * span, values[i]!, sink)) accepted++;
      if (++i === timestamps.length) {
        i = 0;
        lap++;
      }
    }
    now = performance.now();
  }
  const updates = lap * timestamps.length + i;
  return { updatesPerSecond: (updates / (now - start)) * 1_000, updates, accepted, elapsedMs: now - start };
}

/** Both sides on the first CHECK_UPDATES readings: same acceptance, same count/median/min/max, close means. */
function crossCheck(options: WindowOptions, input: { timestamps: Float64Array; values: Float64Array }): void {
  const engine = engineRunner(options);
  const reference = referenceRunner(options);
  const sink: Sink = { checksum: 0 };
  for (let i = 0; i < CHECK_UPDATES; i++) {
    const a = engine.update(input.timestamps[i]!, input.values[i]!, sink);
    const b = reference.update(input.timestamps[i]!, input.values[i]!, sink);
    if (a !== b) throw new Error(`cross-check: update ${i} accepted by ${a ? 'engine' : 'reference'} only`);
    const x = engine.snapshot();
    const y = reference.snapshot();
    const ok = x[0] === y[0] && x[2] === y[2] && x[3] === y[3] && x[4] === y[4] && Math.abs(x[1] - y[1]) <= 1e-9 * Math.abs(y[1]);
    if (!ok) throw new Error(`cross-check: update ${i}: engine ${x.join(',')} vs reference ${y.join(',')}`);
  }
}

function format(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)} M/s` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} k/s` : `${n.toFixed(0)} /s`;
}

function main(): void {
  const progress = (line: string): void => {
    process.stderr.write(`${line}\n`);
  };
  const loadBefore = loadavg();
  progress(`window-engine bench: node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), load ${loadBefore.map((l) => l.toFixed(2)).join(' ')}`);
  progress(`generating ${INPUT_SIZE.toLocaleString('en')} readings ...`);
  const input = makeInput(INPUT_SIZE);
  const sink: Sink = { checksum: 0 };
  const results = [];
  let step = 0;
  for (const c of cases) {
    crossCheck(c.options, input);
    progress(`[${++step}/${cases.length * 2}] ${c.name}: engine (cross-checked against the reference on ${CHECK_UPDATES} updates) ...`);
    measure(() => engineRunner(c.options), input, WARMUP_MS, sink);
    const engine = measure(() => engineRunner(c.options), input, MEASURE_MS, sink);
    progress(`        ${format(engine.updatesPerSecond)} over ${engine.updates.toLocaleString('en')} updates`);
    progress(`[${++step}/${cases.length * 2}] ${c.name}: sort-per-reading reference ...`);
    measure(() => referenceRunner(c.options), input, WARMUP_MS, sink);
    const reference = measure(() => referenceRunner(c.options), input, MEASURE_MS, sink);
    progress(`        ${format(reference.updatesPerSecond)} over ${reference.updates.toLocaleString('en')} updates`);
    results.push({
      case: c.name,
      options: c.options,
      samples: c.samples,
      engine,
      reference,
      ratio: engine.updatesPerSecond / reference.updatesPerSecond,
    });
  }
  const loadAfter = loadavg();

  const header = ['window', 'samples', 'engine updates/s', 'reference updates/s', 'ratio'];
  const rows = results.map((r) => [
    r.case,
    r.samples.toLocaleString('en'),
    format(r.engine.updatesPerSecond),
    format(r.reference.updatesPerSecond),
    `${r.ratio.toFixed(1)}x`,
  ]);
  const widths = header.map((h, col) => Math.max(h.length, ...rows.map((row) => row[col]!.length)));
  const line = (cells: string[]): string => cells.map((cell, col) => (col === 0 ? cell.padEnd(widths[col]!) : cell.padStart(widths[col]!))).join('  ');
  console.log();
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) console.log(line(row));
  console.log(`\n(add + count/mean/median/min/max per update; load average ${loadBefore[0]!.toFixed(2)} before, ${loadAfter[0]!.toFixed(2)} after; checksum ${sink.checksum.toExponential(3)})`);

  const target = results.find((r) => r.case === 'count 1,000');
  if (target && target.ratio < 20) console.log(`note: below the 20x design target at 1,000 samples (${target.ratio.toFixed(1)}x)`);

  const out = new URL('../../../.bench/window-engine.json', import.meta.url);
  mkdirSync(new URL('.', out), { recursive: true });
  writeFileSync(
    out,
    `${JSON.stringify(
      {
        benchmark: 'window-engine',
        at: new Date().toISOString(),
        node: process.version,
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model,
        loadAverage: { before: loadBefore, after: loadAfter },
        measureMs: MEASURE_MS,
        perUpdate: 'add + read count, mean, median, min, max',
        results,
      },
      null,
      2,
    )}\n`,
  );
  progress(`wrote ${out.pathname}`);
}

main();
