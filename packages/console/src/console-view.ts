/**
 * The console's in-memory view of the pipeline, pure: alerts and window stats are applied as they are
 * consumed, scrapes of the services' `/metrics` as they come, and each page's data is read from here.
 * Time is an argument (`nowMs`), never read from a clock. Everything is bounded by `ViewLimits`: the
 * oldest-updated sensors are dropped beyond `maxSensors`, each keeps at most `historyPointsPerSensor` stats
 * per window, the timeline keeps the last `timelineWindowMs` and at most `maxTimelineEvents`.
 *
 * The firing set is rebuilt by applying the alerts topic from its start: FIRING adds a fingerprint,
 * RESOLVED removes it (a fingerprint's events share a key, so they arrive in order).
 */
import { type Alert, alertSubject, type Sample, type WindowStats } from '@sensor-pipeline/shared';
import { type PipelineHealth, pipelineHealth, type TargetScrape } from './pipeline-health.js';
import type { RuleThreshold } from './rule-thresholds.js';

export interface ViewLimits {
  readonly maxSensors: number;
  readonly historyPointsPerSensor: number;
  readonly maxFiringAlerts: number;
  readonly timelineWindowMs: number;
  readonly maxTimelineEvents: number;
  readonly healthHistoryPoints: number;
}

export interface FiringAlert {
  readonly fingerprint: string;
  readonly eventId: string;
  readonly rule: string;
  readonly severity: string;
  /** Empty for a site or fleet alert, like `metric`. */
  readonly deviceId: string;
  readonly metric: string;
  /** What it is about: `site-a/dev-1 cpu`, `site-a/dev-1`, `site=site-b` or `fleet`. */
  readonly subject: string;
  readonly site: string;
  readonly statistic: string;
  readonly condition: string;
  readonly value: number;
  readonly threshold: number;
  readonly startsAt: number;
  readonly summary: string;
}

export interface TimelineEvent {
  readonly eventId: string;
  readonly status: 'FIRING' | 'RESOLVED';
  readonly rule: string;
  readonly severity: string;
  readonly deviceId: string;
  readonly metric: string;
  /** As in `FiringAlert`. */
  readonly subject: string;
  readonly site: string;
  /** Event time of the change: startsAt for FIRING, endsAt for RESOLVED. */
  readonly atMs: number;
  readonly value: number;
  readonly threshold: number;
}

