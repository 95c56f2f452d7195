/**
 * The console in a real browser (Debian's Chromium, driven by playwright-core) against the console on
 * loopback and the real broker: alerts produced to the topic appear on the page and their RESOLVED removes
 * them, the firing set is rebuilt from the topic on start, the fleet and sensor pages draw the stats, the
 * health page shows what the services' /metrics say, and an undecodable record is skipped and counted.
 * A screenshot of each page is saved to docs/screenshots/ for the README.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { type Alert, alertCodec, windowStatsCodec } from '@sensor-pipeline/shared';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTopics, kafkaSettings, produceRaw, testLogger, uniqueName, waitFor } from '../../../test/kafka.js';
import { DEFAULT_CONSOLE_OPTIONS } from '../src/console-options.js';
import { type RunningConsole, startConsole } from '../src/console-service.js';
import { alertFixture, statsFixture } from './alert-fixture.js';

const SCREENSHOTS = fileURLToPath(new URL('../../../docs/screenshots/', import.meta.url));
const RULES_FILE = fileURLToPath(new URL('../../../config/rules.yaml', import.meta.url));
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];
const WAIT_MS = 60_000;

const alerts = alertCodec();
const stats = windowStatsCodec();

/** A real HTTP server standing in for a service's /metrics: counters that grow on every scrape. */
async function metricsServer(): Promise<{ url: string; server: Server }> {
  let scrapes = 0;
  const server = createServer((_req, res) => {
    scrapes += 1;
    const n = scrapes;
    res
      .writeHead(200, { 'content-type': 'text/plain; version=0.0.4' })
      .end(
        [
          '# TYPE simulator_readings_acked_total counter',
          `simulator_readings_acked_total ${n * 250 + (n % 4) * 30}`,
          '# TYPE processor_readings_total counter',
          `processor_readings_total{outcome="processed"} ${n * 250 + ((n + 1) % 4) * 25}`,
          `processor_readings_total{outcome="dead_lettered"} ${n * 2}`,
          '# TYPE processor_consumer_lag gauge',
          `processor_consumer_lag{topic="sensor.readings",partition="0"} ${10 + (n % 3) * 20}`,
          `processor_consumer_lag{topic="sensor.readings",partition="1"} ${5 + (n % 2) * 15}`,
          '# TYPE processor_dlq_total counter',
          `processor_dlq_total{code="DECODE_BAD_MAGIC"} ${n}`,
          `processor_dlq_total{code="READING_NON_FINITE_VALUE"} ${n}`,
          '# TYPE alerting_deliveries_total counter',
          `alerting_deliveries_total{receiver="demo-sink",outcome="delivered"} ${n * 3}`,
          `alerting_deliveries_total{receiver="demo-sink",outcome="dead_lettered"} 0`,
          '# TYPE alerting_delivery_attempts_total counter',
          `alerting_delivery_attempts_total{receiver="demo-sink",result="2xx"} ${n * 3}`,
          `alerting_delivery_attempts_total{receiver="demo-sink",result="5xx"} 1`,
          '',
        ].join('\n'),
      );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`, server };
}

function alertRecord(alert: Alert) {
  return { key: alert.deviceId, value: alerts.encode(alert) };
}

describe('the web console in Chromium', () => {
  let browser: Browser;
  let page: Page;
  let running: RunningConsole;
  let metrics: { url: string; server: Server };
  let alertsTopic: string;
  let statsTopic: string;
  const now = Date.now();
  /** The console's clock: the wall clock at the start, moved on by the health test's scrapes. */
  let clockMs = now;
  const site = (i: number) => (i % 2 === 0 ? 'site-a' : 'site-b');
  const device = (i: number) => `${site(i)}/dev-${String(i).padStart(4, '0')}`;

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    alertsTopic = uniqueName('console-alerts');
    statsTopic = uniqueName('console-stats');
    await createTopics([alertsTopic, statsTopic], { partitions: 2, cleanup: false });

    // before the console starts: a history on the alerts topic (one alert resolved, two still firing), an
    // undecodable record, and an hour of window stats for a dozen devices
    const resolvedBefore = alertFixture({ deviceId: device(3), startsAt: now - 40 * 60_000 });
    await produceRaw(alertsTopic, [
      alertRecord(resolvedBefore),
      alertRecord(alertFixture({ deviceId: device(0), value: 86.4, startsAt: now - 25 * 60_000 })),
      alertRecord(
        alertFixture({
          deviceId: device(5),
          rule: 'cpu-high',
          metric: 'cpu',
          severity: 'warning',
          value: 97.2,
          threshold: 90,
          startsAt: now - 12 * 60_000,
        }),
      ),
      { key: 'garbage', value: Buffer.from('not an avro record') },
      alertRecord({ ...resolvedBefore, status: 'RESOLVED', endsAt: now - 30 * 60_000, eventId: 'r1' }),
    ]);
    const records = [];
    for (let i = 0; i < 12; i++) {
      for (const metric of ['temperature', 'cpu', 'memory']) {
        const base = metric === 'temperature' ? 45 : metric === 'cpu' ? 40 : 55;
        for (let k = 0; k < 60; k++) {
          const hot = i === 0 && metric === 'temperature' && k > 35 ? 40 : 0;
          const mean = base + hot + 8 * Math.sin((k + i * 5) / 7) + (i % 4);
          records.push({
            key: device(i),
            value: stats.encode(
              statsFixture({
                deviceId: device(i),
                metric,
                window: metric === 'memory' ? 'time:60s' : 'time:30s',
                windowEnd: now - (60 - k) * 60_000,
                mean,
                median: mean + Math.sin(k) * 0.8,
                min: mean - 4 - (k % 3),
                max: mean + 4 + (k % 4),
              }),
            ),
          });
        }
      }
    }
    await produceRaw(statsTopic, records);

    metrics = await metricsServer();
    running = await startConsole(
      {
        ...DEFAULT_CONSOLE_OPTIONS,
        port: 0,
        alertsTopic,
        statsTopic,
        groupId: uniqueName('console'),
        rulesFile: RULES_FILE,
        scrapeTargets: [
          { name: 'pipeline', url: metrics.url },
          { name: 'sink', url: 'http://127.0.0.1:9/metrics' }, // nothing listens there: shown as down
        ],
        scrapeIntervalMs: 3_600_000, // scraped on demand below
        pushIntervalMs: 200,
      },
      kafkaSettings('console-test'),
      testLogger,
      () => clockMs,
    );
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  });

  afterAll(async () => {
    await browser?.close();
    await running?.close();
    await new Promise((resolve) => metrics?.server.close(resolve));
  });

  it('rebuilds the firing set from the alerts topic: what resolved before the start is not shown', async () => {
    await page.goto(`${running.url}/#/alerts`);
    await page.waitForSelector(`[data-testid="firing-row"][data-device="${device(0)}"]`, { timeout: WAIT_MS });
    await page.waitForSelector(`[data-testid="firing-row"][data-device="${device(5)}"]`, { timeout: WAIT_MS });
    expect(await page.locator(`[data-testid="firing-row"][data-device="${device(3)}"]`).count()).toBe(0);
    // grouped by site
    expect(
      await page.locator('#firing .site').evaluateAll((els) => els.map((e) => e.getAttribute('data-site'))),
    ).toEqual(['site-a', 'site-b']);
  });

  it('a FIRING produced to the topic appears on the page, and its RESOLVED removes it', async () => {
    const firing = alertFixture({
      deviceId: device(8),
      value: 91.3,
      startsAt: now - 2 * 60_000,
      summary: `FIRING: ${device(8)} temperature 91.3°C, mean over 30s (fires above 80°C)`,
    });
    await produceRaw(alertsTopic, [alertRecord(firing)]);
    const row = page.locator(`[data-testid="firing-row"][data-fingerprint="${firing.fingerprint}"]`);
    await row.waitFor({ state: 'visible', timeout: WAIT_MS });
    expect(await row.textContent()).toContain('91.30');
    expect(await row.textContent()).toContain('above 80.00');
    await page.waitForSelector('#timeline-chart canvas', { timeout: WAIT_MS });
    await page.screenshot({ path: `${SCREENSHOTS}console-alerts.png`, fullPage: true });

    await produceRaw(alertsTopic, [
      alertRecord({ ...firing, status: 'RESOLVED', endsAt: now - 60_000, eventId: `${firing.eventId}:resolved` }),
    ]);
    await row.waitFor({ state: 'detached', timeout: WAIT_MS });
    expect(await page.locator('[data-testid="timeline-row"][data-status="RESOLVED"]').count()).toBeGreaterThan(0);
  });

  it('a site alert and a fleet alert (no deviceId, no metric) are listed by their site and as the fleet', async () => {
    const absent = {
      deviceId: '',
      metric: '',
      statistic: 'silence',
      condition: 'absent',
      value: 31_000,
      threshold: 30_000,
      startsAt: now - 60_000,
    };
    const site = alertFixture({
      ...absent,
      rule: 'site-silent',
      fingerprint: 'fp-site-silent-b',
      labels: { site: 'site-b' },
    });
    const fleet = alertFixture({ ...absent, rule: 'fleet-silent', fingerprint: 'fp-fleet-silent', labels: {} });
    await produceRaw(alertsTopic, [alertRecord(site), alertRecord(fleet)]);
    const siteRow = page.locator(`[data-testid="firing-row"][data-fingerprint="${site.fingerprint}"]`);
    const fleetRow = page.locator(`[data-testid="firing-row"][data-fingerprint="${fleet.fingerprint}"]`);
    await siteRow.waitFor({ state: 'visible', timeout: WAIT_MS });
    await fleetRow.waitFor({ state: 'visible', timeout: WAIT_MS });
    expect(await siteRow.locator('[data-testid="alert-subject"]').textContent()).toBe('site=site-b');
    expect(await fleetRow.locator('[data-testid="alert-subject"]').textContent()).toBe('fleet');
    expect(await page.locator('[data-site="site-b"] [data-fingerprint="fp-site-silent-b"]').count()).toBe(1);
    expect(await page.locator('[data-site="fleet"] [data-fingerprint="fp-fleet-silent"]').count()).toBe(1);
    expect(await page.locator('a[href^="#/sensor//"]').count()).toBe(0); // no link to a sensor without a device

    await produceRaw(alertsTopic, [
      alertRecord({ ...site, status: 'RESOLVED', endsAt: now - 30_000, eventId: `${site.eventId}:resolved` }),
      alertRecord({ ...fleet, status: 'RESOLVED', endsAt: now - 30_000, eventId: `${fleet.eventId}:resolved` }),
    ]);
    await siteRow.waitFor({ state: 'detached', timeout: WAIT_MS });
    await fleetRow.waitFor({ state: 'detached', timeout: WAIT_MS });
  });

  it('the fleet page lists devices by site with their latest window stats and sparklines, and searches', async () => {
    await page.goto(`${running.url}/#/fleet`);
    await waitFor(async () => (await page.locator('[data-testid="fleet-row"]').count()) === 12, {
      timeoutMs: WAIT_MS,
      message: 'twelve devices on the fleet page',
    });
    await page.waitForSelector(`[data-testid="fleet-row"][data-device="${device(0)}"][data-state="critical"]`, {
      timeout: WAIT_MS,
    });
    await page.waitForSelector('[data-testid="fleet-row"] .spark canvas', { timeout: WAIT_MS });
    await page.screenshot({ path: `${SCREENSHOTS}console-fleet.png`, fullPage: true });
    await page.fill('#fleet-search', 'dev-0005');
    await waitFor(async () => (await page.locator('[data-testid="fleet-row"]').count()) === 1, {
      timeoutMs: WAIT_MS,
      message: 'the search narrows the fleet to one device',
    });
    expect(await page.locator('[data-testid="fleet-row"]').getAttribute('data-device')).toBe(device(5));
  });

  it("the sensor page draws the window's mean, median, min and max over time with the rules' thresholds", async () => {
    await page.goto(`${running.url}/#/sensor/${encodeURIComponent(device(0))}/temperature`);
    const chart = page.locator('#sensor-chart');
    await page.waitForSelector('#sensor-chart canvas', { timeout: WAIT_MS });
    await waitFor(async () => Number(await chart.getAttribute('data-points')) === 60, {
      timeoutMs: WAIT_MS,
      message: 'sixty stats points drawn',
    });
    const legend = await page.locator('#sensor-chart .u-legend').textContent();
    for (const s of ['mean', 'median', 'min', 'max', 'temperature-high', 'temperature-low'])
      expect(legend).toContain(s);
    await page.waitForSelector('[data-testid="sensor-firing"]', { timeout: WAIT_MS });
    await page.screenshot({ path: `${SCREENSHOTS}console-sensor.png`, fullPage: true });
  });

  it('the health page shows rates, lag, dead letters and deliveries from /metrics, and which service is down', async () => {
    // a minute of scrapes, five seconds apart on the console's clock
    for (let i = 0; i < 12; i++) {
      clockMs += 5_000;
      await running.scrapeNow();
    }
    await page.goto(`${running.url}/#/health`);
    await page.waitForSelector('#health-rates canvas', { timeout: WAIT_MS });
    await waitFor(async () => (await page.locator('#health-dlq').textContent())?.includes('DECODE_BAD_MAGIC'), {
      timeoutMs: WAIT_MS,
      message: 'DLQ reasons listed',
    });
    const targets = await page.locator('#health-targets').textContent();
    expect(targets).toMatch(/pipeline.*up/s);
    expect(targets).toMatch(/sink.*down/s);
    const health = (await (await fetch(`${running.url}/api/health`)).json()) as {
      producedPerSecond?: number;
      consumed: { skipped: Record<string, number> };
    };
    expect(health.producedPerSecond).toBeGreaterThan(0);
    // the undecodable record was skipped and counted, and the page still rendered
    expect(health.consumed.skipped).toEqual({ 'alerts:DECODE_BAD_MAGIC': 1 });
    const cards = await page.locator('[data-testid="health-card"]').allTextContents();
    expect(cards.join(' ')).toContain('records skipped by the console1');
    await page.screenshot({ path: `${SCREENSHOTS}console-health.png`, fullPage: true });
  });

  it("its own /metrics pass `promtool check metrics`, with every counter's known series at 0 or more", async () => {
    const text = await (await fetch(`${running.url}/metrics`)).text();
    const lint = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(lint.error, "promtool runs (scripts/install.sh installs Debian's prometheus)").toBeUndefined();
    // prom-client's default Node.js gauges named *_total are its own; everything the console defines is clean
    const problems = `${lint.stdout}${lint.stderr}`
      .split('\n')
      .filter((line) => line.trim() !== '' && !/^nodejs_active_\w+_total non-counter/.test(line));
    expect(problems).toEqual([]);
    expect(text).toContain('console_records_total{topic="stats",result="skipped",service="console"} 0');
    expect(text).toMatch(/console_skipped_records_total\{topic="alerts",code="DECODE_BAD_MAGIC",service="console"\} 1/);
    expect(text).toMatch(/console_scrapes_total\{target="sink",result="failed",service="console"\} [1-9]/);
  });
});
