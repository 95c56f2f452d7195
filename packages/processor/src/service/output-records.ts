/**
 * Turns what a batch produced into records for the raw producer: alerts (keyed by device, with the event id
 * in a header), dead letters (the original bytes with `dlq.*` headers), window stats, and — per partition —
 * the alert-state changes plus a checkpoint `{asOfOffset, replayFrom}` in the co-partitioned state topic.
 * The codecs are built once per encoder.
 *
 * No record larger than `maxRecordBytes` is handed to the producer: the producer (and the broker) would refuse
 * it and fail the whole batch, again after every restart. An alert or stats record that large is set aside
 * instead — a record in the readings DLQ with `dlq.error.code` OUTPUT_TOO_LARGE, no value, and headers that
 * say what it was — and a dead letter that large keeps its headers and loses its value.
 */
import {
  alertCodec,
  dlqHeaders,
  type RawRecord,
  type RdKafka,
  type TopicNames,
  windowStatsCodec,
} from '@sensor-pipeline/shared';
import { checkpointKey, stateKey } from '../state/alert-state-records.js';
import type { BatchOutput } from './batch-output.js';

const ALERT_CONTENT_TYPE = { 'content-type': 'application/vnd.sensorpipeline.alert+avro' };

export class OutputRecords {
  private readonly alertCodec = alertCodec();
  private readonly statsCodec = windowStatsCodec();

  /** Alert, stats and state records set aside as too large since this encoder was built. */
  tooLarge = 0;

  constructor(
    private readonly topics: TopicNames,
    /** Largest record handed to the producer (key, value, headers), bytes. */
    private readonly maxRecordBytes = 1_000_000,
    private readonly now: () => number = Date.now,
    /** Called with the code of each alert, stats or state record set aside (for a metric). */
    private readonly onSetAside: (code: 'OUTPUT_TOO_LARGE' | 'OUTPUT_REFUSED') => void = () => undefined,
  ) {}

  /**
   * Alerts, dead letters and stats of `out`, appended to `records`; `source` is the readings partition and
   * the batch's last offset, named in the record set aside for an output too large.
   */
  appendOutputs(out: BatchOutput, records: RawRecord[], source?: OutputSource): void {
    for (const a of out.alerts) {
      const record: RawRecord = {
        topic: this.topics.alerts,
        key: a.deviceId,
        value: this.alertCodec.encode(a),
        headers: [ALERT_CONTENT_TYPE, { 'event-id': a.eventId }],
      };
      records.push(this.fits(record) ? record : this.setAside(record, source, { 'dlq.output.event-id': a.eventId }));
    }
    for (const d of out.deadLetters) {
      const record: RawRecord = {
        topic: this.topics.readingsDlq,
        key: d.key,
        value: d.value,
        headers: toHeaders(d.headers),
      };
      if (this.fits(record)) {
        records.push(record);
        continue;
      }
      // the reading itself was larger than we can produce: its dead letter keeps where it came from and why
      // (counted under its own code, not as an output set aside)
      records.push({
        topic: this.topics.readingsDlq,
        key: null,
        value: null,
        headers: toHeaders({
          ...d.headers,
          'dlq.value.dropped-bytes': String(recordBytes(record)),
        }),
      });
    }
    for (const s of out.stats) {
      const record: RawRecord = { topic: this.topics.stats, key: s.deviceId, value: this.statsCodec.encode(s) };
      records.push(this.fits(record) ? record : this.setAside(record, source, {}));
    }
  }

  /**
   * The DLQ record that stands for `record` when the broker or the producer refused it for itself (`kafkaCode`,
   * librdkafka's code): OUTPUT_TOO_LARGE for a size refusal, OUTPUT_REFUSED otherwise.
   */
  refused(record: RawRecord, kafkaCode: number, reason: string, source: OutputSource | undefined): RawRecord {
    const tooLarge = SIZE_REFUSALS.has(kafkaCode);
    if (tooLarge) this.noteTooLarge();
    else this.onSetAside('OUTPUT_REFUSED');
    const headers = dlqHeaders(
      source ?? { topic: '', partition: -1, offset: '-1' },
      {
        code: tooLarge ? 'OUTPUT_TOO_LARGE' : 'OUTPUT_REFUSED',
        message: `a ${record.topic} record of ${recordBytes(record)} bytes was refused: ${reason}`,
      },
      'processor/output',
      this.now(),
      { 'dlq.output.topic': record.topic, 'dlq.output.bytes': String(recordBytes(record)) },
    );
    return { topic: this.topics.readingsDlq, key: null, value: null, headers: toHeaders(headers) };
  }