export interface StatsPoint {
  /** The window's end (its newest reading's timestamp), ms. */
  readonly t: number;
  readonly count: number;
  readonly mean: number;
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

interface SensorState {
  readonly deviceId: string;
  readonly metric: string;
  readonly site: string;
  /** The window spec of the newest stats record. */
  latestWindow: string;
  readonly windows: Map<string, StatsPoint[]>;
}

export type DeviceState = 'critical' | 'warning' | 'info' | 'ok';

export interface FleetMetricCell {
  readonly window: string;
  readonly latest: StatsPoint;
  /** The window mean over the recent history, oldest first (the sparkline). */
  readonly spark: readonly number[];
}

export interface FleetDevice {
  readonly deviceId: string;
  readonly state: DeviceState;
  readonly firing: number;
  readonly metrics: Readonly<Record<string, FleetMetricCell>>;
}

export interface FleetSnapshot {
  readonly sites: readonly { readonly site: string; readonly devices: readonly FleetDevice[] }[];
  /** Devices matching the query, and how many of them are in `sites`. */
  readonly matching: number;
  readonly shown: number;
  readonly total: number;
}

export interface AlertsSnapshot {
  readonly firing: readonly { readonly site: string; readonly alerts: readonly FiringAlert[] }[];
  readonly firingCount: number;
  readonly timeline: readonly TimelineEvent[];
  readonly timelineFromMs: number;
  readonly timelineToMs: number;
}

export interface SensorSnapshot {
  readonly deviceId: string;
  readonly metric: string;
  readonly site: string;
  readonly known: boolean;
  readonly windows: Readonly<Record<string, readonly StatsPoint[]>>;
  readonly thresholds: readonly RuleThreshold[];
  readonly firing: readonly FiringAlert[];
}

export interface ConsumeCounts {
  readonly alerts: number;
  readonly stats: number;
  /** Records skipped because they could not be decoded, by topic role and error code. */
  readonly skipped: Readonly<Record<string, number>>;
}

const SEVERITY_RANK: Readonly<Record<string, number>> = { critical: 3, warning: 2, info: 1 };

/**
 * The site of a device: its `site` label when an alert carried one, else the deviceId's part before `/`; a
 * fleet alert (no deviceId, no labels) is the fleet's.
 */
export function siteOf(deviceId: string, labels?: Readonly<Record<string, string>>): string {
  const label = labels?.['site'];
  if (label) return label;
  if (deviceId === '' && labels && alertSubject({ deviceId, metric: '', labels }).scope === 'fleet') return 'fleet';
  const slash = deviceId.indexOf('/');
  return slash > 0 ? deviceId.slice(0, slash) : '(no site)';
}

const sensorKey = (deviceId: string, metric: string) => `${deviceId}\u0000${metric}`;

export class ConsoleView {
  private readonly firing = new Map<string, FiringAlert>();
  private timeline: TimelineEvent[] = [];
  /** Insertion order = least recently updated first (an update moves a sensor to the end). */
  private readonly sensors = new Map<string, SensorState>();
  private readonly ruleThresholds = new Map<string, RuleThreshold>();
  private readonly scrapes = new Map<string, TargetScrape>();
  private readonly healthHistory: {
    t: number;
    produced: number | null;
    processed: number | null;
    lag: number | null;
  }[] = [];
  private health: PipelineHealth | undefined;
  private alertsApplied = 0;
  private statsApplied = 0;
  private readonly skippedCounts: Record<string, number> = {};
  /** Bumped on every change of what the pages show; the server pushes when it moved. */
  version = 0;

  constructor(
    readonly limits: ViewLimits,
    thresholds: readonly RuleThreshold[] = [],
  ) {
    for (const t of thresholds) this.ruleThresholds.set(t.rule, t);
  }

  applyAlert(alert: Alert, nowMs: number): void {
    this.alertsApplied += 1;
    this.version += 1;
    const site = siteOf(alert.deviceId, alert.labels);
    const subject = alertSubject(alert).text;
    if (alert.condition === 'above' || alert.condition === 'below') {
      if (!this.ruleThresholds.has(alert.rule)) {
        this.ruleThresholds.set(alert.rule, {
          rule: alert.rule,
          metric: alert.metric,
          statistic: alert.statistic,
          condition: alert.condition,
          threshold: alert.threshold,
          severity: alert.severity,
        });
      }
    }
    if (alert.status === 'FIRING') {
      this.firing.delete(alert.fingerprint);
      this.firing.set(alert.fingerprint, {
        fingerprint: alert.fingerprint,
        eventId: alert.eventId,
        rule: alert.rule,
        severity: alert.severity,
        deviceId: alert.deviceId,
        metric: alert.metric,
        subject,
        site,
        statistic: alert.statistic,
        condition: alert.condition,
        value: alert.value,
        threshold: alert.threshold,
        startsAt: alert.startsAt,
        summary: alert.summary,
      });
      // bounded: beyond the cap the longest-firing alert is dropped from the view (counted as skipped)
      while (this.firing.size > this.limits.maxFiringAlerts) {
        const oldest = this.firing.keys().next().value as string;
        this.firing.delete(oldest);
        this.skip('alerts', 'VIEW_FIRING_CAP');
      }
    } else {
      this.firing.delete(alert.fingerprint);
    }
    this.timeline.push({
      eventId: alert.eventId,
      status: alert.status,
      rule: alert.rule,
      severity: alert.severity,
      deviceId: alert.deviceId,
      metric: alert.metric,
      subject,
      site,
      atMs: alert.status === 'RESOLVED' ? (alert.endsAt ?? alert.startsAt) : alert.startsAt,
      value: alert.value,
      threshold: alert.threshold,
    });
    this.pruneTimeline(nowMs);
  }

