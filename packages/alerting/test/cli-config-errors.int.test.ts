/**
 * The `alerting` CLI refuses a config with notification mistakes before touching Kafka (no broker is
 * given): an inhibition matcher it cannot parse, a negative group interval, a route to an unknown receiver
 * — each with file, line, column and field — and exits 2. `silence add` refuses a matcher it cannot parse
 * the same way (usage, exit 2).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnCli } from './cli-process.js';

const env = { KAFKA_BOOTSTRAP_SERVERS: '127.0.0.1:1' }; // nothing listens: a config error must come first

describe('alerting CLI: notification config errors', () => {
  it('names file, line and field for a bad matcher, a negative interval and an unknown receiver, and exits 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'alerting-config-'));
    const file = join(dir, 'alerting.yaml');
    writeFileSync(
      file,
      [
        'receivers:',
        '  - name: hooks',
        '    url: https://hooks.example.com/',
        'route:',
        '  receiver: hooks',
        '  routes:',
        '    - receiver: pager',
        'inhibitRules:',
        '  - sourceMatchers: ["alertname ~ device-silent"]',
        '    targetMatchers: [severity=warning]',
        '',
      ].join('\n'),
    );
    const run = spawnCli(['run', '--config', file], env);
    const { code } = await run.exited;
    expect(code).toBe(2);
    expect(run.output()).toContain(
      `${file}:9:22 inhibitRules[0].sourceMatchers[0]: cannot parse matcher "alertname ~ device-silent"`,
    );

    writeFileSync(
      file,
      [
        'receivers:',
        '  - name: hooks',
        '    url: https://hooks.example.com/',
        '    group: { by: [site], interval: -5m }',
        'route:',
        '  receiver: hooks',
        '',
      ].join('\n'),
    );
    const negative = spawnCli(['check', '--config', file], env);
    expect((await negative.exited).code).toBe(2);
    expect(negative.output()).toContain(`${file}:4:36 receivers[0].group.interval: expected a duration`);

    writeFileSync(
      file,
      [
        'receivers:',
        '  - name: hooks',
        '    url: https://hooks.example.com/',
        'route:',
        '  receiver: hooks',
        '  routes:',
        '    - receiver: pager',
        '',
      ].join('\n'),
    );
    const unknown = spawnCli(['check', '--config', file], env);
    expect((await unknown.exited).code).toBe(2);
    expect(unknown.output()).toContain(`${file}:7:17 route.routes[0].receiver: unknown receiver "pager"`);

    const silence = spawnCli(['silence', 'add', '--match', 'rule ~ x', '--for', '1h'], env);
    expect((await silence.exited).code).toBe(2);
    expect(silence.output()).toContain('--match: cannot parse matcher "rule ~ x"');
  });
});
