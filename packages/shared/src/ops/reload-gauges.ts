/**
 * The two gauges Prometheus and Alertmanager export about their configuration reloads, under a service's
 * prefix: `<prefix>_config_last_reload_successful` (1 when the last reload attempt worked, else 0) and
 * `<prefix>_config_last_reload_success_timestamp_seconds` (Unix time of the last successful load). The
 * initial load at start counts as a successful one, so a fresh process reports 1 and its start time; an
 * alert on `..._successful == 0` then means exactly "the file on disk is not the one in force".
 */
import { Gauge, type Registry } from 'prom-client';

export interface ReloadGauges {
  /** A load succeeded at `nowMs` (epoch milliseconds): successful = 1, timestamp = now. */
  recordSuccess(nowMs: number): void;
  /** A reload was refused: successful = 0, the timestamp keeps the last success. */
  recordFailure(): void;
}

/**
 * Registers the gauges on `registry` under `prefix` (e.g. `processor`) and records the initial load as a
 * success at `loadedAtMs` (default: now).
 */
export function reloadGauges(registry: Registry, prefix: string, loadedAtMs: number = Date.now()): ReloadGauges {
  if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(prefix)) throw new TypeError(`reloadGauges: bad metric prefix ${prefix}`);
  const successful = new Gauge({
    name: `${prefix}_config_last_reload_successful`,
    help: 'Whether the last configuration reload attempt was successful (1) or refused (0)',
    registers: [registry],
    aggregator: 'min', // over a supervisor's workers: 0 when any refused
  });
  const timestamp = new Gauge({
    name: `${prefix}_config_last_reload_success_timestamp_seconds`,
    help: 'Timestamp of the last successful configuration load, in seconds since the Unix epoch',
    registers: [registry],
    aggregator: 'min', // over a supervisor's workers: the oldest
  });
  const gauges: ReloadGauges = {
    recordSuccess(nowMs) {
      successful.set(1);
      timestamp.set(nowMs / 1000);
    },
    recordFailure() {
      successful.set(0);
    },
  };
  gauges.recordSuccess(loadedAtMs);
  return gauges;
}
