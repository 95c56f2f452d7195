/**
 * Writes the workload's readings (Avro, key = deviceId) with the project's idempotent acks=all producer:
 * a preloaded share at once, the rest at a steady rate in the background while faults happen. Per-partition
 * order is the workload's order, so the processors see the same input as the oracle whatever the batching.
 */
import {
  createLogger,
  createProducer,
  type KafkaJS,
  type KafkaSettings,
  type SensorReading,
  sensorReadingCodec,
} from '@sensor-pipeline/shared';

const MAX_CHUNK = 1_000;
const MAX_SEND_ATTEMPTS = 10;

export class ReadingsProducer {
  private readonly codec = sensorReadingCodec();
  private producer: KafkaJS.Producer;
  private readonly newProducer: () => KafkaJS.Producer;
  private disconnecting: Promise<void> | undefined;
  /** Readings acknowledged so far. */
  produced = 0;
  /** Sends tried again after the client gave up on them. */
  retries = 0;

  constructor(
    settings: KafkaSettings,
    private readonly topic: string,
    private readonly onRetry: (line: string) => void = () => undefined,
  ) {
    // the client logs every refused connection while the broker is down on purpose: quiet unless asked
    const logger = createLogger({ service: 'chaos-producer', level: process.env['CHAOS_LOG_LEVEL'] ?? 'silent' });
    // a send fails after 30 s (a broker restart here takes a few): a stuck client is replaced soon (see sendChunk)
    this.newProducer = () => createProducer(settings, { logger, lingerMs: 5, deliveryTimeoutMs: 30_000 });
    this.producer = this.newProducer();
  }

  async connect(): Promise<void> {
    await this.producer.connect();
  }

  /** Sends the readings as fast as acknowledgements come back. */
  async send(readings: readonly SensorReading[]): Promise<void> {
    for (let i = 0; i < readings.length; i += MAX_CHUNK) await this.sendChunk(readings.slice(i, i + MAX_CHUNK));
  }

  /**
   * Sends the readings at about `ratePerS`, catching up after a stall (a broker outage holds acknowledgements
   * back; the producer retries without losing or repeating anything). Resolves when all are acknowledged.
   */
  async sendAtRate(readings: readonly SensorReading[], ratePerS: number): Promise<void> {
    const started = Date.now();
    let next = 0;
    while (next < readings.length) {
      const due = Math.min(readings.length, Math.floor(((Date.now() - started) / 1_000) * ratePerS) + 1);
      if (due <= next) {
        await sleep(50);
        continue;
      }
      const end = Math.min(due, next + MAX_CHUNK);
      await this.sendChunk(readings.slice(next, end));
      next = end;
    }
  }

  /** Idempotent: the client must not be disconnected twice. */
  async disconnect(): Promise<void> {
    this.disconnecting ??= this.producer.disconnect().catch(() => undefined);
    await this.disconnecting;
  }

  /**
   * A send the client gave up on (seen after a broker restart on a loaded machine) is sent again, up to
   * `MAX_SEND_ATTEMPTS` times; each retry is reported, since records of a failed send may have been written
   * and a retry can repeat them. The retry goes through a new client: librdkafka's producer sometimes never
   * reconnects after the broker comes back (confluentinc/librdkafka#5080; seen here as a client with no
   * connection at all and every send timing out for ten minutes), and a new one connects at once.
   */
  private async sendChunk(chunk: readonly SensorReading[]): Promise<void> {
    const messages = chunk.map((r) => ({ key: r.deviceId, value: this.codec.encode(r) }));
    let fresh = false;
    for (let attempt = 1; ; attempt++) {
      try {
        if (fresh) await this.producer.connect();
        fresh = false;
        await this.producer.send({ topic: this.topic, messages });
        break;
      } catch (err) {
        if (attempt >= MAX_SEND_ATTEMPTS) throw err;
        this.retries += 1;
        this.onRetry(
          `readings producer: a send failed (${(err as Error).message}); sending it again with a new client`,
        );
        if (!fresh) {
          await this.producer.disconnect().catch(() => undefined);
          this.producer = this.newProducer();
          fresh = true;
        }
        await sleep(1_000);
      }
    }
    this.produced += chunk.length;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
