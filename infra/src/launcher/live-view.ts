/**
 * The launcher's terminal output. On a TTY: a compact status block redrawn in place (readings/s, lag,
 * alerts, deliveries, services), with alert lines scrolling above it as the sink receives them. Elsewhere
 * (CI, a pipe, a file): plain timestamped lines, the status every few seconds and each alert at once.
 */
import type { ServiceName } from '../pipeline-services.js';
import type { FiringNow } from './console-alerts.js';
import type { PipelineRates, PipelineSnapshot } from './pipeline-stats.js';
import type { SinkEvent } from './sink-events.js';

export type ServiceState = 'waiting' | 'starting' | 'ready' | 'finished' | 'stopping' | 'stopped' | 'failed';

export interface ViewState {
  readonly startedAtMs: number;
  readonly bootstrapServers: string;
  readonly logDir: string;
  readonly services: ReadonlyMap<ServiceName, ServiceState>;
  readonly snapshot?: PipelineSnapshot;
  readonly rates?: PipelineRates;
  readonly sink: { readonly firing: number; readonly resolved: number; readonly duplicates: number };
  /** The alerts firing now (from the web console), listed under the status. */
  readonly firingNow?: readonly FiringNow[];
}

/** How many firing alerts the status lists; the rest are counted. */
export const MAX_FIRING_LINES = 8;
/** The most DLQ reasons named on the readings line; the rest are counted. */
export const MAX_DLQ_REASONS = 3;

const SEVERITY_RANK: Readonly<Record<string, number>> = { critical: 3, warning: 2, info: 1 };

export interface LiveView {
  /** A line of progress or news (starting, stopping, errors). */
  info(line: string): void;
  /** An alert the sink received. */
  alert(event: SinkEvent): void;
  /** Redraw the status (TTY) or print it if its interval has passed (plain). */
  status(state: ViewState): void;
  /** Stop redrawing; leaves the last status on screen. */
  close(): void;
}

const color = {
  red: (s: string) => `\x1b[31m${s}\x1b[0m`,
  green: (s: string) => `\x1b[32m${s}\x1b[0m`,
  dim: (s: string) => `\x1b[2m${s}\x1b[0m`,
  bold: (s: string) => `\x1b[1m${s}\x1b[0m`,
};

const clock = (ms = Date.now()): string => new Date(ms).toISOString().slice(11, 19);
const num = (n: number | undefined, digits = 0): string =>
  n === undefined ? '–' : n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });

function uptime(ms: number): string {
  const s = Math.floor(ms / 1000);
  return s >= 3600
    ? `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`
    : s >= 60
      ? `${Math.floor(s / 60)}m${s % 60}s`
      : `${s}s`;
}

/** The status as lines, shared by both renderings. */
export function statusLines(state: ViewState): string[] {
  const snap = state.snapshot;
  const rates = state.rates ?? {};
  const lag = snap?.lag ?? {};
  const services = [...state.services].map(([name, s]) => `${name} ${s}`).join(' · ');
  return [
    `readings   ${num(rates.producedPerSec)}/s produced (${num(snap?.produced)}) · ${num(rates.processedPerSec)}/s processed (${num(snap?.processed)}) · lag ${num(lag.processor)} · DLQ ${num(snap?.processorDlq)}${dlqReasons(snap?.processorDlqByReason)}`,
    `alerts     ${num(snap?.alertsFiring)} firing · ${num(snap?.alertsResolved)} resolved produced · ${num(snap?.firingNow)} firing now · alerting lag ${num(lag.alerting)}`,
    `webhooks   ${num(snap?.delivered)} delivered · ${num(snap?.retrying)} queued · ${num(snap?.deadLettered)} dead-lettered · sink got ${state.sink.firing} FIRING / ${state.sink.resolved} RESOLVED${state.sink.duplicates ? ` (+${state.sink.duplicates} duplicates)` : ''}`,
    `services   ${services}`,
    ...firingLines(state.firingNow),
  ];
}

