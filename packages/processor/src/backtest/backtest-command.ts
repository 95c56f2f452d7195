/**
 * `processor backtest --rules FILE --from TIME [--to TIME] [--compare] [--json]`: what a rules file would have
 * published over a recorded span of the readings topic (see run-backtest.ts), one line per alert (or a JSON
 * object per line), with progress on stderr: a live line on a terminal, a line every 10 s otherwise. With
 * `--compare`, the difference from the alerts the running rules published over the same span (by event id).
 * Exit status: 0 done (with `--compare`: no difference), 1 a difference found or Kafka failed, 2 bad usage or
 * rules file.
 */
import {
  type Alert,
  ConfigError,
  createLogger,
  kafkaSettingsWith,
  topicNamesFromEnv,
  UsageError,
} from '@sensor-pipeline/shared';
import { loadRules } from '../rules/load-rules.js';
import { parseBacktestTime, parsePartitionOffsets } from './backtest-time.js';
import { compareAlerts } from './compare-alerts.js';
import { type BacktestProgress, runBacktest, type SpanBound } from './run-backtest.js';

export interface BacktestFlags {
  readonly rules: string;
  readonly from?: string;
  readonly to?: string;
  readonly fromOffsets?: string;
  readonly toOffsets?: string;
  readonly compare?: boolean;
  readonly json?: boolean;
  readonly bootstrapServers: string;
}

export interface BacktestIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown; readonly isTTY?: boolean };
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Epoch ms; default Date.now. */
  readonly now?: () => number;
}

export async function backtestCommand(flags: BacktestFlags, io: BacktestIo): Promise<number> {
  const now = io.now ?? Date.now;
  const startedMs = now();
  if ((flags.from === undefined) === (flags.fromOffsets === undefined))
    throw new UsageError('give the span start: --from TIME or --from-offsets PARTITION:OFFSET,... (one of them)');
  if (flags.to !== undefined && flags.toOffsets !== undefined)
    throw new UsageError('--to and --to-offsets cannot be given together');
  const from: SpanBound =
    flags.from !== undefined
      ? { timeMs: parseBacktestTime('--from', flags.from, startedMs) }
      : { offsets: parsePartitionOffsets('--from-offsets', flags.fromOffsets!) };
  const to: SpanBound | undefined =
    flags.to !== undefined
      ? { timeMs: parseBacktestTime('--to', flags.to, startedMs) }
      : flags.toOffsets !== undefined
        ? { offsets: parsePartitionOffsets('--to-offsets', flags.toOffsets) }
        : undefined;
  if (to && 'timeMs' in to && 'timeMs' in from && to.timeMs <= from.timeMs)
    throw new UsageError('--to must be later than --from');
  let rules;
  try {
    rules = loadRules(flags.rules);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    io.stderr.write(`processor backtest: invalid rules file\n${err.message}\n`);
    return 2;
  }

  const topics = topicNamesFromEnv(io.env ?? process.env);
  const progress = progressReporter(io.stderr, now);
  const result = await runBacktest({
    kafka: kafkaSettingsWith('processor-backtest', flags.bootstrapServers),
    logger: createLogger({ service: 'processor-backtest', level: 'warn', destination: process.stderr as never }),
    topics,
    rules,
    from,
    ...(to ? { to } : {}),
    readPublished: flags.compare ?? false,
    onProgress: progress.update,
  });
  progress.finish();

  const out = io.stdout;
  for (const alert of result.alerts) out.write(flags.json ? `${JSON.stringify(alert)}\n` : `${alertLine(alert)}\n`);
  const firing = result.alerts.filter((a) => a.status === 'FIRING').length;
  const summary = `${topics.readings}: ${result.readingsInSpan} readings in the span (${result.readingsWarmup} before it to fill the windows, ${result.setAside} not valid readings) on ${result.partitions.length} partitions; ${flags.rules} would have published ${result.alerts.length} alerts (${firing} FIRING, ${result.alerts.length - firing} RESOLVED)\n`;
  (flags.json ? io.stderr : out).write(summary);
  if (!flags.compare) return 0;

  const diff = compareAlerts({
    backtest: result.alerts,
    backtestAll: result.allAlerts,
    published: result.published ?? [],
    publishedAll: result.publishedAll ?? [],
  });
  if (flags.json) {
    for (const alert of diff.onlyBacktest) out.write(`${JSON.stringify({ compare: 'only-backtest', alert })}\n`);
    for (const alert of diff.onlyPublished) out.write(`${JSON.stringify({ compare: 'only-published', alert })}\n`);
  }
  const lines = [
    `compared with ${topics.alerts} over the same span: ${diff.matched} alerts alike, ${diff.onlyBacktest.length} only in the backtest, ${diff.onlyPublished.length} only published`,
  ];
  if (!flags.json) {
    if (diff.onlyBacktest.length > 0) {
      lines.push(`only in the backtest (${flags.rules} would publish them, the running rules did not):`);
      for (const a of diff.onlyBacktest) lines.push(`+ ${alertLine(a)}`);
    }
    if (diff.onlyPublished.length > 0) {
      lines.push(`only published (the running rules published them, ${flags.rules} would not):`);
      for (const a of diff.onlyPublished) lines.push(`- ${alertLine(a)}`);
    }
  }
  (flags.json ? io.stderr : out).write(`${lines.join('\n')}\n`);
  return diff.onlyBacktest.length + diff.onlyPublished.length === 0 ? 0 : 1;
}

