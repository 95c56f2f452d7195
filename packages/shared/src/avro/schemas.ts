/**
 * The published Avro schemas (`packages/shared/schemas/*.avsc`, the one source of truth) and codecs for them.
 * Other languages decode our topics from these files alone.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type avro from 'avsc';
import { AvroCodec, type AvroCodecOptions, type Framing } from './avro-codec.js';
import type { Alert, SensorReading, WindowStats } from './types.generated.js';

/** Directory holding the `.avsc` files (the same from `src/` and from `dist/`). */
export const SCHEMA_DIR = fileURLToPath(new URL('../../schemas/', import.meta.url));

export const SCHEMA_FILES = {
  SensorReading: 'sensor-reading.avsc',
  WindowStats: 'window-stats.avsc',
  Alert: 'alert.avsc',
} as const;

export type SchemaName = keyof typeof SCHEMA_FILES;

export function loadSchema(name: SchemaName): avro.Schema {
  return JSON.parse(readFileSync(`${SCHEMA_DIR}${SCHEMA_FILES[name]}`, 'utf8')) as avro.Schema;
}

export function sensorReadingCodec(framing?: Framing, options?: AvroCodecOptions): AvroCodec<SensorReading> {
  return new AvroCodec<SensorReading>(loadSchema('SensorReading'), framing, options);
}

export function windowStatsCodec(framing?: Framing, options?: AvroCodecOptions): AvroCodec<WindowStats> {
  return new AvroCodec<WindowStats>(loadSchema('WindowStats'), framing, options);
}

export function alertCodec(framing?: Framing, options?: AvroCodecOptions): AvroCodec<Alert> {
  return new AvroCodec<Alert>(loadSchema('Alert'), framing, options);
}
