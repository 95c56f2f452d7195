/**
 * The console's options in one place, with units in their names, and how they are read from the command
 * line and the environment. The defaults match the launcher's and compose's ports: the console answers on
 * http://127.0.0.1:9400 and scrapes the simulator (9464), processor (9465), alerting (9466) and the demo
 * sink (9000).
 */
import { DEFAULT_TOPICS, UsageError } from '@sensor-pipeline/shared';

export interface ScrapeTarget {
  /** The service's name, shown on the health page (`simulator`, `processor`, ...). */
  readonly name: string;
  /** Its Prometheus endpoint, e.g. http://127.0.0.1:9465/metrics. */
  readonly url: string;
}

export interface ConsoleOptions {
  /** Where the web console listens. 0 picks a free port. */
  readonly port: number;
  readonly host: string;
  readonly alertsTopic: string;
  readonly statsTopic: string;
  /** The console's own consumer group; it never commits (it rebuilds its view from the topics on start). */
  readonly groupId: string;
  /** Stats records read back per partition on start (the recent history behind the charts). */
  readonly statsTailRecords: number;
  readonly scrapeTargets: readonly ScrapeTarget[];
  readonly scrapeIntervalMs: number;
  readonly scrapeTimeoutMs: number;
  /** Rules file whose thresholds are drawn on the sensor page (optional; alerts also carry theirs). */
  readonly rulesFile?: string;
  /** Bounds of the in-memory view. */
  readonly maxSensors: number;
  readonly historyPointsPerSensor: number;
  readonly maxFiringAlerts: number;
  readonly timelineWindowMs: number;
  readonly maxTimelineEvents: number;
  readonly healthHistoryPoints: number;
  /** Devices sent to the fleet page per update (the search narrows them). */
  readonly maxFleetDevices: number;
  /** How often pending changes are pushed to the pages, ms. */
  readonly pushIntervalMs: number;
}

export const DEFAULT_CONSOLE_PORT = 9400;

export const DEFAULT_SCRAPE_TARGETS: readonly ScrapeTarget[] = [
  { name: 'simulator', url: 'http://127.0.0.1:9464/metrics' },
  { name: 'processor', url: 'http://127.0.0.1:9465/metrics' },
  { name: 'alerting', url: 'http://127.0.0.1:9466/metrics' },
  { name: 'sink', url: 'http://127.0.0.1:9000/metrics' },
];

export const DEFAULT_CONSOLE_OPTIONS: ConsoleOptions = {
  port: DEFAULT_CONSOLE_PORT,
  host: '127.0.0.1',
  alertsTopic: DEFAULT_TOPICS.alerts,
  statsTopic: DEFAULT_TOPICS.stats,
  groupId: 'sensor-console',
  statsTailRecords: 20_000,
  scrapeTargets: DEFAULT_SCRAPE_TARGETS,
  scrapeIntervalMs: 5_000,
  scrapeTimeoutMs: 2_000,
  maxSensors: 20_000,
  historyPointsPerSensor: 360, // an hour of stats at one per 10 s
  maxFiringAlerts: 10_000,
  timelineWindowMs: 3_600_000, // one hour
  maxTimelineEvents: 5_000,
  healthHistoryPoints: 720, // an hour of scrapes at one per 5 s
  maxFleetDevices: 500,
  pushIntervalMs: 500,
};

/**
 * `name=url,name=url` → targets. A bare `host:port` becomes `http://host:port/metrics`.
 */
export function parseScrapeTargets(text: string): ScrapeTarget[] {
  const targets: ScrapeTarget[] = [];
  for (const part of text.split(',')) {
    const item = part.trim();
    if (item === '') continue;
    const eq = item.indexOf('=');
    if (eq <= 0) throw new UsageError(`scrape target "${item}" must be name=url, e.g. processor=http://127.0.0.1:9465`);
    const name = item.slice(0, eq).trim();
    let url = item.slice(eq + 1).trim();
    if (!/^https?:\/\//.test(url)) url = `http://${url}`;
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch (cause) {
      throw new UsageError(`scrape target "${item}" has no valid URL`, { cause });
    }
    if (parsed.pathname === '/' || parsed.pathname === '') parsed.pathname = '/metrics';
    targets.push({ name, url: parsed.toString() });
  }
  return targets;
}

function positiveInt(name: string, raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65_535)
    throw new UsageError(`${name} must be a port 0..65535, got "${raw}"`);
  return n;
}

/**
 * Options from the environment: CONSOLE_PORT, CONSOLE_HOST (else OPS_HOST), ALERTS_TOPIC, STATS_TOPIC,
 * CONSOLE_GROUP_ID, CONSOLE_SCRAPE_TARGETS (`name=url,...`), RULES_FILE. Command-line flags override them.
 */
export function consoleOptionsFromEnv(
  env: Readonly<Record<string, string | undefined>> = process.env,
  overrides: Partial<ConsoleOptions> = {},
): ConsoleOptions {
  const d = DEFAULT_CONSOLE_OPTIONS;
  const fromEnv: { -readonly [K in keyof ConsoleOptions]?: ConsoleOptions[K] } = {};
  if (env['CONSOLE_PORT']) fromEnv.port = positiveInt('CONSOLE_PORT', env['CONSOLE_PORT']);
  const host = env['CONSOLE_HOST']?.trim() || env['OPS_HOST']?.trim();
  if (host) fromEnv.host = host;
  if (env['ALERTS_TOPIC']) fromEnv.alertsTopic = env['ALERTS_TOPIC'];
  if (env['STATS_TOPIC']) fromEnv.statsTopic = env['STATS_TOPIC'];
  if (env['CONSOLE_GROUP_ID']) fromEnv.groupId = env['CONSOLE_GROUP_ID'];
  if (env['CONSOLE_SCRAPE_TARGETS']) fromEnv.scrapeTargets = parseScrapeTargets(env['CONSOLE_SCRAPE_TARGETS']);
  if (env['RULES_FILE']) fromEnv.rulesFile = env['RULES_FILE'];
  return { ...d, ...fromEnv, ...overrides };
}

export { positiveInt as parsePort };
