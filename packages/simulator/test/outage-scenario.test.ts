/** Outages in scenario files: a site's devices, or the whole fleet, silent for a span, then all resume. */
import { fileURLToPath } from 'node:url';
import { ConfigError } from '@sensor-pipeline/shared';
import { describe, expect, it } from 'vitest';
import { planRun } from '../src/core/plan-run.js';
import { generateReadings } from '../src/core/reading-generator.js';
import { loadScenario, parseScenario } from '../src/scenario/load-scenario.js';

const scenarioFile = (name: string) =>
  fileURLToPath(new URL(`../../../config/scenarios/${name}.yaml`, import.meta.url));

const FLEET = `name: t
interval: 1s
fleet:
  sites:
    - { name: site-a, devices: 3 }
    - { name: site-b, devices: 3 }
faults:
`;

function errorOf(faultLines: string): ConfigError {
  try {
    parseScenario(FLEET + faultLines, 'bad.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

/** Per site, the longest gap between consecutive readings (seconds) and when it started (s after start). */
function gaps(file: string): Record<string, [number, number]> {
  const { fleet, startTimeMs } = planRun(loadScenario(scenarioFile(file)), { seed: 1 });
  const last = new Map<string, number>();
  const widest: Record<string, [number, number]> = {};
  for (const r of generateReadings(fleet, { endTimeMs: startTimeMs + 180_000 })) {
    const site = fleet.sites[fleet.devices[r.device]!.site]!.name;
    const t = (r.timestampMs - startTimeMs) / 1_000;
    const gap = t - (last.get(site) ?? t);
    if (gap > (widest[site]?.[0] ?? 0)) widest[site] = [Math.round(gap), Math.floor(last.get(site)!)];
    last.set(site, t);
  }
  return widest;
}

describe('outage faults', () => {
  it('site-outage.yaml: site-b sends nothing for 60s from t=60s; site-a goes on', () => {
    expect(gaps('site-outage')).toEqual({ 'site-a': [expect.any(Number), expect.any(Number)], 'site-b': [60, 59] });
    expect(gaps('site-outage')['site-a']![0]).toBeLessThan(2);
  });

  it('fleet-outage.yaml: nothing at all for 60s from t=60s, then everything resumes', () => {
    expect(gaps('fleet-outage')).toEqual({ 'site-a': [60, 59], 'site-b': [60, 59] });
  });

  it('the demo has a site outage after its first five minutes of faults', () => {
    const demo = loadScenario(scenarioFile('demo'));
    expect(demo.faults.filter((f) => f.kind === 'outage')).toEqual([
      expect.objectContaining({ sites: ['site-b'], at: 300_000, for: 60_000 }),
    ]);
  });

  it.each([
    ['  - { kind: outage, at: 10s }\n', 'faults[0]', /an outage needs "for"/],
    ['  - { kind: outage, devices: [site-a/dev-0001], at: 10s, for: 5s }\n', 'faults[0].devices', /remove "devices"/],
    ['  - { kind: outage, share: 0.5, at: 10s, for: 5s }\n', 'faults[0].share', /remove "share"/],
    ['  - { kind: outage, sites: [site-c], for: 5s }\n', 'faults[0].sites[0]', /no site named "site-c"/],
  ])('refuses %j on %s', (lines, field, message) => {
    const err = errorOf(lines);
    expect(err.issues[0]).toMatchObject({ file: 'bad.yaml', line: 8, field });
    expect(err.issues[0]?.message).toMatch(message);
  });
});
