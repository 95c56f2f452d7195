/**
 * Scrapes each service's Prometheus `/metrics` every `intervalMs` and hands the samples (or why the scrape
 * failed) to the view. A response is read up to `maxBodyBytes`; a target that does not answer within
 * `timeoutMs` is shown as down, never waited on.
 */
import type { Logger } from '@sensor-pipeline/shared';
import { parsePrometheusText, type Sample } from '@sensor-pipeline/shared';
import type { ScrapeTarget } from './console-options.js';

export interface MetricsScraperOptions {
  readonly targets: readonly ScrapeTarget[];
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly maxBodyBytes?: number;
  readonly logger: Logger;
  readonly clock?: () => number;
  readonly onScrape: (target: ScrapeTarget, result: { samples: Sample[] } | { error: string }, nowMs: number) => void;
  /** After every target of a round answered or failed. */
  readonly onRound?: (nowMs: number) => void;
}

export interface MetricsScraper {
  /** Scrapes every target once now (also used by tests, instead of waiting for the interval). */
  scrapeOnce(): Promise<void>;
  stop(): void;
}

const DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024;

async function scrape(target: ScrapeTarget, timeoutMs: number, maxBodyBytes: number): Promise<Sample[]> {
  const response = await fetch(target.url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!response.ok) {
    await response.body?.cancel();
    throw new Error(`HTTP ${response.status}`);
  }
  const reader = response.body?.getReader();
  if (!reader) return [];
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.byteLength;
    if (bytes > maxBodyBytes) {
      await reader.cancel();
      throw new Error(`response larger than ${maxBodyBytes} bytes`);
    }
    chunks.push(value);
  }
  return parsePrometheusText(Buffer.concat(chunks).toString('utf8'));
}

export function startMetricsScraper(options: MetricsScraperOptions): MetricsScraper {
  const log = options.logger.child({ component: 'metrics-scraper' });
  const clock = options.clock ?? Date.now;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const wasDown = new Set<string>();
  let inFlight: Promise<void> | undefined;

  const scrapeOnce = async (): Promise<void> => {
    await Promise.all(
      options.targets.map(async (target) => {
        try {
          const samples = await scrape(target, options.timeoutMs, maxBodyBytes);
          if (wasDown.delete(target.name)) log.info({ target: target.name, url: target.url }, 'target answers again');
          options.onScrape(target, { samples }, clock());
        } catch (err) {
          const error =
            err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
          if (!wasDown.has(target.name)) {
            wasDown.add(target.name);
            log.info({ target: target.name, url: target.url, error }, 'target does not answer');
          }
          options.onScrape(target, { error }, clock());
        }
      }),
    );
    options.onRound?.(clock());
  };
  const tick = () => {
    if (inFlight) return;
    inFlight = scrapeOnce().finally(() => {
      inFlight = undefined;
    });
  };
  tick();
  const timer = setInterval(tick, options.intervalMs);
  timer.unref();
  return {
    scrapeOnce,
    stop: () => clearInterval(timer),
  };
}
