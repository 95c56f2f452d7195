/**
 * Every error code the product uses, in one place (as platformatic/kafka keeps its `errors.ts`): what it
 * means and whether a retry can help by default. A `PipelineError` only takes a code from here, dead-letter
 * headers carry these codes, and a unit test checks that every code written in the sources is listed.
 * Callers branch on `code` and `retriable`, never on message text. Add a code here before throwing it.
 */

export interface ErrorCodeInfo {
  /** One line: what happened. */
  readonly meaning: string;
  /** Whether trying the same thing again may succeed, unless the thrower says otherwise. */
  readonly retriable: boolean;
}

export const ERROR_CODES = {
  // --- starting a process -------------------------------------------------------------------------------
  USAGE: {
    meaning: 'a command line that cannot be used: unknown flag, bad value, missing argument (exit 2)',
    retriable: false,
  },
  CONFIG_INVALID: {
    meaning: 'a config file that cannot be read or is invalid; names file:line:col and field (exit 2)',
    retriable: false,
  },
  STARTUP_FAILED: {
    meaning: 'a process cannot start: a port is taken, a required tool or file is missing',
    retriable: false,
  },
  SERVICE_NOT_READY: { meaning: 'a launched service exited or did not answer /readyz in time', retriable: false },

  // --- the local broker (infra) ---------------------------------------------------------------------------
  LOCAL_KAFKA_FETCH_FAILED: { meaning: "fetching the broker's jars from Maven Central failed", retriable: true },
  LOCAL_KAFKA_PORT_TAKEN: { meaning: "the local broker's port is taken by another process", retriable: false },
  LOCAL_KAFKA_FORMAT_FAILED: { meaning: "formatting the local broker's storage failed", retriable: false },
  LOCAL_KAFKA_EXITED: { meaning: 'the local broker exited while starting (see its log)', retriable: false },
  LOCAL_KAFKA_START_TIMEOUT: { meaning: 'the local broker did not become ready in time', retriable: true },

  // --- Kafka ----------------------------------------------------------------------------------------------
  KAFKA_ERROR: { meaning: "the Kafka client failed; `retriable` carries the client's own verdict", retriable: false },
  KAFKA_CONNECT_FAILED: { meaning: 'a Kafka client could not connect to the cluster', retriable: true },
  KAFKA_PRODUCE_FAILED: {
    meaning: 'the producer did not accept a record (queue full, too large, unknown topic)',
    retriable: false,
  },
  KAFKA_DELIVERY_FAILED: { meaning: 'the broker did not acknowledge a produced record', retriable: false },
  KAFKA_FLUSH_FAILED: { meaning: 'flushing the producer did not finish in time', retriable: true },
  KAFKA_PRODUCER_FATAL: {
    meaning: 'the producer instance failed for good (e.g. fenced); it must be closed',
    retriable: false,
  },
  KAFKA_TXN_INIT_FAILED: { meaning: 'initializing transactions failed', retriable: false },
  KAFKA_TXN_BEGIN_FAILED: { meaning: 'beginning a transaction failed', retriable: false },
  KAFKA_TXN_OFFSETS_FAILED: { meaning: 'adding consumed offsets to a transaction failed', retriable: false },
  KAFKA_TXN_COMMIT_FAILED: { meaning: 'committing a transaction failed', retriable: false },
  KAFKA_TXN_ABORT_FAILED: { meaning: 'aborting a transaction failed', retriable: false },
  TOPIC_LAYOUT: {
    meaning: 'existing topics cannot work together (partition counts, cleanup policy)',
    retriable: false,
  },
  STATE_TOPIC_PARTITIONS: {
    meaning: 'the alert-state topic has fewer partitions than the readings topic',
    retriable: false,
  },
  TRANSACTION_FAILED: { meaning: 'a Kafka transaction was aborted; the batch is processed again', retriable: true },

  // --- decoding a record (dead-lettered; the same bytes fail the same way) --------------------------------
  DECODE_EMPTY: { meaning: 'the record value is null or empty', retriable: false },
  DECODE_BAD_MAGIC: {
    meaning: 'the framing header is not the expected one (single-object or Confluent)',
    retriable: false,
  },
  DECODE_UNKNOWN_SCHEMA: { meaning: 'the schema fingerprint or id is not one we know', retriable: false },
  DECODE_TRUNCATED: { meaning: 'the Avro body ends before the value does', retriable: false },
  DECODE_TRAILING_BYTES: { meaning: 'bytes are left after the value', retriable: false },
  DECODE_INVALID: { meaning: 'the Avro body does not decode to the schema', retriable: false },
  DECODE_TOO_LARGE: { meaning: 'the record is larger than the configured maximum', retriable: false },
  DECODE_BAD_LENGTH: {
    meaning: 'a declared length or block count exceeds what the remaining bytes can hold',
    retriable: false,
  },

  // --- readings that decode but cannot be used (dead-lettered) ---------------------------------------------
  READING_EMPTY_DEVICE_ID: { meaning: 'the reading has an empty deviceId', retriable: false },
  READING_NON_FINITE_VALUE: { meaning: 'the value is NaN or infinite', retriable: false },
  READING_DEVICE_ID_TOO_LONG: { meaning: 'the deviceId is longer than the configured limit', retriable: false },
  READING_KEY_MISMATCH: { meaning: "the record key is not the reading's deviceId", retriable: false },
  READING_TOO_MANY_LABELS: { meaning: 'the reading has more labels than the configured limit', retriable: false },
  READING_LABEL_TOO_LONG: { meaning: 'a label key or value is longer than the configured limit', retriable: false },
  READING_VALUE_OUT_OF_RANGE: {
    meaning: "the value is outside its metric's range (cpu, memory 0–100 %; temperature as configured)",
    retriable: false,
  },
  READING_SENSOR_LIMIT: {
    meaning: 'a new sensor past the number of sensors one processor instance may hold',
    retriable: false,
  },
  READING_BAD_TIMESTAMP: { meaning: 'the timestamp is not a safe integer', retriable: false },
  READING_INVALID_TIMESTAMP: { meaning: 'a window refused the timestamp', retriable: false },
  READING_TIMESTAMP_IN_FUTURE: {
    meaning: "the timestamp is further ahead of the processor's clock than allowed",
    retriable: false,
  },
  READING_TIMESTAMP_TOO_OLD: {
    meaning: 'the timestamp is before any real device could have sent it',
    retriable: false,
  },
  READING_LATE_BEYOND_GRACE: {
    meaning: 'the reading is older than the allowed lateness of its window',
    retriable: false,
  },
  READING_LATE_OUTSIDE_WINDOW: { meaning: 'the reading falls outside the current window', retriable: false },

  // --- processor --------------------------------------------------------------------------------------------
  WINDOW_OPTIONS_INVALID: {
    meaning: 'window options that cannot work (non-positive size, fractional count...)',
    retriable: false,
  },
  OUTPUT_TOO_LARGE: {
    meaning: "an output record (alert, stats) larger than the producer's message limit; set aside, not produced",
    retriable: false,
  },
  OUTPUT_REFUSED: {
    meaning: 'the broker or the producer refused an output record for itself (invalid); set aside, not produced',
    retriable: false,
  },
  ALERT_STATE_INVALID: { meaning: 'an alert-state record that cannot be read back', retriable: false },

  // --- alerting: one webhook attempt ----------------------------------------------------------------------
  WEBHOOK_HTTP_STATUS: {
    meaning: 'the receiver answered with a non-2xx status (5xx, 408 and 429 are retried)',
    retriable: false,
  },
  WEBHOOK_REDIRECT: { meaning: 'the receiver answered 3xx; redirects are never followed', retriable: false },
  WEBHOOK_TIMEOUT: { meaning: "no complete answer within the receiver's timeout", retriable: true },
  WEBHOOK_NETWORK: { meaning: 'connection refused or reset, DNS or TLS failure', retriable: true },
  WEBHOOK_DESTINATION_BLOCKED: {
    meaning: 'the destination is a loopback, private, link-local or metadata address',
    retriable: false,
  },
  WEBHOOK_QUEUE_FULL: { meaning: "the receiver's queue is full and it dead-letters new alerts", retriable: false },
  DELIVERY_RECEIVER_REMOVED: {
    meaning: 'a delivery parked in the retry topic for a receiver a reload removed; redrive it once it is back',
    retriable: false,
  },
  DELIVERY_PARKED_UNDECODABLE: { meaning: 'a record of the retry topic does not decode as an alert', retriable: false },
} as const satisfies Record<string, ErrorCodeInfo>;

/** A code from {@link ERROR_CODES}. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** True when `code` is in the catalogue (for codes read back from headers or other processes). */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERROR_CODES, code);
}