  private noteTooLarge(): void {
    this.tooLarge++;
    this.onSetAside('OUTPUT_TOO_LARGE');
  }

  private fits(record: RawRecord): boolean {
    return recordBytes(record) <= this.maxRecordBytes;
  }

  /** The DLQ record that stands for an output too large to produce. */
  private setAside(record: RawRecord, source: OutputSource | undefined, extra: Record<string, string>): RawRecord {
    this.noteTooLarge();
    const bytes = recordBytes(record);
    const headers = dlqHeaders(
      source ?? { topic: '', partition: -1, offset: '-1' },
      {
        code: 'OUTPUT_TOO_LARGE',
        message: `a ${record.topic} record of ${bytes} bytes is larger than the ${this.maxRecordBytes}-byte limit (maxOutputRecordBytes); set aside instead of produced`,
      },
      'processor/output',
      this.now(),
      { ...extra, 'dlq.output.topic': record.topic, 'dlq.output.bytes': String(bytes) },
    );
    return { topic: this.topics.readingsDlq, key: null, value: null, headers: toHeaders(headers) };
  }

  /** The partition's state changes of `out` and a checkpoint as of `lastOffset`, appended to `records`. */
  appendState(
    readingsTopic: string,
    partition: number,
    out: BatchOutput,
    lastOffset: number,
    replayFrom: number,
    records: RawRecord[],
  ): void {
    const topic = this.topics.alertState;
    for (const [fingerprint, snapshot] of out.stateChanges) {
      const record: RawRecord = { topic, partition, key: stateKey(fingerprint), value: Buffer.from(snapshot) };
      // a state record that large (a huge device id) is not kept: its series starts afresh after a restore
      if (this.fits(record)) records.push(record);
      else this.noteTooLarge();
    }
    records.push({
      topic,
      partition,
      key: checkpointKey(readingsTopic, partition),
      value: Buffer.from(JSON.stringify({ asOfOffset: lastOffset, replayFrom })),
    });
  }
}

/** librdkafka codes that refuse one record for its size (message, batch, or record list too large). */
const SIZE_REFUSALS = new Set([10 /* MSG_SIZE_TOO_LARGE */, 4 /* INVALID_MSG_SIZE */, 18 /* RECORD_LIST_TOO_LARGE */]);

/** librdkafka codes that refuse one record for itself; the producer and the broker are fine otherwise. */
export const RECORD_REFUSALS: ReadonlySet<number> = new Set([
  ...SIZE_REFUSALS,
  2 /* INVALID_MSG (corrupt) */,
  32 /* INVALID_TIMESTAMP */,
  87 /* INVALID_RECORD */,
]);

/** Where the outputs of a batch came from: the readings partition and the batch's last offset. */
export interface OutputSource {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

/** Bytes a record takes against the producer's message limit: key, value, headers, and a margin for framing. */
function recordBytes(record: RawRecord): number {
  let n = 512;
  const { key, value, headers } = record;
  if (key) n += typeof key === 'string' ? Buffer.byteLength(key) : key.length;
  if (value) n += value.length;
  if (headers) {
    for (const h of headers) {
      for (const name in h) {
        const v = h[name];
        n += Buffer.byteLength(name) + (typeof v === 'string' ? Buffer.byteLength(v) : (v?.length ?? 0));
      }
    }
  }
  return n;
}

function toHeaders(headers: Readonly<Record<string, string>>): RdKafka.MessageHeader[] {
  const out: RdKafka.MessageHeader[] = [];
  for (const key in headers) out.push({ [key]: headers[key]! });
  return out;
}
