/** The rules file's `scope` and `by` for absence rules: what they normalize to, and located errors. */
import { ConfigError } from '@sensor-pipeline/shared';
import { describe, expect, it } from 'vitest';
import { parseRules } from '../../src/rules/load-rules.js';

function parse(...lines: string[]) {
  return parseRules(
    `${['rules:', '  - name: quiet', '    absent: 30s', '    severity: warning', ...lines].join('\n')}\n`,
    'rules.yaml',
  );
}

function configError(...lines: string[]): ConfigError {
  try {
    parse(...lines);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('absence rule scopes in the rules file', () => {
  it('normalizes scope and by (sensor by default; by implies group)', () => {
    expect(parse().rules[0]).not.toHaveProperty('scope');
    expect(parse('    scope: device').rules[0]).toMatchObject({ scope: 'device' });
    expect(parse('    by: [site, room]').rules[0]).toMatchObject({ scope: 'group', by: ['site', 'room'] });
    expect(parse('    scope: group', '    by: [site]').rules[0]).toMatchObject({ scope: 'group', by: ['site'] });
    expect(parse('    scope: fleet').rules[0]).toMatchObject({ scope: 'fleet' });
    expect(parse('    by: [site]').rules[0]!.summary).toBe(
      'every device of site={{labels.site}} sent nothing for {{value}} (limit {{threshold}}) ({{rule}})',
    );
  });

  it.each([
    [['    scope: building'], 5, 'rules[0].scope', /one of sensor, device, group, fleet, got "building"/],
    [['    scope: group'], 5, 'rules[0].scope', /needs "by: \[label, \.\.\.\]"/],
    [['    by: []'], 5, 'rules[0].by', /use "scope: fleet"/],
    [['    scope: device', '    by: [site]'], 6, 'rules[0].by', /remove "scope: device"/],
    [['    by: [site, deviceId]'], 5, 'rules[0].by[1]', /deviceId is not a device label: .*scope: device/],
    [['    by: [metric]'], 5, 'rules[0].by[0]', /metric is not a device label/],
    [['    by: [site, site]'], 5, 'rules[0].by[1]', /listed twice/],
    [['    by: [9lives]'], 5, 'rules[0].by[0]', /not a label name/],
    [['    scope: device', '    metric: cpu'], 6, 'rules[0].metric', /applies to scope sensor only/],
  ])('refuses %j at line %i, field %s', (lines, line, field, message) => {
    const err = configError(...lines);
    expect(err.issues[0]).toMatchObject({ file: 'rules.yaml', line, field });
    expect(err.issues[0]!.message).toMatch(message);
  });

  it('refuses scope and by on a threshold rule', () => {
    let err: ConfigError | undefined;
    try {
      parseRules(
        'rules:\n  - name: hot\n    metric: cpu\n    window: 30s\n    statistic: mean\n    above: 90\n    severity: info\n    scope: device\n',
        'rules.yaml',
      );
    } catch (e) {
      err = e as ConfigError;
    }
    expect(err?.issues[0]).toMatchObject({ line: 8, field: 'rules[0].scope' });
    expect(err?.issues[0]?.message).toMatch(/applies to absence rules only/);
  });
});
