/**
 * An independent, deliberately naive model of what the processor must publish for a reading sequence:
 * per sensor, filter the window's readings and average them from scratch; a plain if/else state machine per
 * rule; absence judged against the partition's newest timestamp minus the grace. Used by the integration
 * tests to compute the expected FIRING/RESOLVED events without the processor's code.
 */
import type { SensorReading } from '@sensor-pipeline/shared';

export interface RefThresholdRule {
  readonly name: string;
  readonly metric: SensorReading['metric'];
  readonly windowMs: number;
  readonly above: number;
  readonly clear?: number;
  readonly forMs: number;
}

export interface RefAbsenceRule {
  readonly name: string;
  readonly metric: SensorReading['metric'];
  readonly absentMs: number;
}

export interface RefEvent {
  readonly rule: string;
  readonly deviceId: string;
  readonly status: 'FIRING' | 'RESOLVED';
  readonly startsAt: number;
  readonly endsAt: number | null;
}

/** Readings must be given in the order one partition delivers them (in timestamp order per device here). */
export function referenceAlerts(
  readings: readonly SensorReading[],
  thresholds: readonly RefThresholdRule[],
  absences: readonly RefAbsenceRule[],
  graceMs: number,
): RefEvent[] {
  const events: RefEvent[] = [];
  const seen = new Map<string, SensorReading[]>();
  const state = new Map<string, { status: 'ok' | 'pending' | 'firing'; since: number }>();
  const absence = new Map<string, { firing: boolean; startsAt: number; lastSeen: number }>();
  let watermark = -Infinity;

  for (const r of readings) {
    const sensor = `${r.deviceId}|${r.metric}`;
    // absence: a reading ends a silence
    for (const rule of absences.filter((a) => a.metric === r.metric)) {
      const key = `${rule.name}|${sensor}`;
      const a = absence.get(key);
      if (a?.firing && r.timestamp > a.lastSeen) {
        events.push({
          rule: rule.name,
          deviceId: r.deviceId,
          status: 'RESOLVED',
          startsAt: a.startsAt,
          endsAt: Math.max(r.timestamp, a.startsAt),
        });
        a.firing = false;
      }
      const lastSeen = Math.max(a?.lastSeen ?? -Infinity, r.timestamp);
      absence.set(key, { firing: false, startsAt: a?.startsAt ?? -Infinity, lastSeen });
    }
    const list = seen.get(sensor) ?? [];
    list.push(r);
    seen.set(sensor, list);
    for (const rule of thresholds.filter((t) => t.metric === r.metric)) {
      const t = Math.max(...list.map((x) => x.timestamp));
      const inWindow = list.filter((x) => x.timestamp > t - rule.windowMs && x.timestamp <= t);
      const mean = inWindow.reduce((s, x) => s + x.value, 0) / inWindow.length;
      const key = `${rule.name}|${sensor}`;
      const s = state.get(key) ?? { status: 'ok' as const, since: -Infinity };
      const holds = mean > rule.above;
      if (t <= s.since) continue;
      if (s.status === 'ok' && holds) {
        if (rule.forMs > 0) state.set(key, { status: 'pending', since: t });
        else {
          state.set(key, { status: 'firing', since: t });
          events.push({ rule: rule.name, deviceId: r.deviceId, status: 'FIRING', startsAt: t, endsAt: null });
        }
      } else if (s.status === 'pending') {
        if (!holds) state.set(key, { status: 'ok', since: t });
        else if (t - s.since >= rule.forMs) {
          state.set(key, { status: 'firing', since: t });
          events.push({ rule: rule.name, deviceId: r.deviceId, status: 'FIRING', startsAt: t, endsAt: null });
        }
      } else if (s.status === 'firing') {
        const clears = rule.clear === undefined ? !holds : mean < rule.clear;
        if (clears) {
          events.push({ rule: rule.name, deviceId: r.deviceId, status: 'RESOLVED', startsAt: s.since, endsAt: t });
          state.set(key, { status: 'ok', since: t });
        }
      }
    }
    watermark = Math.max(watermark, r.timestamp);
    // absence: after each reading, the clock is the watermark minus the grace
    const clock = watermark - graceMs;
    for (const [key, a] of absence) {
      const [name, deviceId] = key.split('|') as [string, string];
      const rule = absences.find((x) => x.name === name)!;
      if (!a.firing && clock - a.lastSeen > rule.absentMs && a.lastSeen + rule.absentMs > a.startsAt) {
        a.firing = true;
        a.startsAt = a.lastSeen + rule.absentMs;
        events.push({ rule: name, deviceId, status: 'FIRING', startsAt: a.startsAt, endsAt: null });
      }
    }
  }
  return events;
}
