/**
 * The stream of Kafka messages a run produces: the generator's readings, encoded (and, at the asked rate,
 * replaced by poison), keyed by device id, up to a count or an end of event time. Still pure: the same
 * fleet and options give the same sequence of (key, value) bytes, which is the simulator's determinism
 * promise. The I/O shell only decides when to take the next message and where to send it.
 */
import { type AvroCodec, type SensorReading, sensorReadingCodec } from '@sensor-pipeline/shared';
import type { Fleet } from './fleet.js';
import { emptyReading, type GeneratedReading } from './generated-reading.js';
import {
  FUTURE_OFFSET_MS,
  POISON_KINDS,
  type PoisonKind,
  poisonKindAt,
  randomPoisonBytes,
  truncateEncoded,
} from './poison.js';
import { ReadingEncoder } from './reading-encoder.js';
import { ReadingGenerator } from './reading-generator.js';

export interface SimMessage {
  readonly key: Buffer;
  readonly value: Buffer;
}

export interface MessageSourceOptions {
  /** Stop after this many messages (poison included). */
  readonly count?: number;
  /** Stop at this event time (exclusive); readings held back for late delivery are still delivered. */
  readonly endTimeMs?: number;
  /** Share of readings replaced by poison records, [0, 1]; default 0. */
  readonly poisonRate?: number;
  /** Default: `sensorReadingCodec()` (single-object framing). */
  readonly codec?: AvroCodec<SensorReading>;
}

export class MessageSource {
  readonly fleet: Fleet;
  readonly generator: ReadingGenerator;
  readonly encoder: ReadingEncoder;
  /** Poison records produced so far, by kind. */
  readonly poison: Record<PoisonKind, number> = {
    'random-bytes': 0,
    'truncated-avro': 0,
    'nan-value': 0,
    'future-timestamp': 0,
  };
  /** The reading behind the last message (valid until the next call). */
  readonly reading: GeneratedReading = emptyReading();
  private readonly labels: Buffer[];
  private readonly limit: number;
  private readonly poisonRate: number;
  private produced = 0;

  constructor(fleet: Fleet, options: MessageSourceOptions = {}) {
    const poisonRate = options.poisonRate ?? 0;
    if (!(poisonRate >= 0 && poisonRate <= 1))
      throw new RangeError(`poisonRate must be within [0, 1], got ${poisonRate}`);
    if (options.count !== undefined && !(Number.isInteger(options.count) && options.count >= 0)) {
      throw new RangeError(`count must be a non-negative integer, got ${options.count}`);
    }
    this.fleet = fleet;
    this.generator = new ReadingGenerator(fleet, { endTimeMs: options.endTimeMs });
    this.encoder = new ReadingEncoder(options.codec ?? sensorReadingCodec());
    this.labels = fleet.sites.map((site) => this.encoder.labels(site.labels));
    this.limit = options.count ?? Infinity;
    this.poisonRate = poisonRate;
  }

  /** Messages handed out so far. */
  get count(): number {
    return this.produced;
  }

  get poisonTotal(): number {
    let total = 0;
    for (const kind of POISON_KINDS) total += this.poison[kind];
    return total;
  }

  /** Delivery time (event-time clock) of the next message; Infinity when done. */
  peekEmitAtMs(): number {
    return this.produced >= this.limit ? Infinity : this.generator.peekEmitAtMs();
  }

  /** The next message, or undefined when the run is complete. */
  next(): SimMessage | undefined {
    if (this.produced >= this.limit) return undefined;
    const r = this.reading;
    if (!this.generator.next(r)) return undefined;
    this.produced++;
    const device = this.fleet.devices[r.device]!;
    const labels = this.labels[device.site]!;
    if (this.poisonRate > 0) {
      const kind = poisonKindAt(device.poisonKey, r.seq, this.poisonRate);
      if (kind >= 0) return { key: device.key, value: this.poisonRecord(kind, device.key, device.poisonKey, labels) };
    }
    return { key: device.key, value: this.encoder.encode(device.key, r.metric, r.value, r.timestampMs, r.seq, labels) };
  }

  private poisonRecord(kind: number, id: Buffer, poisonKey: number, labels: Buffer): Buffer {
    const r = this.reading;
    const name = POISON_KINDS[kind]!;
    this.poison[name]++;
    switch (name) {
      case 'random-bytes':
        return randomPoisonBytes(poisonKey, r.seq);
      case 'truncated-avro':
        return truncateEncoded(
          this.encoder.encode(id, r.metric, r.value, r.timestampMs, r.seq, labels),
          this.encoder.header.length,
          poisonKey,
          r.seq,
        );
      case 'nan-value':
        return this.encoder.encode(id, r.metric, Number.NaN, r.timestampMs, r.seq, labels);
      case 'future-timestamp':
        return this.encoder.encode(id, r.metric, r.value, r.timestampMs + FUTURE_OFFSET_MS, r.seq, labels);
    }
  }
}
