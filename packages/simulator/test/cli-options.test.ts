import { describe, expect, it } from 'vitest';
import { type CliOptions, parseCliArgs, UsageError } from '../src/cli-options.js';

function run(args: string[], env: Record<string, string> = {}): CliOptions {
  const command = parseCliArgs(args, env);
  if (command.kind !== 'run') throw new Error('expected a run');
  return command.options;
}

function usageError(args: string[]): string {
  try {
    parseCliArgs(args, {});
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error('expected a UsageError');
}

describe('simulator command line', () => {
  it('defaults to real time, the readings topic and the local broker', () => {
    const o = run([]);
    expect(o.pace).toEqual({ kind: 'realtime' });
    expect(o.topic).toBe('sensor.readings');
    expect(o.bootstrapServers).toBe('127.0.0.1:9092');
    expect(o.poisonRate).toBe(0);
    expect(o.createTopic).toBeUndefined();
  });

  it('takes the topic and brokers from the environment', () => {
    const o = run([], { READINGS_TOPIC: 'r2', KAFKA_BOOTSTRAP_SERVERS: 'k:1' });
    expect(o.topic).toBe('r2');
    expect(o.bootstrapServers).toBe('k:1');
    expect(run(['--topic', 't3', '--bootstrap-servers', 'x:2'], { READINGS_TOPIC: 'r2' })).toMatchObject({
      topic: 't3',
      bootstrapServers: 'x:2',
    });
  });

  it('reads METRICS_PORT and every option from its variable, the flag winning', () => {
    expect(run([], { METRICS_PORT: '9464' }).metricsPort).toBe(9_464);
    expect(run(['--metrics-port', '0'], { METRICS_PORT: '9464' }).metricsPort).toBe(0);
    expect(run([], {}).metricsPort).toBeUndefined();
    const o = run([], { SIMULATOR_DURATION: '3m', SIMULATOR_PROGRESS: 'false', SIMULATOR_CREATE_TOPIC: 'true' });
    expect(o).toMatchObject({
      durationMs: 180_000,
      pace: { kind: 'fast' },
      progress: false,
      createTopic: { partitions: 6 },
    });
    expect(run([], { SIMULATOR_REALTIME: 'false' }).pace).toEqual({ kind: 'realtime' });
    expect(() => parseCliArgs([], { SIMULATOR_DURATION: '180' })).toThrow(/SIMULATOR_DURATION: "180" needs a unit/);
  });

  it('picks the pace from the flags', () => {
    expect(run(['--count', '1_000_000']).pace).toEqual({ kind: 'fast' });
    expect(run(['--count', '1000']).count).toBe(1_000);
    expect(run(['--duration', '10m']).durationMs).toBe(600_000);
    expect(run(['--duration', '10m', '--realtime']).pace).toEqual({ kind: 'realtime' });
    expect(run(['--rate', '5000', '--count', '10']).pace).toEqual({ kind: 'rate', perSecond: 5_000 });
  });

  it('reads the remaining options', () => {
    const o = run([
      '--scenario',
      'x.yaml',
      '--seed',
      '42',
      '--poison-rate',
      '0.01',
      '--create-topic',
      '--partitions',
      '12',
      '--metrics-port',
      '0',
      '--start-time',
      '2024-02-01T00:00:00Z',
      '--compression',
      'zstd',
      '--linger-ms',
      '50',
      '--no-progress',
    ]);
    expect(o).toMatchObject({
      scenarioFile: 'x.yaml',
      seed: '42',
      poisonRate: 0.01,
      createTopic: { partitions: 12 },
      metricsPort: 0,
      startTimeMs: Date.UTC(2024, 1, 1),
      progress: false,
    });
    expect(o.tuning).toEqual({ compression: 'zstd', lingerMs: 50 });
  });

  it('answers --help', () => {
    expect(parseCliArgs(['--help'], {})).toMatchObject({ kind: 'help', text: expect.stringContaining('--count <n>') });
    expect(parseCliArgs(['-h'], {})).toMatchObject({ kind: 'help', text: expect.stringContaining('METRICS_PORT') });
    expect(parseCliArgs(['--version'], {})).toEqual({ kind: 'help', text: expect.stringMatching(/^\d+\.\d+\.\d+\n$/) });
  });

  it('refuses bad flags with a message naming the flag', () => {
    expect(usageError(['--nope'])).toMatch(/unknown option '--nope'/);
    expect(usageError(['--duraton', '3m'])).toMatch(/unknown option '--duraton' \(did you mean --duration\?\)/);
    expect(usageError(['extra'])).toMatch(/too many arguments/);
    expect(usageError(['--duration', '5'])).toMatch(/^--duration: "5" needs a unit, e.g. 5s/);
    expect(usageError(['--count', '0'])).toBe('--count: expected a whole number of at least 1, got "0"');
    expect(usageError(['--count', '1.5'])).toMatch(/^--count: expected a whole number/);
    expect(usageError(['--rate', '0'])).toBe('--rate: expected a positive number, got "0"');
    expect(usageError(['--rate=-3'])).toBe('--rate: expected a positive number, got "-3"');
    expect(usageError(['--duration', 'soon'])).toMatch(/^--duration: expected a duration like/);
    expect(usageError(['--poison-rate', '2'])).toBe(
      '--poison-rate: expected a share from 0 to 1 (0.01 is 1%), got "2"',
    );
    expect(usageError(['--realtime', '--rate', '10'])).toMatch(/--realtime and --rate/);
    expect(usageError(['--partitions', '3'])).toMatch(/--partitions only applies with --create-topic/);
    expect(usageError(['--compression', 'brotli'])).toMatch(/^--compression: expected one of/);
    expect(usageError(['--metrics-port', '70000'])).toBe(
      '--metrics-port: expected a whole number from 0 to 65535, got "70000"',
    );
    expect(usageError(['--topic', 'bad topic'])).toMatch(/not a valid Kafka topic name/);
    expect(usageError(['--start-time', 'yesterday'])).toMatch(/^--start-time: expected an ISO 8601 time/);
    expect(usageError(['--seed', ' '])).toMatch(/^--seed/);
  });
});
