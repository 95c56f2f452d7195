/**
 * A backtest: replays recorded readings from the readings topic through a rules file in process, with the
 * same engine, windows and event clock as the processor, and publishes nothing. Read with the shared range
 * reader outside any consumer group (nothing committed, the running processor undisturbed).
 *
 * The span is given by time (record timestamps, resolved to offsets per partition by the broker) or by
 * offsets per partition. Windows are warmed first: readings from the rules' lookback (plus `warmupExtraMs`)
 * before the span start are run through the rules too, but only alerts of readings in the span are reported.
 * Partitions are merged by record timestamp, each kept in offset order, and each has its own engine, as a
 * processor instance holding every partition would (group and fleet absence span them). A partition that
 * receives nothing for `idleAdvanceAfterMs` has its event clock advanced by the record clock once a second,
 * as a caught-up idle partition's follows the wall clock.
 */
import {
  type Alert,
  alertCodec,
  createAdmin,
  type KafkaSettings,
  type Logger,
  type RangeMessage,
  readPartitionRange,
  SensorReadingDecoder,
  sensorReadingCodec,
  UsageError,
} from '@sensor-pipeline/shared';
import type { RulesConfig } from '../rules/rules-schema.js';
import { BatchOutput } from '../service/batch-output.js';
import { decodeReadings } from '../service/decode-readings.js';
import { PartitionPipeline, type ReadingEnvelope } from '../service/partition-pipeline.js';
import { DEFAULT_READING_LIMITS, type ReadingLimits } from '../service/reading-validation.js';
import { createRulesRuntime } from '../service/rules-runtime.js';
import { ReplayCheckpoints } from '../state/replay-checkpoints.js';

/** Where a span starts or ends: a time (epoch ms) or an offset per partition. */
export type SpanBound = { readonly timeMs: number } | { readonly offsets: ReadonlyMap<number, number> };

export interface BacktestOptions {
  readonly kafka: KafkaSettings;
  readonly logger: Logger;
  readonly topics: { readonly readings: string; readonly alerts: string };
  readonly rules: RulesConfig;
  readonly from: SpanBound;
  /** Default: the end of every partition as it is now. */
  readonly to?: SpanBound;
  /** Also read the alerts published over the span (for `compareAlerts`). */
  readonly readPublished?: boolean;
  readonly limits?: ReadingLimits;
  /** Event time replayed before the span beyond the rules' lookback, ms; default one minute. */
  readonly warmupExtraMs?: number;
  /** Default 5 s, as the processor's `--idle-advance-after`; 0 turns the idle clock off. */
  readonly idleAdvanceAfterMs?: number;
  /** Most readings held in memory for the merge; default 5,000,000. */
  readonly maxRecords?: number;
  /** How far after the span published alerts are read, ms; default ten minutes. */
  readonly publishLagMs?: number;
  readonly onProgress?: (progress: BacktestProgress) => void;
}

export interface BacktestProgress {
  readonly phase: 'reading' | 'evaluating';
  readonly done: number;
  readonly total: number;
}

export interface PartitionSpan {
  readonly partition: number;
  /** First offset replayed to warm the windows. */
  readonly warmFrom: number;
  /** First offset of the span. */
  readonly from: number;
  /** End of the span (exclusive). */
  readonly to: number;
}

export interface BacktestResult {
  readonly partitions: readonly PartitionSpan[];
  /** Alerts the rules would have published for the span's readings, in order. */
  readonly alerts: readonly Alert[];
  /** Every alert produced, warm-up included. */
  readonly allAlerts: readonly Alert[];
  readonly readingsInSpan: number;
  readonly readingsWarmup: number;
  /** Records that are not valid readings (the processor dead-letters them). */
  readonly setAside: number;
  /** Record timestamps of the span: first and last reading (undefined when the span is empty). */
  readonly spanStartMs: number | undefined;
  readonly spanEndMs: number | undefined;
  /**
   * With `readPublished`: alerts on the alerts topic from the span start to `publishLagMs` after its end
   * (publishing lags the readings, more so after a backlog) …
   */
  readonly publishedAll?: readonly Alert[];
  /** … and those of them whose event time (FIRING: startsAt, RESOLVED: endsAt) is within the span's readings'. */
  readonly published?: readonly Alert[];
}

