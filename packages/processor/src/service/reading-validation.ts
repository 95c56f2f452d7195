/**
 * Semantic checks on a decoded reading, before it reaches a window: a record can be valid Avro and still
 * impossible or hostile (NaN, a timestamp hours ahead that would drag its partition's event clock along, a
 * 900 KB device id, thousands of labels, a key that routes it to a partition its device does not own). Such
 * readings are dead-lettered with the code returned here. Pure: the caller passes the wall clock.
 */
import { type SensorReading, ValidationError } from '@sensor-pipeline/shared/core';

export interface ReadingLimits {
  /** How far ahead of the wall clock an event time may be (device clocks drift), ms. */
  readonly maxFutureSkewMs: number;
  /** Event times before this are impossible, ms since the epoch. */
  readonly minTimestampMs: number;
  /** Longest deviceId, UTF-8 bytes. */
  readonly maxDeviceIdBytes: number;
  /** Most labels per reading. */
  readonly maxLabels: number;
  /** Longest label key, UTF-8 bytes. */
  readonly maxLabelKeyBytes: number;
  /** Longest label value, UTF-8 bytes. */
  readonly maxLabelValueBytes: number;
  /** Plausible temperature range, °C (cpu and memory are percentages: 0–100 by the schema). */
  readonly minTemperatureCelsius: number;
  readonly maxTemperatureCelsius: number;
  /** Whether the record key must equal the deviceId (the topic's documented key; it picks the partition). */
  readonly requireKeyMatch: boolean;
}

export const DEFAULT_READING_LIMITS: ReadingLimits = {
  maxFutureSkewMs: 300_000, // five minutes
  minTimestampMs: 946_684_800_000, // 2000-01-01T00:00:00Z
  maxDeviceIdBytes: 128,
  maxLabels: 32,
  maxLabelKeyBytes: 128,
  maxLabelValueBytes: 256,
  minTemperatureCelsius: -100,
  maxTemperatureCelsius: 200,
  requireKeyMatch: true,
};

/** Every code `validateReading` returns, for metrics exported at 0 from the start. */
export const READING_REFUSAL_CODES = [
  'READING_EMPTY_DEVICE_ID',
  'READING_DEVICE_ID_TOO_LONG',
  'READING_KEY_MISMATCH',
  'READING_TOO_MANY_LABELS',
  'READING_LABEL_TOO_LONG',
  'READING_NON_FINITE_VALUE',
  'READING_VALUE_OUT_OF_RANGE',
  'READING_BAD_TIMESTAMP',
  'READING_TIMESTAMP_IN_FUTURE',
  'READING_TIMESTAMP_TOO_OLD',
] as const;

/** Checks the limits themselves, so a bad option fails at start with a message that says how to fix it. */
export function checkReadingLimits(limits: ReadingLimits): void {
  const positive = ['maxFutureSkewMs', 'maxDeviceIdBytes', 'maxLabelKeyBytes', 'maxLabelValueBytes'] as const;
  for (const name of positive) {
    if (!Number.isSafeInteger(limits[name]) || limits[name] < 1)
      throw new RangeError(`${name} must be a positive whole number, got ${limits[name]}`);
  }
  if (!Number.isSafeInteger(limits.maxLabels) || limits.maxLabels < 0)
    throw new RangeError(`maxLabels must be a whole number ≥ 0, got ${limits.maxLabels}`);
  if (!(limits.minTemperatureCelsius < limits.maxTemperatureCelsius))
    throw new RangeError(
      `minTemperatureCelsius (${limits.minTemperatureCelsius}) must be below maxTemperatureCelsius (${limits.maxTemperatureCelsius})`,
    );
}

/**
 * Why the reading cannot be used, or `undefined` when it is fine. `key` is the record key (`undefined`: not
 * checked, e.g. a reading that did not come from a record).
 */
