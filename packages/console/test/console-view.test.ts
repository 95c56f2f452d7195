import { parsePrometheusText } from '@sensor-pipeline/shared';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONSOLE_OPTIONS } from '../src/console-options.js';
import { ConsoleView, siteOf } from '../src/console-view.js';
import { alertFixture, statsFixture } from './alert-fixture.js';

const HOUR_MS = 3_600_000;

describe('ConsoleView: alerts', () => {
  it('a FIRING adds its fingerprint, its RESOLVED removes it; the timeline keeps both', () => {
    const view = new ConsoleView(DEFAULT_CONSOLE_OPTIONS);
    const firing = alertFixture({ startsAt: 1_000_000 });
    view.applyAlert(firing, 1_000_000);
    expect(view.firingFingerprints()).toEqual([firing.fingerprint]);
    const resolved = alertFixture({ status: 'RESOLVED', startsAt: 1_000_000, endsAt: 1_060_000 });
    view.applyAlert(resolved, 1_060_000);
    expect(view.firingFingerprints()).toEqual([]);
    const snapshot = view.alertsSnapshot(1_060_000);
    expect(snapshot.timeline.map((e) => [e.status, e.atMs])).toEqual([
      ['FIRING', 1_000_000],
      ['RESOLVED', 1_060_000],
    ]);
  });

  it('rebuilding from a replayed topic leaves exactly the alerts that never resolved', () => {
    const view = new ConsoleView(DEFAULT_CONSOLE_OPTIONS);
    const events = [
      alertFixture({ deviceId: 'site-a/dev-1' }),
      alertFixture({ deviceId: 'site-b/dev-2' }),
      alertFixture({ deviceId: 'site-a/dev-1', status: 'RESOLVED' }),
      alertFixture({ deviceId: 'site-a/dev-3', rule: 'cpu-high', metric: 'cpu', severity: 'warning' }),
    ];
    for (const e of events) view.applyAlert(e, 2_000_000);
    const snapshot = view.alertsSnapshot(2_000_000);
    expect(snapshot.firingCount).toBe(2);
    expect(snapshot.firing.map((g) => [g.site, g.alerts.map((a) => a.deviceId)])).toEqual([
      ['site-a', ['site-a/dev-3']],
      ['site-b', ['site-b/dev-2']],
    ]);
  });

  it('groups by the site label when an alert carries one, else by the deviceId prefix', () => {
    expect(siteOf('site-a/dev-1')).toBe('site-a');
    expect(siteOf('site-a/dev-1', { site: 'berlin' })).toBe('berlin');
    expect(siteOf('lonely')).toBe('(no site)');
  });

  it('lists site and fleet alerts (no deviceId, no metric) under their site or the fleet, never as a device', () => {
    const view = new ConsoleView(DEFAULT_CONSOLE_OPTIONS);
    view.applyStats(statsFixture({ deviceId: 'site-b/dev-1' }));
    const absent = { deviceId: '', metric: '', statistic: 'silence', condition: 'absent' };
    view.applyAlert(
      alertFixture({ ...absent, rule: 'site-silent', fingerprint: 'fp-site-b', labels: { site: 'site-b' } }),
      1_000_000,
    );
    view.applyAlert(alertFixture({ ...absent, rule: 'fleet-silent', fingerprint: 'fp-fleet', labels: {} }), 1_000_000);
    const snapshot = view.alertsSnapshot(1_000_000);
    expect(snapshot.firing.map((g) => [g.site, g.alerts.map((a) => [a.rule, a.subject])])).toEqual([
      ['fleet', [['fleet-silent', 'fleet']]],
      ['site-b', [['site-silent', 'site=site-b']]],
    ]);
    expect(snapshot.timeline.map((e) => e.subject)).toEqual(['site=site-b', 'fleet']);
    const fleet = view.fleetSnapshot('', 10);
    expect(fleet.sites.flatMap((s) => s.devices.map((d) => [d.deviceId, d.state]))).toEqual([['site-b/dev-1', 'ok']]);
    expect(fleet.total).toBe(1);
  });

  it('the timeline keeps the last hour only, and at most maxTimelineEvents', () => {
    const view = new ConsoleView({ ...DEFAULT_CONSOLE_OPTIONS, maxTimelineEvents: 3 });
    view.applyAlert(alertFixture({ deviceId: 'a/old', startsAt: 0 }), 0);
    for (let i = 0; i < 5; i++)
      view.applyAlert(alertFixture({ deviceId: `a/d${i}`, startsAt: HOUR_MS + i }), HOUR_MS + 10);
    const snapshot = view.alertsSnapshot(HOUR_MS + 10);
    expect(snapshot.timeline.map((e) => e.deviceId)).toEqual(['a/d2', 'a/d3', 'a/d4']);
    // the firing set is not the timeline: the old alert is still firing
    expect(snapshot.firingCount).toBe(6);
  });

  it('the firing set is bounded; what it drops is counted', () => {
    const view = new ConsoleView({ ...DEFAULT_CONSOLE_OPTIONS, maxFiringAlerts: 2 });
    for (let i = 0; i < 4; i++) view.applyAlert(alertFixture({ deviceId: `a/d${i}` }), 1_000_000);
    expect(view.firingFingerprints()).toHaveLength(2);
    expect(view.consumeCounts().skipped).toEqual({ 'alerts:VIEW_FIRING_CAP': 2 });
  });
});