  applyStats(stats: WindowStats): void {
    this.statsApplied += 1;
    this.version += 1;
    const key = sensorKey(stats.deviceId, stats.metric);
    let sensor = this.sensors.get(key);
    if (sensor) {
      this.sensors.delete(key);
    } else {
      sensor = {
        deviceId: stats.deviceId,
        metric: stats.metric,
        site: siteOf(stats.deviceId),
        latestWindow: stats.window,
        windows: new Map(),
      };
    }
    this.sensors.set(key, sensor);
    while (this.sensors.size > this.limits.maxSensors) {
      this.sensors.delete(this.sensors.keys().next().value as string);
    }
    let history = sensor.windows.get(stats.window);
    if (!history) {
      history = [];
      sensor.windows.set(stats.window, history);
    }
    const point: StatsPoint = {
      t: stats.windowEnd,
      count: stats.count,
      mean: stats.mean,
      median: stats.median,
      min: stats.min,
      max: stats.max,
    };
    const last = history[history.length - 1];
    if (!last || last.t <= point.t) {
      if (last && last.t === point.t) history[history.length - 1] = point;
      else history.push(point);
      sensor.latestWindow = stats.window;
    } else {
      // a replayed or reordered record: keep the history sorted by time
      let i = history.length - 1;
      while (i > 0 && (history[i - 1] as StatsPoint).t > point.t) i -= 1;
      if ((history[i - 1] as StatsPoint | undefined)?.t === point.t) history[i - 1] = point;
      else history.splice(i, 0, point);
    }
    if (history.length > this.limits.historyPointsPerSensor)
      history.splice(0, history.length - this.limits.historyPointsPerSensor);
  }

  /** A record that could not be decoded: counted by topic role and code, never shown as a blank page. */
  skip(topic: string, code: string): void {
    const key = `${topic}:${code}`;
    this.skippedCounts[key] = (this.skippedCounts[key] ?? 0) + 1;
    this.version += 1;
  }

  applyScrape(
    target: string,
    url: string,
    result: { samples: readonly Sample[] } | { error: string },
    nowMs: number,
  ): void {
    const previous = this.scrapes.get(target);
    this.scrapes.set(target, {
      name: target,
      url,
      atMs: nowMs,
      up: 'samples' in result,
      error: 'error' in result ? result.error : undefined,
      samples: 'samples' in result ? result.samples : [],
      previous: previous?.up ? { atMs: previous.atMs, samples: previous.samples } : previous?.previous,
    });
    this.health = pipelineHealth([...this.scrapes.values()]);
    this.version += 1;
  }

  /** Adds the health now to the history behind the health charts: once per round of scrapes. */
  recordHealth(nowMs: number): void {
    this.health ??= pipelineHealth([...this.scrapes.values()]);
    this.healthHistory.push({
      t: nowMs,
      produced: this.health.producedPerSecond ?? null,
      processed: this.health.processedPerSecond ?? null,
      lag: this.health.consumerLag ?? null,
    });
    if (this.healthHistory.length > this.limits.healthHistoryPoints)
      this.healthHistory.splice(0, this.healthHistory.length - this.limits.healthHistoryPoints);
    this.version += 1;
  }

  alertsSnapshot(nowMs: number): AlertsSnapshot {
    this.pruneTimeline(nowMs);
    const bySite = new Map<string, FiringAlert[]>();
    for (const a of this.firing.values()) {
      let list = bySite.get(a.site);
      if (!list) bySite.set(a.site, (list = []));
      list.push(a);
    }
    const firing = [...bySite.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([site, alerts]) => ({
        site,
        alerts: alerts.sort(
          (a, b) =>
            (SEVERITY_RANK[b.severity] ?? 0) - (SEVERITY_RANK[a.severity] ?? 0) ||
            a.startsAt - b.startsAt ||
            a.deviceId.localeCompare(b.deviceId),
        ),
      }));
    return {
      firing,
      firingCount: this.firing.size,
      timeline: this.timeline,
      timelineFromMs: nowMs - this.limits.timelineWindowMs,
      timelineToMs: nowMs,
    };
  }

