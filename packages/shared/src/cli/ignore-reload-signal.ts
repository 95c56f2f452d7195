/**
 * For a process with no configuration to reload (the simulator, the web console, the demo sink): SIGHUP is
 * noted in the log and otherwise ignored, instead of Node's default of exiting. The launcher passes SIGHUP on
 * to every service it started, so that `kill -HUP` of a running pipeline reloads the ones that can.
 */
import type { Logger } from '../logger.js';

/** Ignores SIGHUP (logging it); returns a function that removes the listener. */
export function ignoreReloadSignal(logger: Logger): () => void {
  const listener = (): void => logger.info({ signal: 'SIGHUP' }, 'SIGHUP: nothing to reload, going on');
  process.on('SIGHUP', listener);
  return () => process.off('SIGHUP', listener);
}