describe('ConsoleView: stats', () => {
  it('keeps each sensor window history in time order, bounded, and shows the latest on the fleet', () => {
    const view = new ConsoleView({ ...DEFAULT_CONSOLE_OPTIONS, historyPointsPerSensor: 3 });
    for (const t of [10_000, 20_000, 40_000, 30_000, 50_000])
      view.applyStats(statsFixture({ windowEnd: t, mean: t / 1000 }));
    const sensor = view.sensorSnapshot('site-a/dev-0001', 'temperature');
    expect(sensor.windows['time:30s']?.map((p) => p.t)).toEqual([30_000, 40_000, 50_000]);
    const fleet = view.fleetSnapshot('', 100);
    expect(fleet.sites[0]?.devices[0]?.metrics['temperature']?.latest.mean).toBe(50);
    expect(fleet.sites[0]?.devices[0]?.metrics['temperature']?.spark).toEqual([30, 40, 50]);
  });

  it('drops the least recently updated sensor beyond maxSensors', () => {
    const view = new ConsoleView({ ...DEFAULT_CONSOLE_OPTIONS, maxSensors: 2 });
    view.applyStats(statsFixture({ deviceId: 'a/1' }));
    view.applyStats(statsFixture({ deviceId: 'a/2' }));
    view.applyStats(statsFixture({ deviceId: 'a/1', windowEnd: 2_000_000 }));
    view.applyStats(statsFixture({ deviceId: 'a/3' }));
    expect(view.fleetSnapshot('', 10).sites[0]?.devices.map((d) => d.deviceId)).toEqual(['a/1', 'a/3']);
  });

  it('searches devices, colours them by their worst firing alert, and caps what it sends', () => {
    const view = new ConsoleView(DEFAULT_CONSOLE_OPTIONS);
    for (const id of ['site-a/dev-1', 'site-a/dev-2', 'site-b/dev-1']) view.applyStats(statsFixture({ deviceId: id }));
    view.applyAlert(alertFixture({ deviceId: 'site-a/dev-2', severity: 'warning' }), 1_000_000);
    view.applyAlert(alertFixture({ deviceId: 'site-a/dev-2', rule: 'other', severity: 'critical' }), 1_000_000);
    const fleet = view.fleetSnapshot('dev-1', 1);
    expect(fleet.matching).toBe(2);
    expect(fleet.shown).toBe(1);
    const all = view.fleetSnapshot('', 10);
    const states = all.sites.flatMap((s) => s.devices.map((d) => [d.deviceId, d.state]));
    expect(states).toEqual([
      ['site-a/dev-1', 'ok'],
      ['site-a/dev-2', 'critical'],
      ['site-b/dev-1', 'ok'],
    ]);
  });

  it("draws the thresholds of the rules file and of the alerts seen for the sensor's metric", () => {
    const view = new ConsoleView(DEFAULT_CONSOLE_OPTIONS, [
      {
        rule: 'temperature-low',
        metric: 'temperature',
        statistic: 'mean',
        condition: 'below',
        threshold: 10,
        clear: 12,
        severity: 'warning',
      },
      { rule: 'cpu-high', metric: 'cpu', statistic: 'mean', condition: 'above', threshold: 90, severity: 'warning' },
    ]);
    view.applyAlert(alertFixture({ rule: 'temperature-high', threshold: 80 }), 1_000_000);
    const sensor = view.sensorSnapshot('site-a/dev-0001', 'temperature');
    expect(sensor.thresholds.map((t) => [t.rule, t.threshold])).toEqual([
      ['temperature-low', 10],
      ['temperature-high', 80],
    ]);
    expect(sensor.firing).toHaveLength(1);
    expect(sensor.known).toBe(false);
  });
});

