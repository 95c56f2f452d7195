/**
 * Turns what a batch produced into records for the raw producer: alerts (keyed by device, with the event id
 * in a header), dead letters (the original bytes with `dlq.*` headers), window stats, and — per partition —
 * the alert-state changes plus a checkpoint `{asOfOffset, replayFrom}` in the co-partitioned state topic.
 * The codecs are built once per encoder.
 */
import { alertCodec, type RawRecord, type RdKafka, type TopicNames, windowStatsCodec } from '@sensor-pipeline/shared';
import { checkpointKey, stateKey } from '../state/alert-state-records.js';
import type { BatchOutput } from './batch-output.js';

const ALERT_CONTENT_TYPE = { 'content-type': 'application/vnd.sensorpipeline.alert+avro' };

export class OutputRecords {
  private readonly alertCodec = alertCodec();
  private readonly statsCodec = windowStatsCodec();

  constructor(private readonly topics: TopicNames) {}

  /** Alerts, dead letters and stats of `out`, appended to `records`. */
  appendOutputs(out: BatchOutput, records: RawRecord[]): void {
    for (const a of out.alerts) {
      records.push({
        topic: this.topics.alerts,
        key: a.deviceId,
        value: this.alertCodec.encode(a),
        headers: [ALERT_CONTENT_TYPE, { 'event-id': a.eventId }],
      });
    }
    for (const d of out.deadLetters) {
      records.push({ topic: this.topics.readingsDlq, key: d.key, value: d.value, headers: toHeaders(d.headers) });
    }
    for (const s of out.stats) {
      records.push({ topic: this.topics.stats, key: s.deviceId, value: this.statsCodec.encode(s) });
    }
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
      records.push({ topic, partition, key: stateKey(fingerprint), value: Buffer.from(snapshot) });
    }
    records.push({
      topic,
      partition,
      key: checkpointKey(readingsTopic, partition),
      value: Buffer.from(JSON.stringify({ asOfOffset: lastOffset, replayFrom })),
    });
  }
}

function toHeaders(headers: Readonly<Record<string, string>>): RdKafka.MessageHeader[] {
  const out: RdKafka.MessageHeader[] = [];
  for (const key in headers) out.push({ [key]: headers[key]! });
  return out;
}
