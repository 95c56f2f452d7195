// Generated from packages/shared/schemas/*.avsc by scripts/gen-types.ts. Do not edit.

/** temperature in degrees Celsius; cpu and memory in percent of capacity [0, 100]. */
export type Metric = 'temperature' | 'cpu' | 'memory';

/** One measurement of one metric by one device. Topic key: deviceId (UTF-8). */
export interface SensorReading {
  /** Device identifier, e.g. site-a/dev-0042. */
  deviceId: string;
  metric: Metric;
  value: number;
  /** Event time: when the device took the measurement, Unix epoch milliseconds. */
  timestamp: number;
  /** Per-device sequence number, increasing by one per reading the device sends. */
  seq: number;
  /** Device labels (site, model, ...), used by rule and route selectors. */
  labels: Record<string, string>;
}

/** Statistics of one sensor's sliding window (one device and one metric). Topic key: deviceId (UTF-8). */
export interface WindowStats {
  deviceId: string;
  metric: string;
  /** The window specification, e.g. time:60s or count:10. */
  window: string;
  /** Exclusive lower bound of a time window (end - size); for a count window, the oldest reading's timestamp. */
  windowStart: number;
  /** Inclusive upper bound: the newest reading's timestamp. */
  windowEnd: number;
  count: number;
  mean: number;
  median: number;
  min: number;
  max: number;
  /** Population standard deviation. */
  stddev: number;
}

export type AlertStatus = 'FIRING' | 'RESOLVED';

/** The window the rule evaluated when the state changed. */
export interface AlertWindow {
  /** e.g. time:60s, count:10 */
  spec: string;
  start: number;
  end: number;
  count: number;
  mean: number;
  median: number;
  min: number;
  max: number;
}

/** A change of an alert's state for one rule and one sensor: FIRING when the rule starts to hold, RESOLVED when it clears. Topic key: deviceId (UTF-8). */
export interface Alert {
  /** Deterministic id of this state change: the same input produces the same id, also after a replay. Use it to deduplicate. */
  eventId: string;
  /** Identifies the alert series: rule + device + metric. FIRING and its RESOLVED share it. */
  fingerprint: string;
  status: AlertStatus;
  rule: string;
  /** As written in the rule: critical, warning or info. */
  severity: string;
  deviceId: string;
  metric: string;
  /** The window statistic the rule compares (mean, median, min, max, count, stddev), or silence for absence rules. */
  statistic: string;
  /** above, below or absent. */
  condition: string;
  /** The statistic's value (for absence rules: milliseconds of silence) when the state changed. */
  value: number;
  /** The threshold the rule fires at. */
  threshold: number;
  /** Event time when the alert started firing. */
  startsAt: number;
  /** Event time when the alert resolved; null while FIRING. */
  endsAt: null | number;
  window: AlertWindow;
  /** Rule labels merged over device labels. */
  labels: Record<string, string>;
  /** Human-readable text rendered from the rule's summary template. */
  summary: string;
}