/** How many readings went to the DLQ per reason, most first: ` (READING_LATE_BEYOND_GRACE 26,820, DECODE_EMPTY 3)`. */
export function dlqReasons(byReason: Readonly<Record<string, number>> | undefined): string {
  const entries = Object.entries(byReason ?? {})
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  if (entries.length === 0) return '';
  const shown = entries.slice(0, MAX_DLQ_REASONS).map(([code, n]) => `${code} ${num(n)}`);
  if (entries.length > MAX_DLQ_REASONS) shown.push(`${entries.length - MAX_DLQ_REASONS} more reasons`);
  return ` (${shown.join(', ')})`;
}

/** `site-a/dev-1 cpu`, `site=site-b` or `fleet`: the console says; an older console gives only deviceId and metric. */
function subjectOf(a: FiringNow): string {
  return a.subject ?? ([a.deviceId, a.metric].filter((s) => s !== '').join(' ') || a.site);
}

/** `firing now` and one line per alert, most severe and oldest first, at most `MAX_FIRING_LINES`. */
export function firingLines(firing: readonly FiringNow[] | undefined): string[] {
  if (!firing) return [];
  if (firing.length === 0) return ['firing now none'];
  const sorted = [...firing].sort(
    (a, b) => (SEVERITY_RANK[b.severity] ?? 0) - (SEVERITY_RANK[a.severity] ?? 0) || a.startsAt - b.startsAt,
  );
  const lines = sorted
    .slice(0, MAX_FIRING_LINES)
    .map(
      (a, i) =>
        `${i === 0 ? 'firing now' : '          '} ${a.severity.padEnd(8)} ${a.rule} ${subjectOf(a)} ${num(a.value, 1)} ${a.condition === 'below' ? '<' : a.condition === 'above' ? '>' : a.condition} ${num(a.threshold, 1)} since ${clock(a.startsAt)}${a.deviceId ? ` (${a.site})` : ''}`,
    );
  if (sorted.length > MAX_FIRING_LINES) lines.push(`           … and ${sorted.length - MAX_FIRING_LINES} more`);
  return lines;
}

export function ttyView(out: NodeJS.WriteStream): LiveView {
  let drawn = 0;
  let last: ViewState | undefined;
  const clear = (): void => {
    if (drawn > 0) out.write(`\x1b[${drawn}F\x1b[0J`);
    drawn = 0;
  };
  const draw = (): void => {
    if (!last) return;
    const width = Math.max(40, (out.columns ?? 120) - 1);
    const header = color.bold(
      `sensor-pipeline · up ${uptime(Date.now() - last.startedAtMs)} · kafka ${last.bootstrapServers} · logs ${last.logDir}`,
    );
    const lines = [
      header,
      ...statusLines(last).map((l) => l.slice(0, width)),
      color.dim('Ctrl-C stops everything in order'),
    ];
    out.write(`${lines.join('\n')}\n`);
    drawn = lines.length;
  };
  const above = (line: string): void => {
    clear();
    out.write(`${line}\n`);
    draw();
  };
  return {
    info: (line) => above(`${color.dim(clock())} ${line}`),
    alert: (e) =>
      above(
        `${color.dim(clock())} ${e.status === 'FIRING' ? color.red('FIRING  ') : color.green('RESOLVED')} ${e.text.replace(/^(FIRING|RESOLVED) /, '')}${e.duplicate ? color.dim(' (duplicate)') : ''}`,
      ),
    status: (state) => {
      last = state;
      clear();
      draw();
    },
    close: () => {
      // the final status stays on screen, without the Ctrl-C hint
      clear();
      if (last) out.write(`${statusLines(last).join('\n')}\n`);
      last = undefined;
    },
  };
}

export function plainView(out: NodeJS.WritableStream, intervalMs = 10_000): LiveView {
  let lastPrinted = 0;
  let last: ViewState | undefined;
  const print = (state: ViewState): void => {
    out.write(
      `[${clock()}] ${statusLines(state)
        .map((line) => line.replace(/ {2,}/g, ' '))
        .join(' | ')}\n`,
    );
  };
  return {
    info: (line) => out.write(`[${clock()}] ${line}\n`),
    alert: (e) => out.write(`[${clock()}] sink received ${e.text}${e.duplicate ? ' (duplicate)' : ''}\n`),
    status: (state) => {
      last = state;
      if (Date.now() - lastPrinted < intervalMs) return;
      lastPrinted = Date.now();
      print(state);
    },
    // the final figures, whenever the last periodic line was
    close: () => {
      if (last) print(last);
      last = undefined;
    },
  };
}
