/**
 * Runs one test of a rules test file in process, on the real pure core: the rules runtime's engine and the
 * partition pipeline's sliding windows, as the processor runs them on one partition — no Kafka. Time is event
 * time from 0: step k is k × interval; at each step the series' samples of that step are processed in file
 * order, then the partition's clock advances to the step as a caught-up partition's does, so absence rules
 * see the silence of a sensor whose samples are missing (`_`). Every alert is stamped with the step that
 * published it; a check at `eval_time` compares, for its rule, each series' latest alert at or before it.
 */
import { type Alert, createLogger, type SensorReading } from '@sensor-pipeline/shared';
import type { RulesConfig } from '../rules/rules-schema.js';
import { BatchOutput } from '../service/batch-output.js';
import { PartitionPipeline, type ReadingEnvelope } from '../service/partition-pipeline.js';
import { createRulesRuntime } from '../service/rules-runtime.js';
import type { ExpectedAlert, RulesTestCase } from './rules-test-schema.js';

/** An alert as published, with the event time of the step that published it. */
export interface PublishedAlert {
  readonly alert: Alert;
  readonly atMs: number;
}

export interface RulesCheckOutcome {
  readonly alertname: string;
  readonly evalTimeMs: number;
  readonly expected: readonly ExpectedAlert[];
  /** The latest alert of each series of the rule at `evalTimeMs`. */
  readonly got: readonly PublishedAlert[];
  /** Expected alerts no got alert matched. */
  readonly missing: readonly ExpectedAlert[];
  /** Got alerts no expected alert matched. */
  readonly unexpected: readonly PublishedAlert[];
  readonly ok: boolean;
}

export interface RulesTestOutcome {
  readonly checks: readonly RulesCheckOutcome[];
  readonly ok: boolean;
  /** Every alert the test's input published, in order. */
  readonly published: readonly PublishedAlert[];
}

const quiet = createLogger({ service: 'processor', level: 'silent' });

export function runRulesTest(rules: RulesConfig, test: RulesTestCase, intervalMs: number): RulesTestOutcome {
  const runtime = createRulesRuntime(rules);
  let nowMs = 0;
  const pipeline = new PartitionPipeline({
    topic: 'test-rules',
    partition: 0,
    windows: runtime.windows,
    rules: runtime.createPartitionRules(new Map(), quiet),
    idleEvictMs: runtime.lookbackMs + 60_000,
    statsIntervalMs: 0,
    now: () => nowMs,
  });
  const steps = Math.max(
    ...test.input_series.map((s) => s.values.length),
    ...test.alert_rule_test.map((c) => Math.floor(c.eval_time / intervalMs) + 1),
  );
  const published: PublishedAlert[] = [];
  let offset = 0;
  for (let k = 0; k < steps; k++) {
    nowMs = k * intervalMs;
    const envelopes: ReadingEnvelope[] = [];
    for (const s of test.input_series) {
      const value = s.values[k];
      if (value === undefined) continue;
      const reading: SensorReading = {
        deviceId: s.device,
        metric: s.metric,
        value,
        timestamp: nowMs,
        seq: k,
        labels: s.labels,
      };
      envelopes.push({ reading, sensor: '', offset: offset++, key: null, value: null, evaluate: true, live: true });
    }
    const out = new BatchOutput();
    pipeline.run(envelopes, out, true);
    pipeline.idle(nowMs, out, true);
    for (const alert of out.alerts) published.push({ alert, atMs: nowMs });
  }
  pipeline.close();

  const checks = test.alert_rule_test.map((check): RulesCheckOutcome => {
    const latest = new Map<string, PublishedAlert>();
    for (const p of published) {
      if (p.atMs > check.eval_time || p.alert.rule !== check.alertname) continue;
      latest.set(p.alert.fingerprint, p);
    }
    const got = [...latest.values()];
    const unexpected = [...got];
    const missing: ExpectedAlert[] = [];
    for (const expected of check.exp_alerts) {
      const i = unexpected.findIndex((p) => matches(expected, p.alert));
      if (i < 0) missing.push(expected);
      else unexpected.splice(i, 1);
    }
    return {
      alertname: check.alertname,
      evalTimeMs: check.eval_time,
      expected: check.exp_alerts,
      got,
      missing,
      unexpected,
      ok: missing.length === 0 && unexpected.length === 0,
    };
  });
  return { checks, ok: checks.every((c) => c.ok), published };
}

/** Status equal, every expected label equal, value equal at the precision written, summary equal. */
export function matches(expected: ExpectedAlert, alert: Alert): boolean {
  if (expected.status !== alert.status) return false;
  for (const [name, value] of Object.entries(expected.labels)) if (alert.labels[name] !== value) return false;
  if (expected.value !== undefined && !sameAtPrecision(expected.value, alert.value)) return false;
  return expected.summary === undefined || expected.summary === alert.summary;
}

/** `got` rounded to as many decimals as `expected` is written with equals `expected` (86.67 ~ 86.6667). */
function sameAtPrecision(expected: number, got: number): boolean {
  if (Number.isNaN(got)) return Number.isNaN(expected);
  const decimals = (String(expected).split('.')[1] ?? '').length;
  if (/e/i.test(String(expected)) || decimals > 12) return Math.abs(expected - got) <= Math.abs(expected) * 1e-12;
  return Number(got.toFixed(decimals)) === expected;
}