interface HeldRecord {
  readonly offset: number;
  readonly appendMs: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
}

export async function runBacktest(options: BacktestOptions): Promise<BacktestResult> {
  const runtime = createRulesRuntime(options.rules);
  const warmupMs = runtime.lookbackMs + (options.warmupExtraMs ?? 60_000);
  const partitions = await resolveSpan(options, warmupMs);
  const total = partitions.reduce((n, p) => n + (p.to - p.warmFrom), 0);
  const maxRecords = options.maxRecords ?? 5_000_000;
  if (total > maxRecords) {
    throw new UsageError(
      `the span holds ${total} readings with its warm-up, more than the ${maxRecords} a backtest holds in memory: narrow --from/--to`,
    );
  }

  // read every partition's range (warm-up and span)
  const held = new Map<number, HeldRecord[]>();
  let read = 0;
  for (const p of partitions) {
    const records: HeldRecord[] = [];
    held.set(p.partition, records);
    if (p.to <= p.warmFrom) continue;
    await readPartitionRange(options.kafka, {
      topic: options.topics.readings,
      partition: p.partition,
      fromOffset: p.warmFrom,
      toOffset: p.to,
      onBatch: (messages: readonly RangeMessage[]) => {
        for (const m of messages) {
          records.push({ offset: m.offset, appendMs: m.timestamp ?? 0, key: m.key, value: m.value });
        }
        read += messages.length;
        options.onProgress?.({ phase: 'reading', done: read, total });
      },
    });
  }

  // run them merged by record timestamp, each partition in offset order
  const codec = new SensorReadingDecoder(sensorReadingCodec());
  const limits = options.limits ?? DEFAULT_READING_LIMITS;
  const idleAfterMs = options.idleAdvanceAfterMs ?? 5_000;
  let nowMs = 0;
  const lanes = partitions.map((p) => ({
    span: p,
    records: held.get(p.partition)!,
    next: 0,
    pipeline: new PartitionPipeline({
      topic: options.topics.readings,
      partition: p.partition,
      windows: runtime.windows,
      rules: runtime.createPartitionRules(new Map(), options.logger),
      idleEvictMs: warmupMs,
      statsIntervalMs: 0,
      now: () => nowMs,
    }),
    checkpoints: new ReplayCheckpoints(warmupMs),
    /** Record time of the lane's last record (−Infinity before its first). */
    lastAppendMs: -Infinity,
    /** Next idle step of the lane's clock. */
    nextIdleMs: Infinity,
  }));
  const spanStartMs = spanStart(options.from, lanes);
  const alerts: Alert[] = [];
  const allAlerts: Alert[] = [];
  const collect = (out: BatchOutput, inSpan: boolean): void => {
    for (const a of out.alerts) {
      allAlerts.push(a);
      if (inSpan) alerts.push(a);
    }
  };
  const idleUntil = (untilMs: number): void => {
    if (idleAfterMs <= 0) return;
    for (;;) {
      let lane: (typeof lanes)[number] | undefined;
      for (const l of lanes) if (l.nextIdleMs <= untilMs && (!lane || l.nextIdleMs < lane.nextIdleMs)) lane = l;
      if (!lane) return;
      nowMs = lane.nextIdleMs;
      const out = new BatchOutput();
      lane.pipeline.idle(nowMs, out, true);
      collect(out, spanStartMs !== undefined && nowMs >= spanStartMs);
      lane.nextIdleMs += 1_000;
    }
  };

  let done = 0;
  let setAside = 0;
  let inSpan = 0;
  let spanEndMs: number | undefined;
  /** Event time of the span's readings, over all partitions and per partition; and each device's partition. */
  const events = { minMs: Infinity, maxMs: -Infinity };
  const eventsByPartition = new Map<number, { minMs: number; maxMs: number }>();
  const partitionOfDevice = new Map<string, number>();
  const envelopes: ReadingEnvelope[] = [];
  for (;;) {
    let lane: (typeof lanes)[number] | undefined;
    for (const l of lanes) {
      const r = l.records[l.next];
      if (r && (!lane || r.appendMs < lane.records[lane.next]!.appendMs)) lane = l;
    }
    if (!lane) break;
    const record = lane.records[lane.next++]!;
    idleUntil(record.appendMs);
    nowMs = Math.max(nowMs, record.appendMs);
    envelopes.length = 0;
    setAside += decodeReadings(
      [record],
      0,
      1,
      {
        topic: options.topics.readings,
        partition: lane.span.partition,
        codec,
        limits,
        nowMs: record.appendMs,
        checkpoints: lane.checkpoints,
        evaluateAfter: -1,
        live: false,
      },
      envelopes,
    );
    const out = new BatchOutput();
    lane.pipeline.run(envelopes, out, true);
    const isInSpan = record.offset >= lane.span.from;
    collect(out, isInSpan);
    if (isInSpan) {
      inSpan++;
      spanEndMs = Math.max(spanEndMs ?? -Infinity, record.appendMs);
      for (const e of envelopes) {
        const partition = lane.span.partition;
        let range = eventsByPartition.get(partition);
        if (!range) eventsByPartition.set(partition, (range = { minMs: Infinity, maxMs: -Infinity }));
        for (const r of [events, range]) {
          r.minMs = Math.min(r.minMs, e.reading.timestamp);
          r.maxMs = Math.max(r.maxMs, e.reading.timestamp);
        }
        partitionOfDevice.set(e.reading.deviceId, partition);
      }
    }
    lane.lastAppendMs = record.appendMs;
    lane.nextIdleMs = record.appendMs + idleAfterMs;
    lane.records[lane.next - 1] = undefined as never; // the bytes are not needed any more
    if (++done % 10_000 === 0) options.onProgress?.({ phase: 'evaluating', done, total });
  }
  const endMs = 'timeMs' in (options.to ?? {}) ? (options.to as { timeMs: number }).timeMs : spanEndMs;
  if (endMs !== undefined) idleUntil(endMs);
  options.onProgress?.({ phase: 'evaluating', done, total });
  for (const l of lanes) l.pipeline.close();

  const result: BacktestResult = {
    partitions,
    alerts,
    allAlerts,
    readingsInSpan: inSpan,
    readingsWarmup: done - inSpan,
    setAside,
    spanStartMs,
    spanEndMs: endMs,
  };
  if (!options.readPublished || spanStartMs === undefined || endMs === undefined) {
    return options.readPublished ? { ...result, published: [], publishedAll: [] } : result;
  }
  const publishedAll = await readPublished(options, spanStartMs, endMs + (options.publishLagMs ?? 600_000));
  // a device's alert is judged against its own partition's span (spans given by offsets may end at different
  // event times per partition); group and fleet alerts against the whole span
  const publishedInSpan = (a: Alert): boolean => {
    const atMs = a.status === 'FIRING' ? a.startsAt : (a.endsAt ?? a.startsAt);
    const partition = partitionOfDevice.get(a.deviceId);
    const range = (partition === undefined ? undefined : eventsByPartition.get(partition)) ?? events;
    return atMs >= range.minMs && atMs <= range.maxMs;
  };
  return {
    ...result,
    publishedAll: publishedAll.map((p) => p.alert),
    published: publishedAll.map((p) => p.alert).filter(publishedInSpan),
  };
}

