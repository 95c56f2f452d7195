/**
 * SIGHUP as the reload signal, as Prometheus and Alertmanager use it: each signal asks the service's
 * `ConfigReloader` for a reload (one at a time; a signal during a reload queues one more). Without a
 * listener Node's default for SIGHUP is to exit, so a service that registers this survives `kill -HUP`.
 */
import type { ConfigReloader } from './config-reloader.js';

/** Reloads on `signal` (default SIGHUP); returns a function that removes the listener. */
export function onReloadSignal(reloader: ConfigReloader, signal: NodeJS.Signals = 'SIGHUP'): () => void {
  const listener = (): void => {
    // the reloader logs the outcome and records it in the gauges; a refusal changes nothing else
    reloader.request(signal).catch(() => undefined);
  };
  process.on(signal, listener);
  return () => {
    process.off(signal, listener);
  };
}
