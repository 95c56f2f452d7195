/**
 * Progress while a simulation runs: on a terminal, one line redrawn in place (rate, total, acknowledged,
 * failed, in flight, event time); otherwise a structured log line every few seconds. The rate is measured
 * over the last reporting interval, from the counters alone.
 */
import type { Logger } from '@sensor-pipeline/shared';
import { inFlight, type SimulationStats, type SimulationSummary } from './simulation-stats.js';

export interface ProgressReporterOptions {
  readonly stats: SimulationStats;
  readonly logger: Logger;
  /** Where the terminal line goes (default process.stderr). */
  readonly stream?: NodeJS.WriteStream;
  /** Draw a terminal line (default: whether `stream` is a TTY). */
  readonly tty?: boolean;
  /** Redraw interval on a terminal (default 250 ms) and log interval otherwise (default 5 s). */
  readonly intervalMs?: number;
  readonly clock?: () => number;
}

const CLEAR_LINE = '\r\x1b[2K';

export class ProgressReporter {
  /** True while a progress line is on the terminal (a log line must clear it first). */
  lineShown = false;
  private readonly options: ProgressReporterOptions;
  private readonly stream: NodeJS.WriteStream;
  private readonly tty: boolean;
  private readonly clock: () => number;
  private readonly log: Logger;
  private timer: NodeJS.Timeout | undefined;
  private last = { atMs: 0, produced: 0, acked: 0 };
  private rate = { produced: 0, acked: 0 };

  constructor(options: ProgressReporterOptions) {
    this.options = options;
    this.stream = options.stream ?? process.stderr;
    this.tty = options.tty ?? Boolean(this.stream.isTTY);
    this.clock = options.clock ?? Date.now;
    this.log = options.logger.child({ component: 'progress' });
  }

  start(): void {
    if (this.timer) return;
    this.last = { atMs: this.clock(), produced: this.options.stats.produced, acked: this.options.stats.acked };
    const intervalMs = this.options.intervalMs ?? (this.tty ? 250 : 5_000);
    this.timer = setInterval(() => this.tick(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.clearLine();
  }

  /** Removes the progress line so other output starts on a clean line. */
  clearLine(): void {
    if (this.tty && this.lineShown) {
      this.stream.write(CLEAR_LINE);
      this.lineShown = false;
    }
  }

  /** Prints the end-of-run summary as a human line on a terminal (the JSON summary goes to the log). */
  printSummary(summary: SimulationSummary): void {
    if (!this.tty) return;
    this.clearLine();
    const poison = summary.poisonTotal > 0 ? `, poison ${fmt(summary.poisonTotal)}` : '';
    const status = summary.ok ? 'all acknowledged' : `${fmt(summary.produced - summary.acked)} NOT acknowledged`;
    this.stream.write(
      `simulator ${summary.reason}: ${fmt(summary.produced)} produced, ${fmt(summary.acked)} acked, ${fmt(summary.failed)} failed${summary.unconfirmed > 0 ? `, ${fmt(summary.unconfirmed)} unconfirmed` : ''}${poison} in ${(summary.elapsedMs / 1_000).toFixed(1)}s (${fmt(summary.ackedPerSecond)} acked/s) — ${status}\n`,
    );
  }

  private tick(): void {
    const s = this.options.stats;
    const now = this.clock();
    const seconds = Math.max(0.001, (now - this.last.atMs) / 1_000);
    this.rate = { produced: (s.produced - this.last.produced) / seconds, acked: (s.acked - this.last.acked) / seconds };
    this.last = { atMs: now, produced: s.produced, acked: s.acked };
    const eventTime = s.eventTimeMs > 0 ? new Date(s.eventTimeMs).toISOString() : undefined;
    if (this.tty) {
      const line = `simulator  ${fmt(Math.round(this.rate.acked))}/s acked  total ${fmt(s.produced)}  acked ${fmt(s.acked)}  failed ${fmt(s.failed)}  in-flight ${fmt(inFlight(s))}${eventTime ? `  event ${eventTime.slice(11, 19)}` : ''}`;
      this.stream.write(CLEAR_LINE + line);
      this.lineShown = true;
    } else {
      this.log.info(
        {
          producedPerSecond: Math.round(this.rate.produced),
          ackedPerSecond: Math.round(this.rate.acked),
          produced: s.produced,
          acked: s.acked,
          failed: s.failed,
          inFlight: inFlight(s),
          eventTime,
        },
        'progress',
      );
    }
  }
}

function fmt(n: number): string {
  return n.toLocaleString('en-US');
}