/** The span's start in record time: `--from` as a time, else the first span record's timestamp. */
function spanStart(
  from: SpanBound,
  lanes: readonly { span: PartitionSpan; records: readonly HeldRecord[] }[],
): number | undefined {
  if ('timeMs' in from) return from.timeMs;
  let start: number | undefined;
  for (const l of lanes) {
    const first = l.records.find((r) => r.offset >= l.span.from);
    if (first) start = Math.min(start ?? Infinity, first.appendMs);
  }
  return start;
}

/** Offsets per partition of the span and of its warm-up, asked of the broker. */
async function resolveSpan(options: BacktestOptions, warmupMs: number): Promise<PartitionSpan[]> {
  const admin = createAdmin(options.kafka, options.logger);
  await admin.connect();
  try {
    const topic = options.topics.readings;
    const marks = await admin.fetchTopicOffsets(topic, { timeout: 10_000, isolationLevel: 1 as never });
    const at = async (timeMs: number): Promise<Map<number, number>> => {
      const found = await admin.fetchTopicOffsetsByTimestamp(topic, timeMs, {
        timeout: 10_000,
        isolationLevel: 1 as never,
      });
      return new Map(found.map((p) => [p.partition, Number(p.offset)]));
    };
    const fromOffsets = 'offsets' in options.from ? options.from.offsets : await at(options.from.timeMs);
    const warmOffsets = 'timeMs' in options.from ? await at(options.from.timeMs - warmupMs) : fromOffsets;
    const toOffsets =
      options.to === undefined ? undefined : 'offsets' in options.to ? options.to.offsets : await at(options.to.timeMs);
    return marks
      .map((m) => {
        const low = Number(m.low);
        const high = Number(m.high);
        // an offset the broker did not find (-1: no record at or after that time) is the partition's end
        const clamp = (offset: number | undefined, fallback: number) =>
          offset === undefined ? fallback : offset < 0 ? high : Math.min(Math.max(offset, low), high);
        const from = clamp(fromOffsets.get(m.partition), 'offsets' in options.from ? high : low);
        const to = Math.max(from, clamp(toOffsets?.get(m.partition), high));
        return {
          partition: m.partition,
          warmFrom: Math.min(clamp(warmOffsets.get(m.partition), from), from),
          from,
          to,
        };
      })
      .sort((a, b) => a.partition - b.partition);
  } finally {
    await admin.disconnect();
  }
}

