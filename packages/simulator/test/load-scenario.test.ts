import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '@sensor-pipeline/shared';
import { describe, expect, it } from 'vitest';
import { loadScenario, parseScenario } from '../src/scenario/load-scenario.js';
import { FAULT_KINDS } from '../src/scenario/scenario-schema.js';

const DEMO = fileURLToPath(new URL('../../../config/scenarios/demo.yaml', import.meta.url));

const VALID = `name: t
interval: 1s
fleet:
  sites:
    - name: site-a
      devices: 3
faults:
  - kind: overheat
    devices: [site-a/dev-0002]
    at: 20s
`;

/** Parses `text` as scenario file `bad.yaml` and returns the ConfigError it must throw. */
function errorOf(text: string): ConfigError {
  try {
    parseScenario(text, 'bad.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('scenario files', () => {
  it('loads the demo scenario', () => {
    const scenario = loadScenario(DEMO);
    expect(scenario.name).toBe('demo');
    expect(scenario.interval).toBe(1_000);
    expect(scenario.fleet.sites.reduce((n, s) => n + s.devices, 0)).toBe(50);
    expect(scenario.faults.map((f) => f.kind)).toEqual(
      expect.arrayContaining(['overheat', 'cpu-burst', 'memory-leak', 'freeze', 'dropout']),
    );
  });

  it('applies defaults and converts durations to milliseconds', () => {
    const scenario = parseScenario(VALID, 'ok.yaml');
    expect(scenario.faults[0]).toMatchObject({ kind: 'overheat', at: 20_000, targetC: 95, ramp: 120_000 });
    expect(scenario.metrics).toEqual({});
    expect(parseScenario(VALID.replace('interval: 1s', 'interval: 250ms'), 'ok.yaml').interval).toBe(250);
    expect(parseScenario(`startTime: 2024-05-01T12:00:00Z\n${VALID}`, 'ok.yaml').startTime).toBe(
      Date.UTC(2024, 4, 1, 12),
    );
    expect(parseScenario(`startTime: 1700000000000\n${VALID}`, 'ok.yaml').startTime).toBe(1_700_000_000_000);
  });

  it('parses signed durations for clock skew', () => {
    const text = `${VALID}  - kind: clock-skew\n    devices: [site-a/dev-0001]\n    offset: -1m30s\n    driftPerHour: +2s\n`;
    expect(parseScenario(text, 'ok.yaml').faults[1]).toMatchObject({ offset: -90_000, driftPerHour: 2_000 });
  });

  describe('errors name file, line and field', () => {
    it('a missing file', () => {
      expect(() => loadScenario('/nonexistent/scenario.yaml')).toThrow(
        /\/nonexistent\/scenario\.yaml: cannot read config file: file not found/,
      );
    });

    it('invalid YAML', () => {
      const err = errorOf(VALID.replace('devices: 3', 'devices: [3'));
      expect(err.message).toMatch(/^bad\.yaml:\d+:\d+: invalid YAML/);
    });

    it('an unknown field, with a suggestion', () => {
      const err = errorOf(VALID.replace('interval: 1s', 'intervall: 1s'));
      expect(err.message).toMatch(/^bad\.yaml:2:1 intervall: unknown field "intervall" — did you mean "interval"\?/);
    });

    it('a value of the wrong type', () => {
      const err = errorOf(VALID.replace('devices: 3', 'devices: many'));
      expect(err.message).toBe(
        'bad.yaml:6:16 fleet.sites[0].devices: expected a whole number from 0 to 10000000, got "many"',
      );
    });

    it('a missing required field', () => {
      const err = errorOf('name: t\ninterval: 1s\n');
      expect(err.message).toMatch(/^bad\.yaml:1:1 fleet: missing required field "fleet"/);
    });

    it('a bad duration', () => {
      const err = errorOf(VALID.replace('at: 20s', 'at: 20 seconds'));
      expect(err.message).toBe(
        'bad.yaml:10:9 faults[0].at: expected a duration like 500ms, 30s, 5m, 1h or 1m30s, got "20 seconds"',
      );
    });

    it('a bare number as a duration, naming the units', () => {
      expect(errorOf(VALID.replace('interval: 1s', 'interval: 250')).message).toBe(
        'bad.yaml:2:11 interval: a bare number is not a duration: got 250, write it with a unit — ms, s, m, h or d (e.g. 250s or 250ms)',
      );
      expect(errorOf(VALID.replace('interval: 1s', 'interval: 0')).message).toBe(
        'bad.yaml:2:11 interval: expected a duration of at least 1ms, got 0ms',
      );
    });

    it('a duration above its bound, naming the bound', () => {
      expect(errorOf(VALID.replace('interval: 1s', 'interval: 2d')).message).toBe(
        'bad.yaml:2:11 interval: expected a duration of at most 1d, got 2d',
      );
      expect(errorOf(VALID.replace('at: 20s', 'at: 100000000h')).message).toBe(
        'bad.yaml:10:9 faults[0].at: expected a duration of at most 366d, got 100000000h',
      );
      const skew = `${VALID}  - kind: clock-skew\n    devices: [site-a/dev-0001]\n    offset: -31d\n`;
      expect(errorOf(skew).message).toBe(
        'bad.yaml:13:13 faults[1].offset: expected a duration of at most 30d, got 31d',
      );
    });

    it('an unknown fault kind, listing the known ones', () => {
      const err = errorOf(VALID.replace('kind: overheat', 'kind: meltdown'));
      expect(err.message).toBe(`bad.yaml:8:11 faults[0].kind: expected kind to be one of ${FAULT_KINDS.join(', ')}`);
    });

    it('a field of another fault kind', () => {
      const err = errorOf(VALID.replace('at: 20s', 'at: 20s\n    levelPercent: 99'));
      expect(err.message).toMatch(/^bad\.yaml:11:5 faults\[0\]\.levelPercent: unknown field "levelPercent"/);
    });

    it('a device that is not in the fleet', () => {
      const err = errorOf(VALID.replace('site-a/dev-0002', 'site-a/dev-0009'));
      expect(err.message).toBe(
        'bad.yaml:9:15 faults[0].devices[0]: no device "site-a/dev-0009": site site-a has devices site-a/dev-0001 to site-a/dev-0003',
      );
    });

    it('a site that is not in the fleet', () => {
      const err = errorOf(VALID.replace('devices: [site-a/dev-0002]', 'sites: [site-q]'));
      expect(err.message).toBe(
        'bad.yaml:9:13 faults[0].sites[0]: no site named "site-q" in fleet.sites (have: site-a)',
      );
    });

    it('a fault that says neither which devices nor how many', () => {
      const err = errorOf(VALID.replace('    devices: [site-a/dev-0002]\n', ''));
      expect(err.message).toMatch(/^bad\.yaml:8:5 faults\[0\]: say which devices this fault hits/);
    });

    it('a value out of range', () => {
      const err = errorOf(`${VALID}  - kind: late-delivery\n    share: 0.5\n    lateShare: 1.5\n    by: 2s\n`);
      expect(err.message).toMatch(/^bad\.yaml:13:16 faults\[1\]\.lateShare: Too big: expected number to be <=1/);
    });

    it('a metric level outside the physical range', () => {
      const err = errorOf(`${VALID}metrics:\n  cpu:\n    level: 140\n`);
      expect(err.message).toBe('bad.yaml:13:12 metrics.cpu.level: expected a level within [0, 100] %, got 140');
    });

    it('a duplicate site', () => {
      const err = errorOf(
        VALID.replace('      devices: 3\n', '      devices: 3\n    - name: site-a\n      devices: 3\n'),
      );
      expect(err.message).toBe(
        'bad.yaml:7:13 fleet.sites[1].name: site "site-a" is listed twice; site names must be unique',
      );
    });

    it('several problems at once, each on its own line', () => {
      const err = errorOf(VALID.replace('interval: 1s', 'interval: fast').replace('devices: 3', 'devices: -1'));
      expect(err.issues).toHaveLength(2);
      expect(err.message).toMatch(
        /2 problems in configuration:\n {2}bad\.yaml:2:11 interval: .*\n {2}bad\.yaml:6:16 fleet\.sites\[0\]\.devices: /,
      );
    });

    it('an unset environment variable', () => {
      expect(() =>
        parseScenario(VALID.replace('name: t', 'name: ${SCENARIO_NAME_UNSET}'), 'bad.yaml', { env: {} }),
      ).toThrow('bad.yaml:1:7 name: environment variable SCENARIO_NAME_UNSET is not set');
    });
  });

  it('reads a file from disk and reports its path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'scenario-'));
    const file = join(dir, 'broken.yaml');
    writeFileSync(file, VALID.replace('devices: 3', 'devices: 2.5'));
    expect(() => loadScenario(file)).toThrow(
      `${file}:6:16 fleet.sites[0].devices: expected a whole number from 0 to 10000000, got 2.5`,
    );
    expect(() => loadScenario('/dev/urandom')).toThrow(
      '/dev/urandom: cannot read config file: it is a character device, not a regular file',
    );
  });
});
