/**
 * One reading as the generator produces it: numbers and indexes only, no strings or label maps, so the hot
 * loop fills one reused object instead of allocating a record per reading. `toSensorReading` turns it into
 * the Avro `SensorReading` shape when a record object is wanted (tests, offline expectations).
 */
import type { SensorReading } from '@sensor-pipeline/shared';
import { METRICS } from '../scenario/scenario-schema.js';
import type { Fleet } from './fleet.js';

export interface GeneratedReading {
  /** Index into `fleet.devices`. */
  device: number;
  /** 0 temperature, 1 cpu, 2 memory (the Avro enum's order). */
  metric: number;
  value: number;
  /** The timestamp the device reports: its event time shifted by its clock skew, Unix epoch ms. */
  timestampMs: number;
  /** When the measurement really happened (before skew). */
  eventTimeMs: number;
  /** When it is delivered: its event time, or later for a late delivery. */
  emitAtMs: number;
  /** Per-device sequence number, +1 per reading the device sends. */
  seq: number;
  late: boolean;
}

export function emptyReading(): GeneratedReading {
  return { device: 0, metric: 0, value: 0, timestampMs: 0, eventTimeMs: 0, emitAtMs: 0, seq: 0, late: false };
}

export function copyReading(from: GeneratedReading, to: GeneratedReading): GeneratedReading {
  to.device = from.device;
  to.metric = from.metric;
  to.value = from.value;
  to.timestampMs = from.timestampMs;
  to.eventTimeMs = from.eventTimeMs;
  to.emitAtMs = from.emitAtMs;
  to.seq = from.seq;
  to.late = from.late;
  return to;
}

export function toSensorReading(fleet: Fleet, r: GeneratedReading): SensorReading {
  const device = fleet.devices[r.device]!;
  return {
    deviceId: device.id,
    metric: METRICS[r.metric]!,
    value: r.value,
    timestamp: r.timestampMs,
    seq: r.seq,
    labels: { ...fleet.sites[device.site]!.labels },
  };
}