/** Alerts on the alerts topic with a record timestamp in [fromMs, toMs], each with its timestamp. */
async function readPublished(
  options: BacktestOptions,
  fromMs: number,
  toMs: number,
): Promise<{ alert: Alert; appendMs: number }[]> {
  const codec = alertCodec();
  const admin = createAdmin(options.kafka, options.logger);
  await admin.connect();
  let starts: { partition: number; offset: string }[];
  let ends: Map<number, number>;
  try {
    const at = (timeMs: number) =>
      admin.fetchTopicOffsetsByTimestamp(options.topics.alerts, timeMs, {
        timeout: 10_000,
        isolationLevel: 1 as never,
      });
    starts = await at(fromMs);
    ends = new Map((await at(toMs + 1)).map((p) => [p.partition, Number(p.offset)]));
  } finally {
    await admin.disconnect();
  }
  const out: { alert: Alert; appendMs: number }[] = [];
  for (const s of starts) {
    if (Number(s.offset) < 0) continue;
    const end = ends.get(s.partition);
    await readPartitionRange(options.kafka, {
      topic: options.topics.alerts,
      partition: s.partition,
      fromOffset: Number(s.offset),
      // -1: nothing after toMs yet, read to the end
      ...(end !== undefined && end >= 0 ? { toOffset: end } : {}),
      onBatch: (messages) => {
        for (const m of messages) {
          const appendMs = m.timestamp ?? 0;
          if (appendMs > toMs) continue;
          const decoded = codec.safeDecode(m.value);
          if (decoded.ok && appendMs >= fromMs) out.push({ alert: decoded.value, appendMs });
        }
      },
    });
  }
  return out;
}
