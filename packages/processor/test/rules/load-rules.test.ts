import { fileURLToPath } from 'node:url';
import { ConfigError } from '@sensor-pipeline/shared';
import { describe, expect, it } from 'vitest';
import { loadRules, parseRules } from '../../src/rules/load-rules.js';
import { DEFAULT_ABSENCE_SUMMARY, DEFAULT_THRESHOLD_SUMMARY, type RulesConfig } from '../../src/rules/rules-schema.js';

const RULES_FILE = fileURLToPath(new URL('../../../../config/rules.yaml', import.meta.url));

function configError(lines: readonly string[], env: Record<string, string> = {}): ConfigError {
  try {
    parseRules(`${lines.join('\n')}\n`, 'rules.yaml', { env });
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

/** A valid threshold rule at lines 2–8 of the file, with `extra` lines after it. */
function cpuRule(...extra: string[]): string[] {
  return [
    'rules:', //                    1
    '  - name: cpu-high', //        2
    '    metric: cpu', //           3
    '    window: 30s', //           4
    '    statistic: mean', //       5
    '    above: 90', //             6
    '    severity: warning', //     7
    ...extra, //                    8...
  ];
}

describe('loadRules: the shipped config/rules.yaml', () => {
  it('loads as exactly the documented defaults', () => {
    const expected: RulesConfig = {
      graceMs: 5_000,
      rules: [
        {
          kind: 'threshold',
          name: 'temperature-high',
          severity: 'critical',
          labels: {},
          metric: 'temperature',
          window: { kind: 'time', sizeMs: 30_000 },
          statistic: 'mean',
          condition: 'above',
          threshold: 80,
          clear: 75,
          forMs: 10_000,
          summary:
            '{{status}}: {{deviceId}} temperature {{value}}°C, mean over {{window}} (fires above {{threshold}}°C)',
        },
        {
          kind: 'threshold',
          name: 'temperature-low',
          severity: 'warning',
          labels: {},
          metric: 'temperature',
          window: { kind: 'time', sizeMs: 30_000 },
          statistic: 'mean',
          condition: 'below',
          threshold: 10,
          clear: 12,
          forMs: 0,
          summary:
            '{{status}}: {{deviceId}} temperature {{value}}°C, mean over {{window}} (fires below {{threshold}}°C)',
        },
        {
          kind: 'threshold',
          name: 'cpu-high',
          severity: 'warning',
          labels: {},
          metric: 'cpu',
          window: { kind: 'time', sizeMs: 30_000 },
          statistic: 'mean',
          condition: 'above',
          threshold: 90,
          clear: 80,
          forMs: 20_000,
          summary: '{{status}}: {{deviceId}} CPU {{value}}%, mean over {{window}} (fires above {{threshold}}%)',
        },
        {
          kind: 'threshold',
          name: 'memory-high',
          severity: 'warning',
          labels: {},
          metric: 'memory',
          window: { kind: 'time', sizeMs: 60_000 },
          statistic: 'mean',
          condition: 'above',
          threshold: 85,
          clear: 80,
          forMs: 0,
          summary: '{{status}}: {{deviceId}} memory {{value}}%, mean over {{window}} (fires above {{threshold}}%)',
        },
        {
          kind: 'absence',
          name: 'device-silent',
          severity: 'warning',
          labels: {},
          absentMs: 30_000,
          scope: 'device',
          summary: '{{status}}: {{deviceId}} sent nothing for {{value}} (limit {{threshold}})',
        },
        {
          kind: 'absence',
          name: 'site-silent',
          severity: 'critical',
          labels: {},
          absentMs: 30_000,
          scope: 'group',
          by: ['site'],
          summary: '{{status}}: every device of site {{labels.site}} sent nothing for {{value}} (limit {{threshold}})',
        },
        {
          kind: 'absence',
          name: 'fleet-silent',
          severity: 'critical',
          labels: {},
          absentMs: 30_000,
          scope: 'fleet',
          summary: '{{status}}: no device sent anything for {{value}} (limit {{threshold}})',
        },
      ],
    };
    expect(loadRules(RULES_FILE)).toEqual(expected);
  });

  it('a file that does not exist is a ConfigError naming it', () => {
    expect(() => loadRules('/nonexistent/rules.yaml')).toThrow(
      new ConfigError([{ file: '/nonexistent/rules.yaml', message: 'cannot read config file: file not found' }]),
    );
  });
});

describe('parseRules: every error names the file, the line and the field', () => {
  it('bad YAML (syntax errors have a position but no field)', () => {
    const err = configError(['rules:', '  - name: cpu-high', '   metric: cpu']);
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.issues[0]).toMatchObject({ file: 'rules.yaml', line: 3 });
    expect(err.message).toMatch(/^(\d+ problems in configuration:\n {2})?rules\.yaml:3:\d+: invalid YAML: /);
  });

  it('a key given twice is a YAML error at its second occurrence', () => {
    const err = configError(cpuRule('    severity: critical'));
    expect(err.message).toBe('rules.yaml:8:5: invalid YAML: Map keys must be unique');
  });

  it('missing field', () => {
    const err = configError(cpuRule().filter((line) => !line.includes('severity')));
    expect(err.message).toBe(
      'rules.yaml:2:5 rules[0].severity: missing required field "severity" (one of critical, warning, info)',
    );
    expect(err.issues).toEqual([
      {
        file: 'rules.yaml',
        line: 2,
        column: 5,
        field: 'rules[0].severity',
        message: 'missing required field "severity" (one of critical, warning, info)',
      },
    ]);
  });

  it('missing field of a threshold rule says how to make it an absence rule instead', () => {
    const err = configError(cpuRule().filter((line) => !line.includes('statistic')));
    expect(err.message).toBe(
      'rules.yaml:2:5 rules[0].statistic: missing required field "statistic" for a threshold rule (one of mean, median, min, max, count, stddev); or give "absent: <duration>" for an absence rule',
    );
  });

  it('wrong type', () => {
    const err = configError(cpuRule().map((line) => line.replace('above: 90', 'above: [90]')));
    expect(err.message).toBe('rules.yaml:6:12 rules[0].above: expected a finite number, got a list');
    const text = configError(cpuRule().map((line) => line.replace('above: 90', 'above: ninety')));
    expect(text.message).toBe('rules.yaml:6:12 rules[0].above: expected a finite number, got "ninety"');
  });

  it('an unknown value of an enum lists the allowed ones', () => {
    const err = configError(cpuRule().map((line) => line.replace('metric: cpu', 'metric: gpu')));
    expect(err.message).toBe('rules.yaml:3:13 rules[0].metric: expected one of temperature, cpu, memory, got "gpu"');
  });

  it('unknown key', () => {
    const err = configError(cpuRule('    sevrity: critical'));
    expect(err.message).toMatch(/^rules\.yaml:8:5 rules\[0\]\.sevrity: unknown field "sevrity"/);
    expect(err.issues[0]).toMatchObject({ file: 'rules.yaml', line: 8, column: 5, field: 'rules[0].sevrity' });
  });

  it('unknown key at the top level and in a window object', () => {
    expect(configError(['grase: 5s', ...cpuRule()]).message).toMatch(/^rules\.yaml:1:1 grase: unknown field "grase"/);
    const err = configError(cpuRule().map((line) => line.replace('window: 30s', 'window: { count: 10, hop: 5s }')));
    expect(err.message).toMatch(/^rules\.yaml:4:26 rules\[0\]\.window\.hop: unknown field "hop"/);
  });

  it('bad duration', () => {
    const err = configError(cpuRule('    for: 10 seconds'));
    expect(err.message).toBe(
      'rules.yaml:8:10 rules[0].for: expected a duration like 500ms, 30s, 5m, 1h or 1m30s, got "10 seconds"',
    );
  });

  it('negative `for`', () => {
    expect(configError(cpuRule('    for: -10s')).message).toBe(
      'rules.yaml:8:10 rules[0].for: expected a duration like 500ms, 30s, 5m, 1h or 1m30s, got "-10s"',
    );
    expect(configError(cpuRule('    for: -1000')).message).toBe(
      'rules.yaml:8:10 rules[0].for: expected a non-negative duration, got -1000',
    );
  });

  it('clear on the wrong side of an `above` threshold', () => {
    const err = configError(cpuRule('    clear: 95'));
    expect(err.message).toBe(
      'rules.yaml:8:12 rules[0].clear: clear (95) must be below the "above" threshold (90): the alert resolves once the value drops under clear, e.g. clear: 85',
    );
  });

  it('clear on the wrong side of a `below` threshold, and equal to it', () => {
    const lines = cpuRule('    clear: 5').map((line) => line.replace('above: 90', 'below: 10'));
    expect(configError(lines).message).toBe(
      'rules.yaml:8:12 rules[0].clear: clear (5) must be above the "below" threshold (10): the alert resolves once the value rises over clear, e.g. clear: 11',
    );
    const equal = cpuRule('    clear: 10').map((line) => line.replace('above: 90', 'below: 10'));
    expect(configError(equal).issues[0]).toMatchObject({ line: 8, field: 'rules[0].clear' });
  });

  it('duplicate name, reported at the second one', () => {
    const err = configError([...cpuRule(), '  - name: cpu-high', '    absent: 1m', '    severity: info']);
    expect(err.message).toBe(
      'rules.yaml:8:11 rules[1].name: duplicate rule name "cpu-high" (also rules[0]); rule names must be unique — rename one',
    );
  });

  it('both `above` and `below`', () => {
    expect(configError(cpuRule('    below: 10')).message).toBe(
      'rules.yaml:8:12 rules[0].below: a rule has exactly one of "above" / "below"; remove one (for a band, write two rules)',
    );
  });

  it('neither `above` nor `below`', () => {
    expect(configError(cpuRule().filter((line) => !line.includes('above'))).message).toBe(
      'rules.yaml:2:5 rules[0]: missing threshold: give "above: <number>" or "below: <number>" (or "absent: <duration>" for an absence rule)',
    );
  });

  it('an absence rule with threshold-rule fields', () => {
    const err = configError([
      'rules:',
      '  - name: silent',
      '    absent: 30s',
      '    statistic: mean',
      '    for: 10s',
      '    severity: info',
    ]);
    expect(err.message).toBe(
      [
        '2 problems in configuration:',
        '  rules.yaml:4:16 rules[0].statistic: "statistic" does not apply to an absence rule (it fires on silence); remove it, or remove "absent" to make this a threshold rule',
        '  rules.yaml:5:10 rules[0].for: "for" does not apply to an absence rule (it fires on silence); remove it, or remove "absent" to make this a threshold rule',
      ].join('\n'),
    );
  });

  it('an absence limit below 1s', () => {
    const err = configError(['rules:', '  - name: silent', '    absent: 500ms', '    severity: info']);
    expect(err.message).toBe('rules.yaml:3:13 rules[0].absent: expected a duration of at least 1s, got 500ms');
  });

  it('window too small, hop longer than the window, count of a count window', () => {
    expect(configError(cpuRule().map((l) => l.replace('window: 30s', 'window: 500ms'))).message).toBe(
      'rules.yaml:4:13 rules[0].window: window 500ms is too small: use at least 1s, or {count: 1} to compare each reading',
    );
    expect(configError(cpuRule().map((l) => l.replace('window: 30s', 'window: { size: 10s, hop: 20s }'))).message).toBe(
      'rules.yaml:4:31 rules[0].window.hop: hop 20s is longer than the window 10s; readings between evaluations would never be looked at — use a hop of at most the window size',
    );
    expect(configError(cpuRule().map((l) => l.replace('window: 30s', 'window: { count: 0 }'))).message).toBe(
      'rules.yaml:4:22 rules[0].window.count: a count window holds a whole number of readings, at least 1, e.g. {count: 10}',
    );
    const countOfCount = cpuRule().map((l) =>
      l
        .replace('window: 30s', 'window: { count: 10 }')
        .replace('statistic: mean', 'statistic: count')
        .replace('above: 90', 'below: 5'),
    );
    expect(configError(countOfCount).message).toBe(
      'rules.yaml:5:16 rules[0].statistic: "count" over a count window is always 10 once it is full; use a time window (e.g. window: 30s) to count readings',
    );
    expect(configError(cpuRule().map((l) => l.replace('window: 30s', 'window: [30s]'))).message).toBe(
      'rules.yaml:4:13 rules[0].window: expected a duration like 30s (time window), {count: 10} or {size: 30s, hop: 5s}, got a list',
    );
  });

  it('a percentage threshold that can never hold or always holds', () => {
    expect(configError(cpuRule().map((l) => l.replace('above: 90', 'above: 100'))).message).toBe(
      'rules.yaml:6:12 rules[0].above: cpu is a percentage (0 to 100), so "above: 100" can never hold',
    );
    expect(
      configError(cpuRule().map((l) => l.replace('above: 90', 'below: 101').replace('metric: cpu', 'metric: memory')))
        .message,
    ).toBe('rules.yaml:6:12 rules[0].below: memory is a percentage (0 to 100), so "below: 101" always holds');
    // temperature has no such bounds, and neither does a count of readings
    expect(() =>
      parseRules(
        cpuRule()
          .map((l) => l.replace('above: 90', 'above: 150').replace('metric: cpu', 'metric: temperature'))
          .join('\n'),
        'rules.yaml',
      ),
    ).not.toThrow();
    expect(() =>
      parseRules(
        cpuRule()
          .map((l) => l.replace('above: 90', 'above: 150').replace('statistic: mean', 'statistic: count'))
          .join('\n'),
        'rules.yaml',
      ),
    ).not.toThrow();
  });

  it('unknown summary placeholder, unclosed placeholder', () => {
    expect(configError(cpuRule('    summary: "{{device}} is hot"')).message).toBe(
      'rules.yaml:8:14 rules[0].summary: unknown placeholder {{device}} in summary; use one of {{deviceId}} {{metric}} {{statistic}} {{condition}} {{value}} {{threshold}} {{window}} {{severity}} {{rule}} {{status}} or {{labels.NAME}}',
    );
    expect(configError(cpuRule('    summary: "{{deviceId is hot"')).message).toBe(
      'rules.yaml:8:14 rules[0].summary: unclosed "{{" in summary; write placeholders as {{name}}',
    );
  });

  it('labels the pipeline sets, bad label names, an empty selector', () => {
    expect(configError(cpuRule('    labels: { severity: low }')).message).toBe(
      'rules.yaml:8:25 rules[0].labels.severity: label "severity" is set on every alert by the pipeline; remove it or use another name',
    );
    expect(configError(cpuRule('    labels: { 1team: x }')).issues[0]).toMatchObject({
      line: 8,
      field: 'rules[0].labels.1team',
    });
    expect(configError(cpuRule('    devices: {}')).message).toBe(
      'rules.yaml:8:14 rules[0].devices: an empty device selector: give `match` and/or `labels`, or remove `devices` to select every device',
    );
  });

  it('bad rule name', () => {
    expect(configError(cpuRule().map((l) => l.replace('name: cpu-high', 'name: CPU High'))).message).toBe(
      'rules.yaml:2:11 rules[0].name: rule names are lowercase letters, digits and single dashes, e.g. temperature-high',
    );
  });

  it('reports every problem at once', () => {
    const err = configError([
      ...cpuRule('    clear: 95', '    sevrity: x'),
      '  - name: cpu-high',
      '    absent: 1s',
      '    severity: info',
    ]);
    expect(err.issues.map((i) => `${i.line} ${i.field}`).sort()).toEqual([
      '10 rules[1].name',
      '8 rules[0].clear',
      '9 rules[0].sevrity',
    ]);
    expect(err.message).toMatch(/^3 problems in configuration:\n/);
  });
});

describe('parseRules: accepted forms', () => {
  it('normalizes windows, selectors and defaults', () => {
    const config = parseRules(
      [
        'grace: 2s',
        'rules:',
        '  - name: a',
        '    metric: temperature',
        '    window: { size: 1m, hop: 5s }',
        '    statistic: median',
        '    below: -5.5',
        '    severity: info',
        '    devices: { match: "site-a/*", labels: { model: x1 } }',
        '    labels: { team: ops }',
        '  - name: b',
        '    metric: memory',
        '    window: { count: 10 }',
        '    statistic: max',
        '    above: 99',
        '    severity: critical',
        '    devices: { match: ["a/*", "b/**"] }',
        '  - name: c',
        '    metric: cpu',
        '    window: 90s',
        '    statistic: stddev',
        '    above: 20',
        '    severity: warning',
        '  - name: d',
        '    absent: 2m',
        '    metric: cpu',
        '    severity: info',
      ].join('\n'),
      'rules.yaml',
    );
    expect(config).toEqual({
      graceMs: 2_000,
      rules: [
        {
          kind: 'threshold',
          name: 'a',
          severity: 'info',
          labels: { team: 'ops' },
          devices: { match: ['site-a/*'], labels: { model: 'x1' } },
          metric: 'temperature',
          window: { kind: 'time', sizeMs: 60_000, hopMs: 5_000 },
          statistic: 'median',
          condition: 'below',
          threshold: -5.5,
          forMs: 0,
          summary: DEFAULT_THRESHOLD_SUMMARY,
        },
        {
          kind: 'threshold',
          name: 'b',
          severity: 'critical',
          labels: {},
          devices: { match: ['a/*', 'b/**'] },
          metric: 'memory',
          window: { kind: 'count', size: 10 },
          statistic: 'max',
          condition: 'above',
          threshold: 99,
          forMs: 0,
          summary: DEFAULT_THRESHOLD_SUMMARY,
        },
        {
          kind: 'threshold',
          name: 'c',
          severity: 'warning',
          labels: {},
          metric: 'cpu',
          window: { kind: 'time', sizeMs: 90_000 },
          statistic: 'stddev',
          condition: 'above',
          threshold: 20,
          forMs: 0,
          summary: DEFAULT_THRESHOLD_SUMMARY,
        },
        {
          kind: 'absence',
          name: 'd',
          severity: 'info',
          labels: {},
          metric: 'cpu',
          absentMs: 120_000,
          summary: DEFAULT_ABSENCE_SUMMARY,
        },
      ],
    });
  });

  it('takes thresholds and durations from the environment', () => {
    const lines = cpuRule('    for: ${CPU_FOR:-15s}').map((l) => l.replace('above: 90', 'above: ${CPU_MAX:-95}'));
    const withEnv = parseRules(lines.join('\n'), 'rules.yaml', { env: { CPU_MAX: '70' } });
    expect(withEnv.rules[0]).toMatchObject({ threshold: 70, forMs: 15_000 });
    const defaults = parseRules(lines.join('\n'), 'rules.yaml', { env: {} });
    expect(defaults.rules[0]).toMatchObject({ threshold: 95, forMs: 15_000 });
  });

  it('`for: 0` and `grace: 0` need no unit', () => {
    const config = parseRules(['grace: 0', ...cpuRule('    for: 0')].join('\n'), 'rules.yaml');
    expect(config.graceMs).toBe(0);
    expect(config.rules[0]).toMatchObject({ forMs: 0 });
  });
});

describe('parseRules: limits', () => {
  it('refuses an empty rule list: such a processor could never alert', () => {
    expect(configError(['rules: []']).message).toBe(
      'rules.yaml:1:8 rules: expected at least one rule: a processor without rules can never alert (see config/rules.yaml)',
    );
  });

  it('refuses a bare number as a duration, naming the units', () => {
    expect(configError(cpuRule().map((l) => l.replace('window: 30s', 'window: 90000'))).message).toBe(
      'rules.yaml:4:13 rules[0].window: a bare number is not a duration: got 90000, write it with a unit — ms, s, m, h or d (e.g. 90000s or 90000ms)',
    );
    expect(configError(cpuRule('    for: 5')).message).toContain('rules[0].for: a bare number is not a duration');
    expect(configError(['grace: 5', ...cpuRule()]).issues[0]).toMatchObject({ line: 1, field: 'grace' });
  });

  it('bounds every duration and says the bound', () => {
    expect(configError(cpuRule().map((l) => l.replace('window: 30s', 'window: 100000000h'))).message).toBe(
      'rules.yaml:4:13 rules[0].window: expected a duration of at most 1d, got 100000000h',
    );
    expect(configError(cpuRule().map((l) => l.replace('window: 30s', 'window: { size: 25h }'))).message).toBe(
      'rules.yaml:4:21 rules[0].window.size: expected a duration of at most 1d, got 25h',
    );
    expect(configError(cpuRule('    for: 8d')).message).toBe(
      'rules.yaml:8:10 rules[0].for: expected a duration of at most 7d, got 8d',
    );
    expect(configError(['grace: 2h', ...cpuRule()]).message).toBe(
      'rules.yaml:1:8 grace: expected a duration of at most 1h, got 2h',
    );
    expect(configError(['rules:', '  - name: silent', '    absent: 30d', '    severity: info']).message).toBe(
      'rules.yaml:3:13 rules[0].absent: expected a duration of at most 7d, got 30d',
    );
  });

  it('refuses an invalid glob in a device selector', () => {
    expect(configError(cpuRule('    devices: { match: "site-[a/**" }')).message).toBe(
      'rules.yaml:8:23 rules[0].devices.match: invalid glob "site-[a/**": "[" at character 6 is never closed by "]" (write "\\[" for a literal bracket)',
    );
    expect(configError(cpuRule('    devices: { match: ["site-a/*", "{b"] }')).issues[0]).toMatchObject({
      line: 8,
      field: 'rules[0].devices.match[1]',
    });
    expect(configError(cpuRule('    devices: { match: "" }')).message).toContain('a glob cannot be empty');
  });

  it('bounds names, label values and summaries', () => {
    expect(configError(cpuRule().map((l) => l.replace('name: cpu-high', `name: ${'a'.repeat(101)}`))).message).toBe(
      'rules.yaml:2:11 rules[0].name: expected at most 100 characters, got 101',
    );
    expect(configError(cpuRule(`    labels: { team: ${'x'.repeat(1_001)} }`)).message).toContain(
      'rules[0].labels.team: expected at most 1000 characters, got 1001',
    );
    expect(configError(cpuRule(`    summary: ${'x'.repeat(1_001)}`)).message).toContain(
      'rules[0].summary: a summary of at most 1000 characters',
    );
  });
});
