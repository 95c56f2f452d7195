import { describe, expect, it } from 'vitest';
import { consoleOptionsFromEnv, DEFAULT_CONSOLE_OPTIONS, parseScrapeTargets } from '../src/console-options.js';
import { ruleThresholds } from '../src/rule-thresholds.js';

describe('console options', () => {
  it('defaults to http://127.0.0.1:9400 and the services’ default ops ports', () => {
    expect(DEFAULT_CONSOLE_OPTIONS.port).toBe(9400);
    expect(DEFAULT_CONSOLE_OPTIONS.host).toBe('127.0.0.1');
    expect(DEFAULT_CONSOLE_OPTIONS.scrapeTargets.map((t) => t.url)).toEqual([
      'http://127.0.0.1:9464/metrics',
      'http://127.0.0.1:9465/metrics',
      'http://127.0.0.1:9466/metrics',
      'http://127.0.0.1:9000/metrics',
    ]);
  });

  it('reads scrape targets as name=url, adding http:// and /metrics where missing', () => {
    expect(parseScrapeTargets('processor=processor:9465, sink=http://sink:9000/metrics')).toEqual([
      { name: 'processor', url: 'http://processor:9465/metrics' },
      { name: 'sink', url: 'http://sink:9000/metrics' },
    ]);
    expect(() => parseScrapeTargets('nonsense')).toThrow(/name=url/);
  });

  it('takes the environment, and flags over it', () => {
    const options = consoleOptionsFromEnv(
      { CONSOLE_PORT: '9500', OPS_HOST: '0.0.0.0', ALERTS_TOPIC: 'a', STATS_TOPIC: 's' },
      { port: 0 },
    );
    expect([options.port, options.host, options.alertsTopic, options.statsTopic]).toEqual([0, '0.0.0.0', 'a', 's']);
    expect(() => consoleOptionsFromEnv({ CONSOLE_PORT: 'x' })).toThrow(/CONSOLE_PORT/);
  });

  it('reads threshold rules from a rules document and skips absence rules', () => {
    expect(
      ruleThresholds({
        rules: [
          { name: 'hot', metric: 'temperature', statistic: 'mean', above: 80, clear: 75, severity: 'critical' },
          { name: 'silent', metric: '*', absent: '30s' },
          { name: 'cold', metric: 'temperature', below: 10 },
        ],
      }),
    ).toEqual([
      {
        rule: 'hot',
        metric: 'temperature',
        statistic: 'mean',
        condition: 'above',
        threshold: 80,
        clear: 75,
        severity: 'critical',
      },
      {
        rule: 'cold',
        metric: 'temperature',
        statistic: 'mean',
        condition: 'below',
        threshold: 10,
        severity: 'warning',
      },
    ]);
  });
});
