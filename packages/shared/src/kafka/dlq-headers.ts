/**
 * Headers on a dead-lettered record: where it came from and why it was set aside. Consumers of a DLQ
 * topic read these to find, fix and replay the original record.
 */
export const DLQ_HEADERS = {
  sourceTopic: 'dlq.source.topic',
  sourcePartition: 'dlq.source.partition',
  sourceOffset: 'dlq.source.offset',
  errorCode: 'dlq.error.code',
  errorMessage: 'dlq.error.message',
  /** Which service and stage set it aside, e.g. processor/decode. */
  stage: 'dlq.stage',
  /** Wall-clock time it was set aside, Unix epoch ms. */
  deadLetteredAt: 'dlq.dead-lettered.at',
} as const;

export interface DlqSource {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

export function dlqHeaders(
  source: DlqSource,
  /** `code` is one of the catalogue's (`ERROR_CODES`). */
  error: { readonly code: string; readonly message: string },
  stage: string,
  nowMs: number,
  extra: Readonly<Record<string, string>> = {},
): Record<string, string> {
  return {
    [DLQ_HEADERS.sourceTopic]: source.topic,
    [DLQ_HEADERS.sourcePartition]: String(source.partition),
    [DLQ_HEADERS.sourceOffset]: source.offset,
    [DLQ_HEADERS.errorCode]: error.code,
    [DLQ_HEADERS.errorMessage]: error.message.slice(0, 2_000),
    [DLQ_HEADERS.stage]: stage,
    [DLQ_HEADERS.deadLetteredAt]: String(nowMs),
    ...extra,
  };
}

/** Reads Kafka headers (Buffer or string values, possibly arrays) into plain strings. */
export function headersToStrings(headers: Readonly<Record<string, unknown>> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, raw] of Object.entries(headers ?? {})) {
    const value = Array.isArray(raw) ? raw[raw.length - 1] : raw;
    if (value !== undefined && value !== null)
      out[key] = Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
  }
  return out;
}