export function validateReading(
  reading: SensorReading,
  nowMs: number,
  limits: ReadingLimits = DEFAULT_READING_LIMITS,
  key?: Buffer | string | null,
): ValidationError | undefined {
  const { deviceId } = reading;
  if (!deviceId) return new ValidationError('READING_EMPTY_DEVICE_ID', 'deviceId is empty');
  // a UTF-16 code unit is at most 3 UTF-8 bytes: only a long id needs counting
  const deviceIdBytes = deviceId.length * 3 <= limits.maxDeviceIdBytes ? 0 : Buffer.byteLength(deviceId);
  if (deviceIdBytes > limits.maxDeviceIdBytes) {
    return new ValidationError(
      'READING_DEVICE_ID_TOO_LONG',
      `deviceId is ${deviceIdBytes} bytes, longer than ${limits.maxDeviceIdBytes} (maxDeviceIdBytes): ${JSON.stringify(deviceId.slice(0, 64))}…`,
    );
  }
  if (key !== undefined && limits.requireKeyMatch && !keyEquals(key, deviceId)) {
    const shown = key === null ? 'null' : JSON.stringify(String(key).slice(0, 64));
    return new ValidationError(
      'READING_KEY_MISMATCH',
      `record key ${shown} is not the deviceId ${JSON.stringify(deviceId)}: the key must be the deviceId (it picks the partition)`,
    );
  }
  const labelError = checkLabelsOnce(reading.labels, limits);
  if (labelError) return labelError;
  if (!Number.isFinite(reading.value))
    return new ValidationError('READING_NON_FINITE_VALUE', `value is ${reading.value}`);
  const [min, max] =
    reading.metric === 'temperature' ? [limits.minTemperatureCelsius, limits.maxTemperatureCelsius] : [0, 100];
  if (reading.value < min || reading.value > max) {
    return new ValidationError(
      'READING_VALUE_OUT_OF_RANGE',
      `${reading.metric} ${reading.value} is outside ${min}…${max} ${reading.metric === 'temperature' ? '°C' : '%'}`,
    );
  }
  if (!Number.isSafeInteger(reading.timestamp))
    return new ValidationError('READING_BAD_TIMESTAMP', `timestamp ${reading.timestamp} is not a safe integer`);
  if (reading.timestamp > nowMs + limits.maxFutureSkewMs) {
    return new ValidationError(
      'READING_TIMESTAMP_IN_FUTURE',
      `timestamp ${new Date(reading.timestamp).toISOString()} is more than ${limits.maxFutureSkewMs} ms ahead of the processor's clock (${new Date(nowMs).toISOString()})`,
    );
  }
  if (reading.timestamp < limits.minTimestampMs) {
    return new ValidationError(
      'READING_TIMESTAMP_TOO_OLD',
      `timestamp ${reading.timestamp} is before ${new Date(limits.minTimestampMs).toISOString()}`,
    );
  }
  return undefined;
}

/** Frozen labels objects found valid, with the limits they were checked against (the decoder shares them). */
const validLabels = new WeakMap<object, ReadingLimits>();

function checkLabelsOnce(labels: Readonly<Record<string, string>>, limits: ReadingLimits): ValidationError | undefined {
  if (validLabels.get(labels) === limits) return undefined;
  const error = checkLabels(labels, limits);
  if (error === undefined && Object.isFrozen(labels)) validLabels.set(labels, limits);
  return error;
}

function checkLabels(labels: Readonly<Record<string, string>>, limits: ReadingLimits): ValidationError | undefined {
  let count = 0;
  for (const name in labels) {
    if (++count > limits.maxLabels)
      return new ValidationError('READING_TOO_MANY_LABELS', `more than ${limits.maxLabels} labels (maxLabels)`);
    const keyBytes = Buffer.byteLength(name);
    if (keyBytes > limits.maxLabelKeyBytes) {
      return new ValidationError(
        'READING_LABEL_TOO_LONG',
        `label key ${JSON.stringify(name.slice(0, 64))}… is ${keyBytes} bytes, longer than ${limits.maxLabelKeyBytes} (maxLabelKeyBytes)`,
      );
    }
    const valueBytes = Buffer.byteLength(labels[name]!);
    if (valueBytes > limits.maxLabelValueBytes) {
      return new ValidationError(
        'READING_LABEL_TOO_LONG',
        `label ${JSON.stringify(name)} is ${valueBytes} bytes, longer than ${limits.maxLabelValueBytes} (maxLabelValueBytes)`,
      );
    }
  }
  return undefined;
}

function keyEquals(key: Buffer | string | null, deviceId: string): boolean {
  if (key === null) return false;
  if (typeof key === 'string') return key === deviceId;
  if (key.length !== Buffer.byteLength(deviceId)) return false;
  if (key.length === deviceId.length) {
    // ASCII (the usual case): compare in place, no copy per reading
    for (let i = 0; i < key.length; i++) if (key[i] !== deviceId.charCodeAt(i)) return false;
    return true;
  }
  return key.toString('utf8') === deviceId;
}
