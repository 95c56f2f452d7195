/**
 * Loads a benchmark's input: `readings` Avro SensorReadings from `devices` devices (temperature, cpu and
 * memory in turn, so 3 × devices sensors; one reading per device per second of event time, an hour ago),
 * keyed by device id, into a fresh topic — through shared's lower-level producer (acks=all, idempotent).
 * A few devices (one in 500) run hot from their third second, so the shipped rules fire alerts (temperature
 * and memory). The same arguments always give the same records.
 */
import {
  createAdmin,
  createRawProducer,
  ensureTopics,
  type KafkaSettings,
  type Logger,
  type RawRecord,
  type SensorReading,
  sensorReadingCodec,
} from '@sensor-pipeline/shared';

export interface LoadOptions {
  readonly kafka: KafkaSettings;
  readonly logger: Logger;
  readonly topic: string;
  readonly partitions: number;
  readonly readings: number;
  readonly devices: number;
  /** Called now and then with the readings loaded so far. */
  readonly progress?: (loaded: number) => void;
}

const METRICS: readonly SensorReading['metric'][] = ['temperature', 'cpu', 'memory'];
const CHUNK = 10_000;
const CHUNKS_IN_FLIGHT = 20;

/** The j-th reading of a load of `devices` devices; `baseMs` is the event time of the first second. */
export function benchReading(j: number, devices: number, baseMs: number): SensorReading {
  const d = j % devices;
  const k = Math.floor(j / devices);
  const metric = METRICS[k % 3]!;
  const hot = d % 500 === 0 && k >= 6;
  const value =
    metric === 'temperature'
      ? (hot ? 92 : 40) + ((j * 7919) % 100) / 25
      : metric === 'cpu'
        ? (hot ? 97 : 30) + ((j * 104_729) % 100) / 20
        : (hot ? 92 : 50) + ((j * 1_299_709) % 100) / 50;
  return {
    deviceId: `site-${d % 10}/dev-${String(d).padStart(5, '0')}`,
    metric,
    value,
    timestamp: baseMs + Math.floor(k / 3) * 1_000,
    seq: k,
    labels: { site: `site-${d % 10}` },
  };
}

/** Creates the topic and loads it; resolves with the seconds it took once every record is acknowledged. */
export async function loadReadings(options: LoadOptions): Promise<number> {
  const admin = createAdmin(options.kafka, options.logger);
  await admin.connect();
  try {
    await ensureTopics(admin, [{ topic: options.topic, numPartitions: options.partitions }]);
  } finally {
    await admin.disconnect();
  }
  const codec = sensorReadingCodec();
  const producer = createRawProducer(options.kafka, {
    logger: options.logger,
    lingerMs: 20,
    compression: 'lz4',
    extra: { 'batch.num.messages': 100_000, 'batch.size': 1_000_000, 'queue.buffering.max.messages': 1_000_000 },
  });
  await producer.connect();
  const baseMs = Math.floor((Date.now() - 3_600_000) / 1_000) * 1_000;
  const started = performance.now();
  const inFlight: Promise<void>[] = [];
  try {
    for (let i = 0; i < options.readings; i += CHUNK) {
      const records: RawRecord[] = [];
      for (let j = i; j < Math.min(options.readings, i + CHUNK); j++) {
        const reading = benchReading(j, options.devices, baseMs);
        records.push({ topic: options.topic, key: reading.deviceId, value: codec.encode(reading) });
      }
      inFlight.push(producer.produceBatch(records));
      if (inFlight.length >= CHUNKS_IN_FLIGHT) await inFlight.shift();
      if ((i / CHUNK) % 20 === 0) options.progress?.(i);
    }
    await Promise.all(inFlight);
  } finally {
    await producer.disconnect();
  }
  return (performance.now() - started) / 1_000;
}
