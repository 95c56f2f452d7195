/**
 * How much event time of readings a processor re-reads after a restart or a rebalance to rebuild its windows
 * and absence clocks (see the contract in `rule-engine.ts`): the longest time window or `absent` of any rule,
 * plus the allowed lateness. Count windows hold readings, not time: they are covered by assuming a reading
 * interval (default 1s per reading and sensor; pass the fleet's slowest interval).
 */
import type { RulesConfig } from './rules-schema.js';

export const DEFAULT_READING_INTERVAL_MS = 1_000; // one reading per second per sensor

export function replayHorizonMs(config: RulesConfig, options: { readingIntervalMs?: number } = {}): number {
  const intervalMs = options.readingIntervalMs ?? DEFAULT_READING_INTERVAL_MS;
  let longestMs = 0;
  for (const rule of config.rules) {
    const ms =
      rule.kind === 'absence'
        ? rule.absentMs
        : rule.window.kind === 'time'
          ? rule.window.sizeMs
          : rule.window.size * intervalMs;
    longestMs = Math.max(longestMs, ms);
  }
  return longestMs + config.graceMs;
}
