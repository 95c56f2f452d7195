/**
 * Subscribe to the sensor pipeline's alerts from TypeScript with `@sensor-pipeline/shared`: its Kafka
 * consumer factory (librdkafka, read_committed, no auto-commit) and `alertCodec()`, which checks the Avro
 * single-object header (C3 01 + the schema fingerprint) and decodes the body into a typed `Alert`. Its
 * decoding is bounded: records over 1 MiB (`maxRecordBytes`), or whose lengths or counts claim more than
 * their bytes hold, come back as a coded `DecodeError` at once and are skipped with a message.
 *
 * Alerts are keyed by deviceId, so one device's alerts arrive in order. Delivery is at least once: a
 * redelivered alert carries the same `eventId`, so deduplicate on it (done below). Offsets are committed
 * after an alert was handled, so a crash re-reads instead of skipping.
 *
 *   npx tsx examples/typescript/consume-alerts.ts --from-beginning        # Ctrl-C to stop
 *   npx tsx examples/typescript/consume-alerts.ts --max 10 --timeout-ms 30000 --bootstrap-servers 127.0.0.1:9092
 *
 * Prints one JSON line per alert: {"key", "partition", "offset", "alert": {...}}.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import {
  type Alert,
  alertCodec,
  createConsumer,
  createLogger,
  kafkaSettingsFromEnv,
  topicNamesFromEnv,
} from '@sensor-pipeline/shared';

const { values } = parseArgs({
  options: {
    'bootstrap-servers': { type: 'string' },
    topic: { type: 'string' },
    group: { type: 'string' },
    'from-beginning': { type: 'boolean', default: false },
    max: { type: 'string' },
    'timeout-ms': { type: 'string' },
  },
});
const max = values.max === undefined ? Infinity : Number(values.max);
const timeoutMs = values['timeout-ms'] === undefined ? Infinity : Number(values['timeout-ms']);

const logger = createLogger({
  service: 'consume-alerts-example',
  level: process.env['LOG_LEVEL'] ?? 'warn',
  destination: { write: (s: string) => process.stderr.write(s) },
});
const settings = kafkaSettingsFromEnv('consume-alerts-example');
const codec = alertCodec();
const consumer = createConsumer(
  { ...settings, bootstrapServers: values['bootstrap-servers'] ?? settings.bootstrapServers },
  {
    logger,
    groupId: values.group ?? `consume-alerts-ts-${randomUUID().slice(0, 8)}`,
    extra: { 'auto.offset.reset': values['from-beginning'] ? 'earliest' : 'latest' },
  },
);

const seen = new Set<string>(); // recent event ids, for at-least-once duplicates
let printed = 0;
let undecodable = 0;
let duplicates = 0;
let finish!: () => void;
const finished = new Promise<void>((resolve) => (finish = resolve));

function handle(alert: Alert, key: string | null, partition: number, offset: string): void {
  if (seen.has(alert.eventId)) {
    duplicates += 1;
    return;
  }
  seen.add(alert.eventId);
  if (seen.size > 100_000) seen.delete(seen.values().next().value!);
  process.stdout.write(`${JSON.stringify({ key, partition, offset: Number(offset), alert })}\n`);
  printed += 1;
}

await consumer.connect();
await consumer.subscribe({ topics: [values.topic ?? topicNamesFromEnv().alerts] });
void consumer.run({
  eachMessage: async ({ topic, partition, message }) => {
    if (printed >= max) return;
    const decoded = codec.safeDecode(message.value);
    if (decoded.ok) handle(decoded.value, message.key?.toString('utf8') ?? null, partition, message.offset);
    else {
      undecodable += 1; // a bad record is reported and skipped, never fatal
      process.stderr.write(
        `skipping ${topic}[${partition}]@${message.offset}: ${decoded.error.code} ${decoded.error.message}\n`,
      );
    }
    if (values.group) await consumer.commitOffsets([{ topic, partition, offset: String(BigInt(message.offset) + 1n) }]);
    if (printed >= max) finish();
  },
});
process.once('SIGINT', () => finish());
process.once('SIGTERM', () => finish());
const timer = Number.isFinite(timeoutMs) ? setTimeout(() => finish(), timeoutMs) : undefined;
await finished;
clearTimeout(timer);
await consumer.disconnect();
process.stderr.write(`${printed} alerts, ${duplicates} duplicates skipped, ${undecodable} undecodable\n`);
