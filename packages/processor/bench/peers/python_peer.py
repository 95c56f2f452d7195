#!/usr/bin/env python3
"""The processor's Python peer for the throughput benchmark: the same work, written the way a Python team would.

A single-threaded `confluent-kafka` consumer reads the readings topic in batches (`consume(1000)`), checks
the Avro single-object header (C3 01 + the schema's CRC-64-AVRO fingerprint, 10 bytes) and decodes the body
with `fastavro`'s schemaless reader; then, per sensor (deviceId, metric), it keeps the time or count windows
the rules file asks for and evaluates the threshold rules on every reading, counting FIRING and RESOLVED
alerts. The windows follow the processor's semantics: a time window of W holds the readings with timestamp
in (t - W, t], t the newest timestamp of the sensor; readings up to `grace` behind t land in place, older
ones are counted as late and set aside. A window is a time-ordered list plus a sorted list of its values
(median, min and max from the sorted list, mean from a running sum). Rule states follow
packages/processor/src/rules/threshold-state-machine.ts: ok -> pending -> firing with `for`, hysteresis with
`clear`.

Not done here (the benchmark's rules do not need them): absence rules (skipped), device selectors (a rule
with `devices` is refused), hopping windows (refused). Nothing is produced: alerts are counted.

    python python_peer.py --bootstrap-servers 127.0.0.1:9092 --topic T --count 1000000 --rules config/rules.yaml

Prints one JSON line: readings, alerts, late, undecodable, seconds (first record to the last counted),
cpuSeconds (process CPU over the same span, librdkafka's threads included), peakRssMiB (whole run).
"""
from __future__ import annotations

import argparse
import io
import json
import re
import resource
import sys
import time
import uuid
from bisect import bisect_right, insort
from pathlib import Path

import fastavro
import yaml
from confluent_kafka import Consumer, KafkaError

SCHEMA_FILE = Path(__file__).resolve().parents[4] / "packages" / "shared" / "schemas" / "sensor-reading.avsc"
MAGIC = b"\xc3\x01"
HEADER_BYTES = 10

# --- CRC-64-AVRO (Rabin) fingerprint, as the Avro specification defines it -------------------------------
EMPTY = 0xC15D213AA4D7A795
_TABLE = []
for _i in range(256):
    _fp = _i
    for _ in range(8):
        _fp = (_fp >> 1) ^ (EMPTY & -(_fp & 1))
    _TABLE.append(_fp)


def rabin_fingerprint(data: bytes) -> bytes:
    fp = EMPTY
    for byte in data:
        fp = (fp >> 8) ^ _TABLE[(fp ^ byte) & 0xFF]
    return fp.to_bytes(8, "little")


_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_UNIT_MS = {"ms": 1, "s": 1_000, "m": 60_000, "h": 3_600_000}


def duration_ms(text: str | int | float) -> int:
    """'500ms', '30s', '5m', '1h', '1m30s' -> milliseconds."""
    if isinstance(text, (int, float)):
        return int(text)
    parts = _DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ValueError(f"not a duration: {text!r}")
    return int(sum(float(n) * _UNIT_MS[u] for n, u in parts))


class Window:
    """One sensor's window: readings in event-time order, and their values sorted."""

    __slots__ = ("times", "values", "sorted_values", "total")

    def __init__(self) -> None:
        self.times: list[int] = []
        self.values: list[float] = []
        self.sorted_values: list[float] = []
        self.total = 0.0

    def add(self, ts: int, value: float) -> None:
        times = self.times
        if not times or ts >= times[-1]:
            times.append(ts)
            self.values.append(value)
        else:
            at = bisect_right(times, ts)
            times.insert(at, ts)
            self.values.insert(at, value)
        insort(self.sorted_values, value)
        self.total += value

    def evict_front(self, n: int) -> None:
        if n <= 0:
            return
        sv = self.sorted_values
        for value in self.values[:n]:
            del sv[bisect_right(sv, value) - 1]
            self.total -= value
        del self.times[:n]
        del self.values[:n]

    def statistic(self, name: str) -> float:
        sv = self.sorted_values
        n = len(sv)
        if name == "mean":
            return self.total / n
        if name == "median":
            mid = n // 2
            return sv[mid] if n % 2 else (sv[mid - 1] + sv[mid]) / 2
        if name == "min":
            return sv[0]
        if name == "max":
            return sv[-1]
        if name == "count":
            return float(n)
        if name == "stddev":
            mean = self.total / n
            return (sum((v - mean) ** 2 for v in sv) / n) ** 0.5
        raise ValueError(f"unknown statistic {name!r}")


class WindowSpec:
    """A distinct (metric, window) of the rules: `time` windows of size_ms, or `count` windows of n readings."""

    def __init__(self, spec: object) -> None:
        if isinstance(spec, dict):
            if "count" in spec:
                self.kind, self.size = "count", int(spec["count"])
            elif "hop" in spec:
                raise SystemExit("python peer: hopping windows are not supported")
            else:
                self.kind, self.size = "time", duration_ms(spec["size"])
        else:
            self.kind, self.size = "time", duration_ms(spec)  # type: ignore[arg-type]


class Rule:
    __slots__ = ("name", "window", "statistic", "above", "threshold", "clear", "for_ms")

    def __init__(self, raw: dict, window: int) -> None:
        self.name = raw["name"]
        self.window = window
        self.statistic = raw.get("statistic", "mean")
        self.above = "above" in raw
        self.threshold = float(raw["above"] if self.above else raw["below"])
        self.clear = float(raw["clear"]) if "clear" in raw else None
        self.for_ms = duration_ms(raw["for"]) if "for" in raw else 0


