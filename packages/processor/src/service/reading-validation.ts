/**
 * Semantic checks on a decoded reading, before it reaches a window: a record can be valid Avro and still
 * impossible (NaN, a timestamp a year ahead or before the epoch of any real device, an empty device id).
 * Such readings are dead-lettered with the code returned here. Pure: the caller passes the wall clock.
 */
import { type SensorReading, ValidationError } from '@sensor-pipeline/shared';

export interface ReadingLimits {
  /** How far ahead of the wall clock an event time may be (device clocks drift). */
  readonly maxFutureSkewMs: number;
  /** Event times before this are impossible. */
  readonly minTimestampMs: number;
}

export const DEFAULT_READING_LIMITS: ReadingLimits = {
  maxFutureSkewMs: 86_400_000, // one day
  minTimestampMs: 946_684_800_000, // 2000-01-01T00:00:00Z
};

export function validateReading(
  reading: SensorReading,
  nowMs: number,
  limits: ReadingLimits = DEFAULT_READING_LIMITS,
): ValidationError | undefined {
  if (!reading.deviceId) return new ValidationError('READING_EMPTY_DEVICE_ID', 'deviceId is empty');
  if (!Number.isFinite(reading.value))
    return new ValidationError('READING_NON_FINITE_VALUE', `value is ${reading.value}`);
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
