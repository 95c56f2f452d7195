/**
 * The console assembled: the view, the Kafka consumer, the scraper and the web server, started together
 * and stopped in reverse order. `startConsole` resolves once the server listens; the view fills as the
 * alerts and stats topics are read back and the first scrapes answer.
 */
import { createMetricsRegistry, type KafkaSettings, type Logger } from '@sensor-pipeline/shared';
import { type ConsoleConsumer, startConsoleConsumer } from './console-consumer.js';
import { createConsoleMetrics } from './console-metrics.js';
import type { ConsoleOptions } from './console-options.js';
import { startConsoleServer } from './console-server.js';
import { ConsoleView } from './console-view.js';
import { type MetricsScraper, startMetricsScraper } from './metrics-scraper.js';
import { loadRuleThresholds, type RuleThreshold } from './rule-thresholds.js';

export interface RunningConsole {
  readonly url: string;
  readonly view: ConsoleView;
  /** Scrapes every target now (the scraper also runs on its interval). */
  scrapeNow(): Promise<void>;
  close(): Promise<void>;
}

export async function startConsole(
  options: ConsoleOptions,
  kafka: KafkaSettings,
  logger: Logger,
  clock: () => number = Date.now,
): Promise<RunningConsole> {
  const log = logger.child({ component: 'console' });
  const thresholds: RuleThreshold[] = options.rulesFile ? loadRuleThresholds(options.rulesFile) : [];
  const view = new ConsoleView(options, thresholds);
  const registry = createMetricsRegistry('console');
  const metrics = createConsoleMetrics(
    registry,
    options.scrapeTargets.map((t) => t.name),
  );
  let consumer: ConsoleConsumer | undefined;
  const server = await startConsoleServer({
    port: options.port,
    host: options.host,
    view,
    registry,
    logger,
    pushIntervalMs: options.pushIntervalMs,
    maxFleetDevices: options.maxFleetDevices,
    ready: () => consumer?.assigned ?? false,
    clock,
    onClients: (n) => metrics.liveClients.set(n),
  });
  let scraper: MetricsScraper | undefined;
  try {
    consumer = await startConsoleConsumer({
      kafka,
      groupId: options.groupId,
      alertsTopic: options.alertsTopic,
      statsTopic: options.statsTopic,
      statsTailRecords: options.statsTailRecords,
      view,
      logger,
      clock,
      onRecord: (topic, result, code) => {
        metrics.records.inc({ topic, result });
        if (code) metrics.skipped.inc({ topic, code });
        if (topic === 'alerts') metrics.firing.set(view.firingFingerprints().length);
      },
    });
    scraper = startMetricsScraper({
      targets: options.scrapeTargets,
      intervalMs: options.scrapeIntervalMs,
      timeoutMs: options.scrapeTimeoutMs,
      logger,
      clock,
      onScrape: (target, result, nowMs) => {
        metrics.scrapes.inc({ target: target.name, result: 'samples' in result ? 'ok' : 'failed' });
        view.applyScrape(target.name, target.url, result, nowMs);
      },
      onRound: (nowMs) => view.recordHealth(nowMs),
    });
  } catch (err) {
    await server.close();
    throw err;
  }
  log.info(
    { url: server.url, alertsTopic: options.alertsTopic, statsTopic: options.statsTopic, groupId: options.groupId },
    'console listening',
  );
  return {
    url: server.url,
    view,
    scrapeNow: () => (scraper as MetricsScraper).scrapeOnce(),
    async close() {
      scraper?.stop();
      await server.close();
      await consumer?.stop();
    },
  };
}