def load_rules(path: str) -> tuple[int, dict[str, list[WindowSpec]], dict[str, list[Rule]]]:
    """Grace, the distinct windows per metric, and the threshold rules per metric (absence rules skipped)."""
    doc = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    grace = duration_ms(doc.get("grace", "0s"))
    windows: dict[str, list[WindowSpec]] = {}
    keys: dict[str, list[str]] = {}
    rules: dict[str, list[Rule]] = {}
    for raw in doc["rules"]:
        if "absent" in raw:
            continue
        if "devices" in raw:
            raise SystemExit(f"python peer: rule {raw['name']}: device selectors are not supported")
        metric = raw["metric"]
        key = json.dumps(raw["window"], sort_keys=True)
        metric_keys = keys.setdefault(metric, [])
        if key not in metric_keys:
            metric_keys.append(key)
            windows.setdefault(metric, []).append(WindowSpec(raw["window"]))
        rules.setdefault(metric, []).append(Rule(raw, metric_keys.index(key)))
    return grace, windows, rules


OK, PENDING, FIRING = 0, 1, 2


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bootstrap-servers", default="127.0.0.1:9092")
    parser.add_argument("--topic", required=True)
    parser.add_argument("--count", type=int, required=True, help="stop after this many records")
    parser.add_argument("--rules", required=True)
    parser.add_argument("--group", default=f"python-peer-{uuid.uuid4().hex[:8]}")
    args = parser.parse_args()

    raw_schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    header = MAGIC + rabin_fingerprint(fastavro.schema.to_parsing_canonical_form(raw_schema).encode("utf-8"))
    for field in raw_schema["fields"]:  # event time as the long it is on the wire (no datetime objects)
        if isinstance(field["type"], dict):
            field["type"].pop("logicalType", None)
    schema = fastavro.parse_schema(raw_schema)
    read = fastavro.schemaless_reader

    grace, window_specs, rules_by_metric = load_rules(args.rules)
    windows: dict[tuple[str, str], list[Window]] = {}
    newest: dict[tuple[str, str], int] = {}
    states: dict[tuple[str, str, str], list[int]] = {}  # [status, since]

    consumer = Consumer(
        {
            "bootstrap.servers": args.bootstrap_servers,
            "group.id": args.group,
            "auto.offset.reset": "earliest",
            "enable.auto.commit": True,
        }
    )
    consumer.subscribe([args.topic])
    seen = alerts = late = undecodable = 0
    started = cpu_started = 0.0
    try:
        while seen < args.count:
            batch = consumer.consume(1000, 1.0)
            if not batch:
                continue
            if not started:
                started = time.perf_counter()
                cpu_started = time.process_time()
            for message in batch:
                if message.error():
                    if message.error().code() != KafkaError._PARTITION_EOF:
                        print(f"consume error: {message.error()}", file=sys.stderr)
                    continue
                seen += 1
                value = message.value()
                if value is None or len(value) < HEADER_BYTES or value[:HEADER_BYTES] != header:
                    undecodable += 1
                    continue
                try:
                    reading = read(io.BytesIO(value[HEADER_BYTES:]), schema)
                except Exception:  # noqa: BLE001 - a bad record is counted, never fatal
                    undecodable += 1
                    continue
                metric = reading["metric"]
                specs = window_specs.get(metric)
                if specs is None:
                    continue
                ts = reading["timestamp"]
                v = reading["value"]
                sensor = (reading["deviceId"], metric)
                t = newest.get(sensor)
                if t is None or ts > t:
                    newest[sensor] = t = ts
                elif ts <= t - grace:
                    late += 1
                    continue
                sensor_windows = windows.get(sensor)
                if sensor_windows is None:
                    sensor_windows = windows[sensor] = [Window() for _ in specs]
                for spec, window in zip(specs, sensor_windows):
                    window.add(ts, v)
                    if spec.kind == "time":
                        window.evict_front(bisect_right(window.times, t - spec.size))
                    else:
                        window.evict_front(len(window.times) - spec.size)
                for rule in rules_by_metric[metric]:
                    window = sensor_windows[rule.window]
                    if not window.times:
                        continue
                    stat = window.statistic(rule.statistic)
                    key = (sensor[0], metric, rule.name)
                    state = states.get(key)
                    if state is None:
                        state = states[key] = [OK, -(2**62)]
                    if not t > state[1]:
                        continue
                    holds = stat > rule.threshold if rule.above else stat < rule.threshold
                    status = state[0]
                    if status == OK:
                        if holds:
                            if rule.for_ms > 0:
                                state[0], state[1] = PENDING, t
                            else:
                                state[0], state[1] = FIRING, t
                                alerts += 1
                    elif status == PENDING:
                        if not holds:
                            state[0], state[1] = OK, t
                        elif t - state[1] >= rule.for_ms:
                            state[0], state[1] = FIRING, t
                            alerts += 1
                    else:
                        clear = rule.clear
                        if clear is None:
                            clears = not holds
                        else:
                            clears = stat < clear if rule.above else stat > clear
                        if clears:
                            state[0], state[1] = OK, t
                            alerts += 1
        seconds = time.perf_counter() - started
        cpu_seconds = time.process_time() - cpu_started
    finally:
        consumer.close()
    peak_rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "readings": seen,
                "alerts": alerts,
                "late": late,
                "undecodable": undecodable,
                "sensors": len(windows),
                "seconds": round(seconds, 3),
                "cpuSeconds": round(cpu_seconds, 2),
                "peakRssMiB": round(peak_rss_mib),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
