import { readFileSync } from 'node:fs';
import { DEFAULT_TOPICS, TOPIC_ENV } from '@sensor-pipeline/shared';
import { describe, expect, it } from 'vitest';
import {
  ALERTING_GROUP,
  DEFAULT_PORTS,
  type Deployment,
  pipelineServices,
  portsFrom,
  SECRET_ENV,
  SINK_PATH,
  START_ORDER,
  STOP_ORDER,
} from '../src/pipeline-services.js';
import { parseYaml } from './yaml-parser.js';

const local: Deployment = {
  bootstrapServers: '127.0.0.1:9092',
  topics: DEFAULT_TOPICS,
  ports: DEFAULT_PORTS,
  hostOf: () => '127.0.0.1',
  listenHost: '127.0.0.1',
  sinkSecret: 'whsec_dGVzdA==',
};
const repo = new URL('../../', import.meta.url);

describe('pipeline services', () => {
  const specs = pipelineServices(local);
  const spec = (name: string) => specs.find((s) => s.name === name)!;

  it('lists the services in start order, and stops them the other way round', () => {
    expect(specs.map((s) => s.name)).toEqual(START_ORDER);
    expect(STOP_ORDER).toEqual([...START_ORDER].reverse());
  });

  it('runs each service through the bin its package declares', () => {
    for (const s of specs) {
      expect(s.command[0]).toBe('node');
      // Node's own flags (e.g. the processor's --max-semi-space-size) come before the script
      const script = s.command.slice(1).find((arg) => !arg.startsWith('--'))!;
      const pkgDir = script.split('/dist/')[0]!;
      const pkg = JSON.parse(readFileSync(new URL(`${pkgDir}/package.json`, repo), 'utf8')) as {
        bin: Record<string, string>;
      };
      expect(Object.values(pkg.bin).map((b) => `${pkgDir}/${b.replace(/^\.\//, '')}`)).toContain(script);
    }
  });

  it('starts the agreed commands', () => {
    expect(spec('simulator').command).toEqual([
      'node',
      'packages/simulator/dist/cli.js',
      '--scenario',
      'config/scenarios/demo.yaml',
      '--seed',
      '1',
      '--realtime',
      '--metrics-port',
      '9464',
    ]);
    expect(spec('processor').command).toEqual([
      'node',
      '--max-semi-space-size=32',
      'packages/processor/dist/cli.js',
      '--rules',
      'config/rules.yaml',
    ]);
    expect(spec('alerting').command).toEqual([
      'node',
      'packages/alerting/dist/cli.js',
      'run',
      '--config',
      'config/alerting.yaml',
    ]);
    expect(spec('sink').command).toEqual([
      'node',
      'packages/alerting/dist/cli.js',
      'sink',
      '--port',
      '9000',
      '--host',
      '127.0.0.1',
    ]);
  });

  it('gives every Kafka client the broker and the names of the topics it uses', () => {
    for (const s of specs.filter((x) => x.topics.length > 0)) {
      expect(s.env['KAFKA_BOOTSTRAP_SERVERS']).toBe('127.0.0.1:9092');
      for (const role of s.topics) expect(s.env[TOPIC_ENV[role]]).toBe(DEFAULT_TOPICS[role]);
    }
    expect(spec('processor').env['RULES_FILE']).toBe('config/rules.yaml');
  });

  it('points alerting at the sink with the shared secret', () => {
    expect(spec('alerting').env['SINK_URL']).toBe('http://127.0.0.1:9000/webhook');
    expect(spec('alerting').env['SINK_SECRET']).toBe(local.sinkSecret);
    expect(spec('sink').env['SINK_SECRET']).toBe(local.sinkSecret);
    for (const name of SECRET_ENV) expect(specs.some((s) => name in s.env)).toBe(true);
  });

  it('gives every service its own ops port, and the config files exist', () => {
    expect(new Set(specs.map((s) => s.opsPort)).size).toBe(specs.length);
    for (const s of specs) {
      expect(String(s.opsPort)).toBe(
        s.name === 'sink'
          ? '9000'
          : (s.env['METRICS_PORT'] ?? s.env['CONSOLE_PORT'] ?? s.command[s.command.indexOf('--metrics-port') + 1]),
      );
      for (const file of s.configFiles) expect(() => readFileSync(new URL(file, repo))).not.toThrow();
    }
  });

  it('moves ports, the pace and the simulator arguments for the launcher', () => {
    const moved = pipelineServices({
      ...local,
      ports: portsFrom(30_000),
      realtime: false,
      simulatorArgs: ['--duration', '3m'],
    });
    const sim = moved.find((s) => s.name === 'simulator')!;
    expect(sim.command).not.toContain('--realtime');
    expect(sim.command.slice(-2)).toEqual(['--duration', '3m']);
    expect(moved.map((s) => s.opsPort).sort()).toEqual([30_000, 30_001, 30_002, 30_003, 30_004]);
    expect(moved.find((s) => s.name === 'alerting')!.env['SINK_URL']).toBe('http://127.0.0.1:30000/webhook');
  });

  it('agrees with config/alerting.yaml: its consumer group, the sink URL and secret from the environment', () => {
    const config = parseYaml(readFileSync(new URL('config/alerting.yaml', repo), 'utf8')) as {
      consumer?: { groupId?: string };
      receivers: { url: string; secret?: string }[];
    };
    expect(config.consumer?.groupId ?? 'alerting').toBe(ALERTING_GROUP);
    const sinkReceivers = config.receivers.filter((r) => r.url.includes('${SINK_URL'));
    expect(sinkReceivers.length, 'a receiver takes its URL from ${SINK_URL}').toBeGreaterThan(0);
    for (const r of sinkReceivers) {
      expect(new URL(/\$\{SINK_URL:-([^}]+)\}/.exec(r.url)![1]!).pathname).toBe(SINK_PATH);
      expect(r.secret).toMatch(/\$\{SINK_SECRET\}/);
    }
  });

  it('starts the web console on 9400, scraping every service and reading the alerts and stats topics', () => {
    const console = spec('console');
    expect(console.command).toEqual(['node', 'packages/console/dist/cli.js', '--rules', 'config/rules.yaml']);
    expect(console.env['CONSOLE_PORT']).toBe('9400');
    expect(console.env['CONSOLE_SCRAPE_TARGETS']).toBe(
      'simulator=http://127.0.0.1:9464/metrics,processor=http://127.0.0.1:9465/metrics,' +
        'alerting=http://127.0.0.1:9466/metrics,sink=http://127.0.0.1:9000/metrics',
    );
    expect([console.env['ALERTS_TOPIC'], console.env['STATS_TOPIC']]).toEqual([
      DEFAULT_TOPICS.alerts,
      DEFAULT_TOPICS.stats,
    ]);
  });

  it('only lets the simulator finish on its own', () => {
    expect(specs.filter((s) => s.mayFinish).map((s) => s.name)).toEqual(['simulator']);
  });
});