describe('ConsoleView: health', () => {
  const text = (acked: number, processed: number, lag: number) => `# HELP x
simulator_readings_acked_total{service="simulator"} ${acked}
processor_readings_total{outcome="processed"} ${processed}
processor_readings_total{outcome="dead_lettered"} 3
processor_consumer_lag{topic="r",partition="0"} ${lag}
processor_consumer_lag{topic="r",partition="1"} 1
processor_dlq_total{code="DECODE_BAD_MAGIC"} 2
alerting_deliveries_total{receiver="ops",outcome="delivered"} 7
alerting_delivery_attempts_total{receiver="ops",result="5xx"} 4
`;

  it('computes rates from its own consecutive scrapes, sums lag, and counts DLQ and deliveries', () => {
    const view = new ConsoleView(DEFAULT_CONSOLE_OPTIONS);
    view.applyScrape('all', 'http://x/metrics', { samples: parsePrometheusText(text(100, 50, 9)) }, 10_000);
    view.recordHealth(10_000);
    expect(view.healthSnapshot().producedPerSecond).toBeUndefined();
    view.applyScrape('all', 'http://x/metrics', { samples: parsePrometheusText(text(600, 300, 19)) }, 15_000);
    view.recordHealth(15_000);
    const h = view.healthSnapshot();
    expect(h.producedPerSecond).toBe(100);
    expect(h.processedPerSecond).toBe(50);
    expect(h.consumerLag).toBe(20);
    expect(h.dlqByCode).toEqual({ DECODE_BAD_MAGIC: 2 });
    expect(h.deliveriesByOutcome).toEqual({ delivered: 7 });
    expect(h.attemptsByResult).toEqual({ '5xx': 4 });
    expect(h.history).toHaveLength(2);
  });

  it('a target that does not answer is down; the rate resumes from its last good scrape', () => {
    const view = new ConsoleView(DEFAULT_CONSOLE_OPTIONS);
    view.applyScrape('sim', 'u', { samples: parsePrometheusText(text(0, 0, 0)) }, 0);
    view.applyScrape('sim', 'u', { error: 'ECONNREFUSED' }, 5_000);
    expect(view.healthSnapshot().targets).toEqual([
      { name: 'sim', url: 'u', up: false, lastScrapeMs: 5_000, error: 'ECONNREFUSED' },
    ]);
    view.applyScrape('sim', 'u', { samples: parsePrometheusText(text(1000, 0, 0)) }, 10_000);
    expect(view.healthSnapshot().producedPerSecond).toBe(100);
  });

  it('counts undecodable records by topic and code', () => {
    const view = new ConsoleView(DEFAULT_CONSOLE_OPTIONS);
    view.skip('alerts', 'DECODE_BAD_MAGIC');
    view.skip('alerts', 'DECODE_BAD_MAGIC');
    expect(view.healthSnapshot().consumed.skipped).toEqual({ 'alerts:DECODE_BAD_MAGIC': 2 });
  });
});
