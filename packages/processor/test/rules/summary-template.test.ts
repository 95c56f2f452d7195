import { describe, expect, it } from 'vitest';
import {
  compileSummaryTemplate,
  formatNumber,
  formatSilence,
  type SummaryContext,
  SummaryTemplateError,
} from '../../src/rules/summary-template.js';

const context: SummaryContext = {
  deviceId: 'site-a/dev-7',
  metric: 'temperature',
  statistic: 'mean',
  condition: 'above',
  value: 82.456,
  threshold: 80,
  window: 'time:30s',
  severity: 'critical',
  rule: 'temperature-high',
  status: 'FIRING',
  labels: { site: 'a', 'k8s.io/zone': 'z1' },
  durations: false,
};

describe('summary templates', () => {
  it('renders every placeholder, with spaces inside braces allowed', () => {
    const template = compileSummaryTemplate(
      '[{{status}}] {{ rule }}/{{severity}}: {{deviceId}} {{metric}} {{statistic}} {{value}} {{condition}} {{threshold}} over {{window}} at {{labels.site}} {{labels.k8s.io/zone}}',
    );
    expect(template.render(context)).toBe(
      '[FIRING] temperature-high/critical: site-a/dev-7 temperature mean 82.46 above 80 over time:30s at a z1',
    );
  });

  it('a missing label renders empty; text without placeholders renders as is; single braces are text', () => {
    expect(compileSummaryTemplate('x{{labels.nope}}y').render(context)).toBe('xy');
    expect(compileSummaryTemplate('{plain} text').render(context)).toBe('{plain} text');
  });

  it('absence rules render value and threshold as durations', () => {
    const template = compileSummaryTemplate('silent for {{value}} (limit {{threshold}})');
    expect(template.render({ ...context, value: 31_543, threshold: 30_000, durations: true })).toBe(
      'silent for 31.5s (limit 30s)',
    );
  });

  it('rejects unknown and unclosed placeholders', () => {
    expect(() => compileSummaryTemplate('{{devic}}')).toThrow(SummaryTemplateError);
    expect(() => compileSummaryTemplate('{{devic}}')).toThrow(
      /^unknown placeholder \{\{devic\}\} in summary; use one of \{\{deviceId\}\}/,
    );
    expect(() => compileSummaryTemplate('{{labels.}}')).toThrow(/unknown placeholder \{\{labels\.\}\}/);
    expect(() => compileSummaryTemplate('a {{value')).toThrow(
      'unclosed "{{" in summary; write placeholders as {{name}}',
    );
    expect(() => compileSummaryTemplate('a value}} b')).toThrow(
      '"}}" without a matching "{{" in summary; write placeholders as {{name}}',
    );
  });

  it('rounds numbers for reading', () => {
    expect([82.456, 80, -Math.PI, 0.012345, 0, 1e21, NaN, 99.999].map(formatNumber)).toEqual([
      '82.46',
      '80',
      '-3.14',
      '0.0123',
      '0',
      '1e+21',
      'NaN',
      '100',
    ]);
  });

  it('formats silences', () => {
    expect([250, 1_000, 30_000, 31_543, 90_000, 3_600_000, 59_999.6].map(formatSilence)).toEqual([
      '250ms',
      '1s',
      '30s',
      '31.5s',
      '1m30s',
      '1h',
      '1m',
    ]);
  });
});
