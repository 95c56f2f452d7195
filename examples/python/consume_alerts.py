#!/usr/bin/env python3
"""Subscribe to the sensor pipeline's alerts from Python, knowing nothing but the published schema.

Every record on the alerts topic is one Avro `Alert` (packages/shared/schemas/alert.avsc) in Avro
single-object encoding:

    C3 01 | 8-byte little-endian CRC-64-AVRO fingerprint of the schema's Parsing Canonical Form | Avro binary body

This reader refuses records larger than --max-record-bytes (default 1 MiB, the pipeline's own limit), checks
the two marker bytes, compares the fingerprint with the one it computes from the .avsc file, and decodes the
body with fastavro, which stops at the end of the bytes (EOFError) whatever lengths or counts a record claims.
A record that fails any of these is reported on stderr with its topic, partition and offset, and skipped. The record key is the deviceId (UTF-8), so one device's alerts
come in order. Delivery is at least once: a redelivered alert carries the same `eventId`, so deduplicate
on it (done below). The topic is read with isolation.level=read_committed, which also makes this reader
exactly-once-safe when the processor writes alerts in Kafka transactions.

    python examples/python/consume_alerts.py --from-beginning            # Ctrl-C to stop
    python examples/python/consume_alerts.py --max 10 --timeout 30 --bootstrap-servers 127.0.0.1:9092

Prints one JSON line per alert: {"key", "partition", "offset", "alert": {...}}; timestamps as Unix epoch
milliseconds, as in the schema. Requirements: examples/python/requirements.txt.
"""
from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import signal
import sys
import time
import uuid
from collections import OrderedDict
from pathlib import Path
from typing import Any

import fastavro
from confluent_kafka import Consumer, KafkaError, KafkaException

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "packages" / "shared" / "schemas" / "alert.avsc"
MAGIC = b"\xc3\x01"
HEADER_BYTES = 10
MAX_RECORD_BYTES = 1_048_576  # 1 MiB, as the pipeline's own readers

# --- CRC-64-AVRO (Rabin) fingerprint, exactly as the Avro specification defines it -----------------------
EMPTY = 0xC15D213AA4D7A795
_TABLE = []
for _i in range(256):
    _fp = _i
    for _ in range(8):
        _fp = (_fp >> 1) ^ (EMPTY & -(_fp & 1))
    _TABLE.append(_fp)


def rabin_fingerprint(data: bytes) -> bytes:
    """The 8 little-endian bytes of the CRC-64-AVRO fingerprint of `data`."""
    fp = EMPTY
    for byte in data:
        fp = (fp >> 8) ^ _TABLE[(fp ^ byte) & 0xFF]
    return fp.to_bytes(8, "little")


class AlertDecoder:
    """Decodes single-object-encoded Alerts written with the schema in `schema_file`."""

    def __init__(self, schema_file: Path, max_record_bytes: int = MAX_RECORD_BYTES) -> None:
        self.max_record_bytes = max_record_bytes
        raw = json.loads(schema_file.read_text(encoding="utf-8"))
        self.schema = fastavro.parse_schema(raw)
        canonical = fastavro.schema.to_parsing_canonical_form(raw)
        self.fingerprint = rabin_fingerprint(canonical.encode("utf-8"))

    def decode(self, value: bytes | None) -> dict[str, Any]:
        if not value:
            raise ValueError("empty record value")
        if len(value) > self.max_record_bytes:
            raise ValueError(f"record is {len(value)} bytes, larger than the {self.max_record_bytes}-byte limit")
        if len(value) < HEADER_BYTES or value[:2] != MAGIC:
            hint = " (Confluent Schema Registry framing?)" if value[:1] == b"\x00" else ""
            raise ValueError(f"not Avro single-object encoding: starts with {value[:2].hex()}{hint}")
        if value[2:HEADER_BYTES] != self.fingerprint:
            raise ValueError(
                f"written with another schema: fingerprint {value[2:HEADER_BYTES].hex()}, "
                f"this reader's is {self.fingerprint.hex()} — use the .avsc the writer used"
            )
        body = io.BytesIO(value[HEADER_BYTES:])
        alert = fastavro.schemaless_reader(body, self.schema)
        if body.tell() != len(value) - HEADER_BYTES:
            raise ValueError(f"{len(value) - HEADER_BYTES - body.tell()} unexpected bytes after the Avro body")
        return alert  # type: ignore[return-value]


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


