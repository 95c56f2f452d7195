/**
 * Parsers for option values, shared by every CLI so that the same kind of value is written, checked and
 * refused the same way everywhere. Each throws an error whose message says what was expected; `cliOption`
 * turns it into a usage error naming the flag or the environment variable.
 */
import { formatDuration, parseDuration } from '../config/duration.js';

/** Whole numbers from `min` to `max` (underscores allowed as separators: `200_000`). */
export function wholeNumber(min: number, max: number = Number.MAX_SAFE_INTEGER): (text: string) => number {
  return (text) => {
    const n = Number(text.replaceAll('_', ''));
    if (!/^\d[\d_]*$/.test(text.trim()) || !Number.isSafeInteger(n) || n < min || n > max)
      throw new RangeError(
        `expected a whole number ${max === Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `from ${min} to ${max}`}, got "${text}"`,
      );
    return n;
  };
}

/** A TCP port; 0 asks the system for any free one. */
export const portNumber: (text: string) => number = (text) => {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || n > 65_535) throw new RangeError(`expected a port number (0-65535), got "${text}"`);
  return n;
};

/** A duration with a unit (`500ms`, `30s`, `5m`, `1m30s`; a bare `0` is zero), in milliseconds, at least `minMs`. */
export function durationText(minMs = 0): (text: string) => number {
  return (text) => {
    const ms = parseDuration(text);
    if (ms < minMs) throw new RangeError(`expected a duration of at least ${formatDuration(minMs)}, got "${text}"`);
    return ms;
  };
}

/** A non-empty string (an empty flag value is a mistake, not a choice). */
export const nonEmpty: (text: string) => string = (text) => {
  if (text.trim() === '') throw new RangeError('expected a value, got nothing');
  return text;
};

const BROKER =
  /^(?:[A-Za-z][A-Za-z0-9_]*:\/\/)?(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?):(\d{1,5})$/;

/**
 * Kafka brokers, `host:port[,host:port...]` (a `PLAINTEXT://`-style prefix and `[v6]` hosts allowed), with
 * the blanks around each entry removed. Anything else is refused here, before a client exists: a value a
 * shell would have cleaned up on a command line but that an environment file passes on as written — quoted
 * (`"kafka:9092"`, as `docker run --env-file` and systemd's `EnvironmentFile` keep the quotes), with a
 * stray character or without a port — otherwise leaves the Kafka client retrying a broker that does not
 * exist with transport errors until it times out.
 */
export const bootstrapServerList: (text: string) => string = (text) => {
  const entries = text.split(',').map((entry) => entry.trim());
  for (const entry of entries) {
    const m = BROKER.exec(entry);
    if (!m || Number(m[1]) < 1 || Number(m[1]) > 65_535)
      throw new RangeError(
        entry === ''
          ? `expected host:port[,host:port...], got "${text}" (an empty entry)`
          : `expected host:port[,host:port...], got "${text}" (${JSON.stringify(entry)} is not host:port${/^["']|["']$/.test(entry) ? '; remove the quotes' : ''})`,
      );
  }
  return entries.join(',');
};
