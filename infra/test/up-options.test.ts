import { describe, expect, it } from 'vitest';
import { parseUpOptions } from '../src/launcher/up-options.js';
import { DEFAULT_PORTS, portsFrom } from '../src/pipeline-services.js';

describe('sensor-pipeline up options', () => {
  it('starts the local broker by default, with the default ports and the real-time demo', () => {
    const o = parseUpOptions([], {}, '/repo');
    expect(o.bootstrapServers).toBeUndefined();
    expect(o).toMatchObject({
      kafkaPort: 9092,
      ports: DEFAULT_PORTS,
      realtime: true,
      simulatorArgs: [],
      runDir: '/repo/.run',
      readyTimeoutMs: 90_000,
    });
  });

  it('uses a given broker: flag, --no-broker with the environment, or the environment alone', () => {
    expect(parseUpOptions(['--bootstrap-servers', 'k:1'], {}, '/r').bootstrapServers).toBe('k:1');
    expect(parseUpOptions(['--no-broker'], {}, '/r').bootstrapServers).toBe('127.0.0.1:9092');
    expect(parseUpOptions(['--no-broker'], { KAFKA_BOOTSTRAP_SERVERS: 'b:2' }, '/r').bootstrapServers).toBe('b:2');
    expect(parseUpOptions([], { KAFKA_BOOTSTRAP_SERVERS: 'b:2' }, '/r').bootstrapServers).toBe('b:2');
  });

  it('passes simulator arguments and the fast mode', () => {
    const o = parseUpOptions(
      ['--fast', '--simulator-args', '--duration 3m --start-time "2024-01-01T00:00:00Z"'],
      {},
      '/r',
    );
    expect(o.realtime).toBe(false);
    expect(o.simulatorArgs).toEqual(['--duration', '3m', '--start-time', '2024-01-01T00:00:00Z']);
    expect(parseUpOptions([], { SIMULATOR_ARGS: '--count 10' }, '/r').simulatorArgs).toEqual(['--count', '10']);
  });

  it('moves every port with --port-base', () => {
    expect(parseUpOptions(['--port-base', '20000'], {}, '/r').ports).toEqual(portsFrom(20_000));
    expect(new Set(Object.values(portsFrom(20_000))).size).toBe(Object.keys(DEFAULT_PORTS).length);
  });

  it('says which flag is wrong', () => {
    expect(() => parseUpOptions(['--kafka-port', 'x'], {}, '/r')).toThrow(
      /--kafka-port <n>' argument 'x' is invalid. expected a whole number/,
    );
    expect(() => parseUpOptions(['--ready-timeout', 'soon'], {}, '/r')).toThrow(/--ready-timeout.*expected a duration/);
    expect(() => parseUpOptions(['--ready-timeout', '90'], {}, '/r')).toThrow(/"90" needs a unit, e.g. 90s/);
    expect(() => parseUpOptions([], { PIPELINE_READY_TIMEOUT: '90' }, '/r')).toThrow(/PIPELINE_READY_TIMEOUT="90"/);
    expect(() => parseUpOptions(['--fsat'], {}, '/r')).toThrow(/unknown option '--fsat' \(did you mean --fast\?\)/);
    expect(() => parseUpOptions(['--simulator-args', '"open'], {}, '/r')).toThrow(/--simulator-args: unterminated/);
    expect(() => parseUpOptions(['--bogus'], {}, '/r')).toThrow(/bogus/);
  });
});
