/**
 * The times a backtest takes: an RFC 3339 date-time (`2026-11-30T20:00:00Z`, `…+01:00`) or how long ago as a
 * duration with a unit (`2h`, `90m`, `0s` = now), turned into epoch milliseconds against `nowMs`. Anything
 * else is a `UsageError` that shows both forms.
 */
import { parseDuration, UsageError } from '@sensor-pipeline/shared';

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/;

export function parseBacktestTime(flag: string, text: string, nowMs: number): number {
  const trimmed = text.trim();
  if (RFC3339.test(trimmed)) {
    const ms = Date.parse(trimmed.replace(' ', 'T'));
    if (Number.isFinite(ms)) return ms;
  }
  try {
    return nowMs - parseDuration(trimmed);
  } catch (err) {
    throw new UsageError(
      `${flag}: expected an RFC 3339 time (2026-11-30T20:00:00Z) or how long ago with a unit (2h, 30m), got "${text}"${err instanceof Error ? ` (${err.message})` : ''}`,
    );
  }
}

/** `0:120,1:95` → Map(0 → 120, 1 → 95): an offset per partition, for `--from-offsets` / `--to-offsets`. */
export function parsePartitionOffsets(flag: string, text: string): ReadonlyMap<number, number> {
  const out = new Map<number, number>();
  for (const part of text.split(',')) {
    const m = /^\s*(\d+)\s*:\s*(\d+)\s*$/.exec(part);
    if (!m) throw new UsageError(`${flag}: expected PARTITION:OFFSET,... (e.g. 0:120,1:95), got "${text}"`);
    const partition = Number(m[1]);
    if (out.has(partition)) throw new UsageError(`${flag}: partition ${partition} is given twice`);
    out.set(partition, Number(m[2]));
  }
  return out;
}