/** `2026-11-30T20:51:12.000Z FIRING   cpu-high site-a/dev-1/cpu value=95.2 id=…` (time: startsAt / endsAt). */
export function alertLine(alert: Alert): string {
  const atMs = alert.status === 'FIRING' ? alert.startsAt : (alert.endsAt ?? alert.startsAt);
  const subject = alert.deviceId
    ? alert.metric
      ? `${alert.deviceId}/${alert.metric}`
      : alert.deviceId
    : groupOf(alert);
  const value = Number.isFinite(alert.value) ? String(Number(alert.value.toFixed(4))) : 'NaN';
  return `${new Date(atMs).toISOString()} ${alert.status.padEnd(8)} ${alert.rule} ${subject} value=${value} id=${alert.eventId}`;
}

/** A group or fleet series (no deviceId): its labels but the rule's own, `site=site-b`, or `fleet` when none. */
function groupOf(alert: Alert): string {
  const own = new Set(['rule', 'severity', 'deviceId', 'metric']);
  const labels = Object.keys(alert.labels)
    .filter((k) => !own.has(k))
    .sort()
    .map((k) => `${k}=${alert.labels[k]}`);
  return labels.length > 0 ? labels.join(',') : 'fleet';
}

/** Progress on stderr: redrawn in place on a terminal, a line every 10 s otherwise. */
function progressReporter(stderr: BacktestIo['stderr'], now: () => number) {
  const startedMs = now();
  let lastLineMs = startedMs;
  let last: BacktestProgress | undefined;
  const render = (p: BacktestProgress): string => {
    const elapsedS = Math.max((now() - startedMs) / 1000, 0.001);
    const share = p.total > 0 ? p.done / p.total : 1;
    const width = 24;
    const bar = '#'.repeat(Math.round(share * width)).padEnd(width, '.');
    return `${p.phase.padEnd(10)} [${bar}] ${p.done}/${p.total} readings (${(share * 100).toFixed(1)}%), ${Math.round(p.done / elapsedS)}/s`;
  };
  return {
    update(p: BacktestProgress) {
      last = p;
      if (stderr.isTTY) {
        stderr.write(`\r${render(p)}\u001b[K`);
      } else if (now() - lastLineMs >= 10_000) {
        lastLineMs = now();
        stderr.write(`${render(p)}\n`);
      }
    },
    finish() {
      if (!last) return;
      stderr.write(stderr.isTTY ? `\r${render(last)}\u001b[K\n` : `${render(last)}\n`);
    },
  };
}