def to_json(value: Any) -> Any:
    """fastavro returns timestamp-millis as datetime; print them as the epoch milliseconds on the wire."""
    if isinstance(value, dt.datetime):
        return (value - _EPOCH) // dt.timedelta(milliseconds=1)
    raise TypeError(f"cannot serialise {type(value).__name__}")


def main() -> int:
    parser = argparse.ArgumentParser(description="Print the pipeline's alerts as JSON lines.")
    parser.add_argument("--bootstrap-servers", default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or "127.0.0.1:9092")
    parser.add_argument("--topic", default=os.environ.get("ALERTS_TOPIC") or "sensor.alerts")
    parser.add_argument("--group", help="consumer group (commits what it printed); default: a throwaway group")
    parser.add_argument("--from-beginning", action="store_true", help="start at the oldest retained alert")
    parser.add_argument("--max", type=int, help="stop after this many alerts")
    parser.add_argument("--timeout", type=float, help="stop after this many seconds")
    parser.add_argument("--schema", type=Path, default=SCHEMA_FILE, help="the Alert .avsc file")
    parser.add_argument(
        "--max-record-bytes", type=int, default=MAX_RECORD_BYTES, help="skip records larger than this (bytes)"
    )
    args = parser.parse_args()
    if args.max_record_bytes < 1:
        parser.error("--max-record-bytes must be a positive number of bytes")

    decoder = AlertDecoder(args.schema, args.max_record_bytes)
    consumer = Consumer(
        {
            "bootstrap.servers": args.bootstrap_servers,
            "group.id": args.group or f"consume-alerts-py-{uuid.uuid4().hex[:8]}",
            "auto.offset.reset": "earliest" if args.from_beginning else "latest",
            "enable.auto.commit": False,
            "isolation.level": "read_committed",
        }
    )
    consumer.subscribe([args.topic])
    stopping = False

    def stop(*_: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)

    seen: OrderedDict[str, None] = OrderedDict()  # recent event ids, for at-least-once duplicates
    printed = failed = duplicates = 0
    deadline = time.monotonic() + args.timeout if args.timeout else None
    try:
        while not stopping and (args.max is None or printed < args.max):
            if deadline is not None and time.monotonic() >= deadline:
                break
            msg = consumer.poll(0.5)
            if msg is None:
                continue
            if msg.error():
                if msg.error().code() == KafkaError._PARTITION_EOF:
                    continue
                raise KafkaException(msg.error())
            try:
                alert = decoder.decode(msg.value())
            except Exception as err:  # a bad record is reported and skipped, never fatal
                failed += 1
                if isinstance(err, EOFError):  # fastavro reached the end of the bytes before the value's end
                    reason = "the Avro body ends before the value does (truncated, or a length or count too large)"
                else:
                    reason = str(err) or type(err).__name__
                print(f"skipping {msg.topic()}[{msg.partition()}]@{msg.offset()}: {reason}", file=sys.stderr)
                continue
            if alert["eventId"] in seen:
                duplicates += 1
            else:
                seen[alert["eventId"]] = None
                if len(seen) > 100_000:
                    seen.popitem(last=False)
                key = msg.key().decode("utf-8") if msg.key() is not None else None
                line = {"key": key, "partition": msg.partition(), "offset": msg.offset(), "alert": alert}
                print(json.dumps(line, default=to_json, ensure_ascii=False), flush=True)
                printed += 1
            if args.group:
                consumer.commit(message=msg, asynchronous=False)  # after handling it: at least once
    finally:
        consumer.close()
    print(f"{printed} alerts, {duplicates} duplicates skipped, {failed} undecodable", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
