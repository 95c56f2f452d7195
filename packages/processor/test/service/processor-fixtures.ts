/**
 * Fixtures of the processor's integration tests: a rules file, readings series and fleets, the naive
 * reference, unique topics, and starting the processor in process or as its CLI (stopped by `stopAll`).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  type Alert,
  alertCodec,
  createMetricsRegistry,
  createRawProducer,
  type SensorReading,
  sensorReadingCodec,
  type TopicNames,
} from '@sensor-pipeline/shared';
import { expect } from 'vitest';
import {
  bootstrapServers,
  consumeMessages,
  kafkaSettings,
  type RawMessage,
  testLogger,
  uniqueName,
} from '../../../../test/kafka.js';
import { loadRules } from '../../src/rules/index.js';
import { ProcessorService, type ProcessorServiceOptions } from '../../src/service/processor-service.js';
import { createRulesRuntime } from '../../src/service/rules-runtime.js';
import type { RefAbsenceRule, RefThresholdRule } from './reference-alerts.js';

export const readingCodec = sensorReadingCodec();
export const alerts = alertCodec();
export const BASE = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3_600_000; // an hour ago, on the hour
export const GRACE_MS = 2_000;

export const THRESHOLDS: RefThresholdRule[] = [
  { name: 'temp-high', metric: 'temperature', windowMs: 10_000, above: 80, clear: 75, forMs: 3_000 },
  { name: 'cpu-high', metric: 'cpu', windowMs: 5_000, above: 90, forMs: 0 },
];
export const ABSENCES: RefAbsenceRule[] = [{ name: 'temp-silent', metric: 'temperature', absentMs: 8_000 }];

export function rulesFile(withAbsence: boolean): string {
  const dir = mkdtempSync(join(tmpdir(), 'rules-'));
  const file = join(dir, 'rules.yaml');
  writeFileSync(
    file,
    `grace: ${GRACE_MS}ms
rules:
  - name: temp-high
    metric: temperature
    window: 10s
    statistic: mean
    above: 80
    clear: 75
    for: 3s
    severity: critical
  - name: cpu-high
    metric: cpu
    window: 5s
    statistic: mean
    above: 90
    severity: warning
${
  withAbsence
    ? `  - name: temp-silent
    metric: temperature
    absent: 8s
    severity: warning
`
    : ''
}`,
  );
  return file;
}

/** A device's values, one reading per second from BASE + offsetS. */
export function series(
  deviceId: string,
  metric: SensorReading['metric'],
  values: number[],
  startS = 0,
  skip?: [number, number],
): SensorReading[] {
  const out: SensorReading[] = [];
  values.forEach((value, i) => {
    if (skip && i >= skip[0] && i < skip[1]) return;
    out.push({
      deviceId,
      metric,
      value,
      timestamp: BASE + (startS + i) * 1_000,
      seq: i,
      labels: { site: deviceId.split('/')[0]! },
    });
  });
  return out;
}

export const rep = (n: number, v: number | number[]): number[] =>
  Array.from({ length: n }, (_, i) => (Array.isArray(v) ? v[i % v.length]! : v));

/** Interleave per-device sequences by timestamp (what a fleet sends). */
export function fleet(...streams: SensorReading[][]): SensorReading[] {
  return streams
    .flat()
    .sort(
      (a, b) => a.timestamp - b.timestamp || a.deviceId.localeCompare(b.deviceId) || a.metric.localeCompare(b.metric),
    );
}

export function topicsFor(prefix: string): TopicNames {
  return {
    readings: uniqueName(`${prefix}-readings`),
    alerts: uniqueName(`${prefix}-alerts`),
    stats: uniqueName(`${prefix}-stats`),
    readingsDlq: uniqueName(`${prefix}-dlq`),
    alertState: uniqueName(`${prefix}-state`),
    deliveriesDlq: uniqueName(`${prefix}-ddlq`),
    deliveriesRetry: uniqueName(`${prefix}-dretry`),
  };
}

export const key = (e: {
  rule: string;
  deviceId: string;
  status: string;
  startsAt: number;
  endsAt: number | null;
}): string => `${e.rule} ${e.deviceId} ${e.status} ${e.startsAt} ${e.endsAt}`;

export async function readAlerts(topic: string, count: number, timeoutMs = 90_000): Promise<Alert[]> {
  const messages = await consumeMessages(topic, { count, timeoutMs });
  return messages.map((m) => {
    const decoded = alerts.decode(m.value);
    expect(m.key?.toString()).toBe(decoded.deviceId);
    return decoded;
  });
}

