/**
 * The Grafana dashboard and the Prometheus rules read only series that exist: every metric named in a
 * dashboard expression or a rule expression is one the services export (declared in a `*-metrics.ts` file
 * of a package, or a Node.js process metric every service registers), a series a recording rule records,
 * or Prometheus's own `up`. Also: the dashboard uses the provisioned data source, and compose mounts what
 * Grafana and Prometheus load. Reads files only.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const DASHBOARD_DIR = join(REPO, 'infra/grafana/dashboards');
const RULES_DIR = join(REPO, 'infra/prometheus/rules');

/** prom-client's default process metrics, registered by every service (shared's createMetricsRegistry). */
const PROCESS_METRICS = [
  'process_cpu_seconds_total',
  'process_resident_memory_bytes',
  'process_start_time_seconds',
  'process_open_fds',
  'nodejs_eventloop_lag_seconds',
  'nodejs_heap_size_used_bytes',
];
const PROMETHEUS_METRICS = ['up'];

function filesUnder(dir: string, test: (name: string) => boolean): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(path, test));
    else if (test(entry.name)) out.push(path);
  }
  return out;
}

/** Metric names declared in the packages' `*-metrics.ts` files: `name: '...'` and `collector('...'`. */
function exportedMetricNames(): Set<string> {
  const names = new Set<string>([...PROCESS_METRICS, ...PROMETHEUS_METRICS]);
  for (const pkg of readdirSync(join(REPO, 'packages'))) {
    let files: string[];
    try {
      files = filesUnder(join(REPO, 'packages', pkg, 'src'), (n) => n.endsWith('-metrics.ts'));
    } catch {
      continue;
    }
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/\bname:\s*'([a-z][a-z0-9_:]*)'/g)) names.add(m[1]!);
      for (const m of text.matchAll(/\bcollector\(\s*'([a-z][a-z0-9_:]*)'/g)) names.add(m[1]!);
    }
  }
  return names;
}

interface RuleFile {
  groups: { name: string; rules: { record?: string; alert?: string; expr: string }[] }[];
}

function ruleFiles(): RuleFile[] {
  return readdirSync(RULES_DIR)
    .filter((f) => f.endsWith('.rules.yml'))
    .map((f) => parse(readFileSync(join(RULES_DIR, f), 'utf8')) as RuleFile);
}

const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'offset',
  'inf',
  'nan',
]);

/** The metric names a PromQL expression reads (not functions, keywords, labels, strings or durations). */
export function metricNamesIn(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\$\{?\w+\}?/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names: string[] = [];
  for (const m of stripped.matchAll(/(?<![\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\()?/g)) {
    if (m[2]) continue; // a function call
    if (KEYWORDS.has(m[1]!.toLowerCase())) continue;
    names.push(m[1]!);
  }
  return names;
}

function dashboards(): { file: string; json: { panels: Panel[] } }[] {
  return readdirSync(DASHBOARD_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => ({ file: f, json: JSON.parse(readFileSync(join(DASHBOARD_DIR, f), 'utf8')) }));
}

interface Panel {
  title: string;
  type: string;
  datasource?: { uid: string };
  targets?: { expr: string; datasource?: { uid: string } }[];
  panels?: Panel[];
}

function panelsOf(list: Panel[]): Panel[] {
  return list.flatMap((p) => [p, ...panelsOf(p.panels ?? [])]);
}

describe('metric names in PromQL', () => {
  it('finds the series an expression reads, not its functions, labels or variables', () => {
    expect(
      metricNamesIn(
        'histogram_quantile(0.99, sum by (le) (rate(x_seconds_bucket{job="a:b"}[$__rate_interval]))) / on(instance) group_left y and z > 1e3',
      ),
    ).toEqual(['x_seconds_bucket', 'y', 'z']);
    expect(metricNamesIn('time() - max(simulator_event_time_seconds)')).toEqual(['simulator_event_time_seconds']);
  });
});

describe('the Grafana dashboard and the Prometheus rules name exported metrics', () => {
  const exported = exportedMetricNames();
  const recorded = new Set(ruleFiles().flatMap((f) => f.groups.flatMap((g) => g.rules.flatMap((r) => r.record ?? []))));
  const known = (name: string) =>
    exported.has(name) || recorded.has(name) || exported.has(name.replace(/_(?:bucket|sum|count)$/, ''));

  it("finds every service's metrics (the scan is not empty)", () => {
    for (const name of [
      'processor_consumer_lag',
      'processor_readings_total',
      'alerting_deliveries_total',
      'simulator_readings_acked_total',
      'console_skipped_records_total',
      'sink_webhooks_total',
    ])
      expect(exported, name).toContain(name);
  });

  it('every dashboard expression reads exported or recorded series', () => {
    const list = dashboards();
    expect(list.length).toBeGreaterThan(0);
    const unknown: string[] = [];
    let expressions = 0;
    for (const { file, json } of list) {
      for (const panel of panelsOf(json.panels)) {
        for (const target of panel.targets ?? []) {
          expressions += 1;
          const names = metricNamesIn(target.expr);
          expect(names.length, `${file} "${panel.title}": ${target.expr}`).toBeGreaterThan(0);
          for (const name of names) if (!known(name)) unknown.push(`${file} "${panel.title}": ${name}`);
        }
      }
    }
    expect(expressions).toBeGreaterThan(10);
    expect(unknown).toEqual([]);
  });

  it('every alert and recording rule reads exported or recorded series', () => {
    const unknown: string[] = [];
    for (const file of ruleFiles()) {
      for (const group of file.groups) {
        for (const rule of group.rules) {
          for (const name of metricNamesIn(rule.expr)) {
            if (!known(name)) unknown.push(`${rule.record ?? rule.alert}: ${name}`);
          }
        }
      }
    }
    expect(unknown).toEqual([]);
  });

  it('panels use the provisioned Prometheus data source', () => {
    const provisioned = parse(
      readFileSync(join(REPO, 'infra/grafana/provisioning/datasources/prometheus.yml'), 'utf8'),
    ) as { datasources: { uid: string }[] };
    const uids = new Set(provisioned.datasources.map((d) => d.uid));
    for (const { json } of dashboards()) {
      for (const panel of panelsOf(json.panels)) {
        if (panel.type === 'row') continue;
        expect(uids, panel.title).toContain(panel.datasource?.uid);
      }
    }
  });
});
