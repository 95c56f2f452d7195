import { afterEach, describe, expect, it } from 'vitest';
import {
  configReloader,
  createLogger,
  createMetricsRegistry,
  onReloadSignal,
  parsePrometheusText,
  reloadGauges,
} from '../src/index.js';

const logger = createLogger({ service: 'test', level: 'silent' });

/** A reload function whose calls wait until the test lets each one finish. */
function gatedReload() {
  const calls: { resolve(report: string): void; reject(err: Error): void }[] = [];
  const reload = () =>
    new Promise<string>((resolve, reject) => {
      calls.push({ resolve, reject });
    });
  return { reload, calls };
}

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

async function gauge(registry: ReturnType<typeof createMetricsRegistry>, name: string): Promise<number | undefined> {
  return parsePrometheusText(await registry.metrics()).find((s) => s.name === name)?.value;
}

describe('configReloader', () => {
  it('runs one reload at a time; requests during a reload share one queued reload', async () => {
    const { reload, calls } = gatedReload();
    const reloader = configReloader({ reload, logger });
    const first = reloader.request('SIGHUP');
    expect(calls).toHaveLength(1);
    const second = reloader.request('SIGHUP');
    const third = reloader.request('http');
    await flush();
    expect(calls).toHaveLength(1); // nothing runs beside the first

    calls[0]?.resolve('first');
    expect(await first).toBe('first');
    await flush();
    expect(calls).toHaveLength(2); // the queued one started after the first ended
    calls[1]?.resolve('second');
    expect(await second).toBe('second');
    expect(await third).toBe('second');
    expect(reloader.completed).toBe(2);
  });

  it('a refusal rejects the callers of that reload only; the queued reload still runs', async () => {
    const { reload, calls } = gatedReload();
    const reloader = configReloader({ reload, logger });
    const first = reloader.request('http');
    const second = reloader.request('http');
    calls[0]?.reject(new Error('rules.yaml:3:5 rules.0.window: bad'));
    await expect(first).rejects.toThrow('rules.yaml:3:5');
    await flush();
    calls[1]?.resolve('ok');
    expect(await second).toBe('ok');
    // idle again: a new request starts at once
    const third = reloader.request('http');
    expect(calls).toHaveLength(3);
    calls[2]?.resolve('again');
    expect(await third).toBe('again');
  });

  it('records outcomes in the Prometheus-convention gauges (the initial load counts as a success)', async () => {
    const registry = createMetricsRegistry('unit');
    const gauges = reloadGauges(registry, 'svc', 1_000_000);
    expect(await gauge(registry, 'svc_config_last_reload_successful')).toBe(1);
    expect(await gauge(registry, 'svc_config_last_reload_success_timestamp_seconds')).toBe(1000);

    let fail = true;
    const reloader = configReloader({
      reload: async () => {
        if (fail) throw new Error('refused');
        return 'done';
      },
      logger,
      gauges,
      now: () => 5_000_000,
    });
    await expect(reloader.request('http')).rejects.toThrow('refused');
    expect(await gauge(registry, 'svc_config_last_reload_successful')).toBe(0);
    expect(await gauge(registry, 'svc_config_last_reload_success_timestamp_seconds')).toBe(1000);

    fail = false;
    expect(await reloader.request('http')).toBe('done');
    expect(await gauge(registry, 'svc_config_last_reload_successful')).toBe(1);
    expect(await gauge(registry, 'svc_config_last_reload_success_timestamp_seconds')).toBe(5000);
  });
});

describe('onReloadSignal', () => {
  let off: (() => void) | undefined;
  afterEach(() => off?.());

  it('asks the reloader on each SIGHUP, and a refusal does not escape as an unhandled rejection', async () => {
    const triggers: string[] = [];
    let n = 0;
    const reloader = configReloader({
      reload: async () => {
        n += 1;
        if (n === 1) throw new Error('bad file');
        return 'ok';
      },
      logger,
    });
    const request = reloader.request.bind(reloader);
    off = onReloadSignal({
      request: (trigger) => {
        triggers.push(trigger);
        return request(trigger);
      },
      get completed() {
        return reloader.completed;
      },
    });
    process.emit('SIGHUP', 'SIGHUP');
    await flush();
    process.emit('SIGHUP', 'SIGHUP');
    await flush();
    expect(triggers).toEqual(['SIGHUP', 'SIGHUP']);
    expect(reloader.completed).toBe(2);
    off();
    off = undefined;
    expect(process.listenerCount('SIGHUP')).toBe(0);
  });
});