export const services: ProcessorService[] = [];
export const children: ChildProcess[] = [];
/** Stops every service and kills every child started by the helpers below (register with afterEach). */
export async function stopAll(): Promise<void> {
  for (const s of services.splice(0)) await s.stop();
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
}

export function startInProcess(
  topics: TopicNames,
  groupId: string,
  rules: string,
  delivery: 'at-least-once' | 'exactly-once' = 'at-least-once',
  extra: Partial<ProcessorServiceOptions> = {},
): ProcessorService {
  const service = new ProcessorService({
    delivery,
    kafka: kafkaSettings('processor-test'),
    topics,
    groupId,
    rules: createRulesRuntime(loadRules(rules)),
    logger: testLogger,
    registry: createMetricsRegistry('processor-test'),
    statsIntervalMs: 5_000,
    commitIntervalMs: 200,
    // these tests' readings are stamped an hour ago (BASE): judged on the wall clock, every sensor would look
    // silent whenever a partition idles; tests of idle advance turn it on
    idleAdvanceAfterMs: 0,
    ...extra,
  });
  services.push(service);
  return service;
}

export const CLI = resolve(import.meta.dirname, '../../dist/cli.js');

export function startCli(
  topics: TopicNames,
  groupId: string,
  rules: string,
  instance: string,
  extraArgs: readonly string[] = [],
  extraEnv: Readonly<Record<string, string>> = {},
): ChildProcess {
  const child = spawn(
    process.execPath,
    [
      CLI,
      '--rules',
      rules,
      '--group-id',
      groupId,
      '--metrics-port',
      '0',
      '--commit-interval',
      '200ms',
      '--instance-id',
      instance,
      ...extraArgs,
    ],
    {
      env: {
        ...process.env,
        KAFKA_BOOTSTRAP_SERVERS: bootstrapServers(),
        READINGS_TOPIC: topics.readings,
        ALERTS_TOPIC: topics.alerts,
        STATS_TOPIC: topics.stats,
        READINGS_DLQ_TOPIC: topics.readingsDlq,
        ALERT_STATE_TOPIC: topics.alertState,
        LOG_LEVEL: 'warn',
        ...extraEnv,
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  children.push(child);
  return child;
}

/** The devices whose alerts mark the end of a test's input, one per readings partition. */
export const SENTINEL_DEVICE = 'zz/sentinel';
const sentinelOf = (partition: number): string => `${SENTINEL_DEVICE}-${partition}`;

/**
 * Records that fire `cpu-high` for one sentinel device per readings partition, produced to that partition
 * explicitly, at `atS` seconds after BASE (after every other reading): append them after a test's input.
 */
export function sentinelRecords(partitions: number, atS: number): RawMessage[] {
  return Array.from({ length: partitions }, (_, p) =>
    series(sentinelOf(p), 'cpu', rep(2, 99), atS).map((r) => ({
      key: r.deviceId,
      value: readingCodec.encode(r),
      partition: p,
    })),
  ).flat();
}

/**
 * Reads a one-partition alerts topic from the start until every readings partition's sentinel fired: what
 * the processor published before them is all there is (no idle wait, no sleep). Sentinel alerts left out.
 */
export async function readAlertsUntilSentinel(topic: string, partitions: number, timeoutMs = 90_000): Promise<Alert[]> {
  const started = Date.now();
  for (let count = partitions; ; ) {
    const messages = await consumeMessages(topic, {
      count,
      timeoutMs: Math.max(1_000, timeoutMs - (Date.now() - started)),
    });
    const decoded = messages.map((m) => alerts.decode(m.value));
    const seen = new Set(decoded.filter((a) => a.deviceId.startsWith(SENTINEL_DEVICE)).map((a) => a.deviceId));
    if (seen.size >= partitions) return decoded.filter((a) => !a.deviceId.startsWith(SENTINEL_DEVICE));
    count = messages.length + 1;
  }
}

/** Produces records (idempotent, acks=all) through the raw producer and waits for every acknowledgement. */
export async function produceRecords(topic: string, records: readonly RawMessage[]): Promise<void> {
  const producer = createRawProducer(kafkaSettings('test-records'), { logger: testLogger, lingerMs: 1 });
  await producer.connect();
  try {
    await producer.produceBatch(
      records.map((r) => ({
        topic,
        key: r.key ?? null,
        value: typeof r.value === 'string' ? Buffer.from(r.value) : r.value,
        ...(r.partition !== undefined ? { partition: r.partition } : {}),
      })),
    );
  } finally {
    await producer.disconnect();
  }
}

export type { Alert };