  fleetSnapshot(query: string, maxDevices: number): FleetSnapshot {
    const q = query.trim().toLowerCase();
    const devices = new Map<string, { site: string; metrics: Record<string, FleetMetricCell> }>();
    for (const s of this.sensors.values()) {
      let d = devices.get(s.deviceId);
      if (!d) devices.set(s.deviceId, (d = { site: s.site, metrics: {} }));
      const history = s.windows.get(s.latestWindow) ?? [];
      const latest = history[history.length - 1];
      if (!latest) continue;
      d.metrics[s.metric] = { window: s.latestWindow, latest, spark: history.slice(-30).map((p) => p.mean) };
    }
    // devices that only alerted (no stats yet) are part of the fleet too; site and fleet alerts are no device
    for (const a of this.firing.values()) {
      if (a.deviceId !== '' && !devices.has(a.deviceId)) devices.set(a.deviceId, { site: a.site, metrics: {} });
    }
    const firingByDevice = new Map<string, FiringAlert[]>();
    for (const a of this.firing.values()) {
      if (a.deviceId === '') continue;
      const list = firingByDevice.get(a.deviceId) ?? [];
      list.push(a);
      firingByDevice.set(a.deviceId, list);
    }
    const ids = [...devices.keys()].filter((id) => q === '' || id.toLowerCase().includes(q)).sort();
    const shownIds = ids.slice(0, maxDevices);
    const sites = new Map<string, FleetDevice[]>();
    for (const id of shownIds) {
      const d = devices.get(id) as { site: string; metrics: Record<string, FleetMetricCell> };
      const alerts = firingByDevice.get(id) ?? [];
      const rank = Math.max(0, ...alerts.map((a) => SEVERITY_RANK[a.severity] ?? 1));
      const state: DeviceState = rank >= 3 ? 'critical' : rank === 2 ? 'warning' : rank === 1 ? 'info' : 'ok';
      const list = sites.get(d.site) ?? [];
      list.push({ deviceId: id, state, firing: alerts.length, metrics: d.metrics });
      sites.set(d.site, list);
    }
    return {
      sites: [...sites.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([site, devs]) => ({ site, devices: devs })),
      matching: ids.length,
      shown: shownIds.length,
      total: devices.size,
    };
  }

  sensorSnapshot(deviceId: string, metric: string): SensorSnapshot {
    const sensor = this.sensors.get(sensorKey(deviceId, metric));
    const windows: Record<string, readonly StatsPoint[]> = {};
    for (const [spec, history] of sensor?.windows ?? []) windows[spec] = history;
    return {
      deviceId,
      metric,
      site: sensor?.site ?? siteOf(deviceId),
      known: sensor !== undefined,
      windows,
      thresholds: [...this.ruleThresholds.values()].filter((t) => t.metric === metric),
      firing: [...this.firing.values()].filter((a) => a.deviceId === deviceId && a.metric === metric),
    };
  }

  healthSnapshot(): PipelineHealth & {
    readonly history: readonly { t: number; produced: number | null; processed: number | null; lag: number | null }[];
    readonly firingCount: number;
    readonly consumed: ConsumeCounts;
  } {
    return {
      ...(this.health ?? pipelineHealth([])),
      history: this.healthHistory,
      firingCount: this.firing.size,
      consumed: this.consumeCounts(),
    };
  }

  consumeCounts(): ConsumeCounts {
    return { alerts: this.alertsApplied, stats: this.statsApplied, skipped: { ...this.skippedCounts } };
  }

  /** The fingerprints firing now (for tests and the CLI's summary). */
  firingFingerprints(): string[] {
    return [...this.firing.keys()];
  }

  private pruneTimeline(nowMs: number): void {
    const from = nowMs - this.limits.timelineWindowMs;
    let drop = 0;
    while (drop < this.timeline.length && (this.timeline[drop] as TimelineEvent).atMs < from) drop += 1;
    // events are appended in consumption order, not strictly by time: filter the rest too when needed
    if (drop > 0) this.timeline.splice(0, drop);
    if (this.timeline.some((e) => e.atMs < from)) this.timeline = this.timeline.filter((e) => e.atMs >= from);
    if (this.timeline.length > this.limits.maxTimelineEvents)
      this.timeline.splice(0, this.timeline.length - this.limits.maxTimelineEvents);
  }
}
