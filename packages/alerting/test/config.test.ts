import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@sensor-pipeline/shared';
import { describe, expect, it } from 'vitest';
import { type LoadAlertingConfigOptions, loadAlertingConfig, parseAlertingConfig } from '../src/index.js';

const SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
const env = { HOOK_SECRET: SECRET };
const publicDns: LoadAlertingConfigOptions['resolveHost'] = async () => ['93.184.216.34'];

async function problems(yaml: string, options: LoadAlertingConfigOptions = {}): Promise<string[]> {
  try {
    await parseAlertingConfig(yaml, 'alerting.yaml', { env, resolveHost: publicDns, ...options });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues.map((i) => `${i.file}:${i.line}:${i.column} ${i.field}: ${i.message}`);
  }
  throw new Error('expected a ConfigError');
}

describe('alerting config', () => {
  it('applies typed defaults with units in the names', async () => {
    const config = await parseAlertingConfig(
      [
        'receivers:',
        '  - name: hooks',
        '    url: https://hooks.example.com/alerts',
        '    secret: ${HOOK_SECRET}',
        'route:',
        '  receiver: hooks',
        '',
      ].join('\n'),
      'alerting.yaml',
      { env, resolveHost: publicDns },
    );
    expect(config.receivers[0]).toMatchObject({
      name: 'hooks',
      format: 'native',
      timeoutMs: 10_000,
      concurrency: 4,
      queueSize: 10_000,
      onQueueFull: 'pause',
      allowPrivateNetwork: false,
      headers: {},
      retry: { initialMs: 500, multiplier: 2, maxMs: 30_000, maxAttempts: 8, jitter: 'full', maxRetryAfterMs: 300_000 },
    });
    expect(config.receivers[0]!.signingKeys.count).toBe(1);
    expect(config.consumer).toEqual({ groupId: 'alerting', commitIntervalMs: 1_000, maxBatchSize: 500 });
    expect(config.dedup).toEqual({ windowMs: 3_600_000, maxEntries: 100_000 });
    expect(config.shutdown).toEqual({ drainTimeoutMs: 10_000 });
    expect(JSON.stringify(config)).not.toContain(SECRET.slice(6, 20));
  });

  it('reads durations, numbers and booleans, also from variables', async () => {
    const config = await parseAlertingConfig(
      [
        'receivers:',
        '  - name: local',
        '    url: http://127.0.0.1:9000/x',
        '    timeout: 1m30s',
        '    concurrency: ${CONC}',
        '    allowPrivateNetwork: ${ALLOW}',
        '    retry: { initialDelay: 50ms, maxDelay: 2s, maxAttempts: 3, jitter: equal }',
        '    headers: { X-Team: ops }',
        'route: { receiver: local }',
      ].join('\n'),
      'alerting.yaml',
      { env: { CONC: '16', ALLOW: 'true' } },
    );
    expect(config.receivers[0]).toMatchObject({
      timeoutMs: 90_000,
      concurrency: 16,
      allowPrivateNetwork: true,
      headers: { 'X-Team': 'ops' },
    });
    expect(config.receivers[0]!.retry).toMatchObject({ initialMs: 50, maxMs: 2_000, maxAttempts: 3, jitter: 'equal' });
    expect(config.receivers[0]!.signingKeys.count).toBe(0);
  });

  it('names file, line and field for a route to an unknown receiver', async () => {
    const yaml = [
      'receivers:',
      '  - name: hooks',
      '    url: https://hooks.example.com/',
      'route:',
      '  receiver: hooks',
      '  routes:',
      '    - match: { severity: critical }',
      '      receiver: pager',
      '',
    ].join('\n');
    expect(await problems(yaml)).toEqual([
      'alerting.yaml:8:17 route.routes[0].receiver: unknown receiver "pager"; expected one of the receivers: hooks',
    ]);
  });

  it('names file, line and field for a bad URL', async () => {
    const yaml = ['receivers:', '  - name: hooks', '    url: not a url', 'route: { receiver: hooks }'].join('\n');
    expect(await problems(yaml)).toEqual([
      'alerting.yaml:3:10 receivers[0].url: expected an absolute http(s) URL like https://hooks.example.com/alerts, got "not a url"',
    ]);
    const ftp = await problems(
      ['receivers:', '  - name: hooks', '    url: ftp://files.example.com/', 'route: { receiver: hooks }'].join('\n'),
    );
    expect(ftp[0]).toContain('alerting.yaml:3:10 receivers[0].url: expected an http or https URL, got ftp');
  });

  it('names file, line and field for a missing secret variable', async () => {
    const yaml = [
      'receivers:',
      '  - name: hooks',
      '    url: https://hooks.example.com/',
      '    secret: ${NOT_SET_ANYWHERE}',
      'route: { receiver: hooks }',
    ].join('\n');
    expect(await problems(yaml)).toEqual([
      'alerting.yaml:4:13 receivers[0].secret: environment variable NOT_SET_ANYWHERE is not set (referenced as ${NOT_SET_ANYWHERE})',
    ]);
  });

  it('refuses a secret written in the YAML, and secrets that are not whsec_', async () => {
    const literal = await problems(
      [
        'receivers:',
        '  - name: hooks',
        '    url: https://hooks.example.com/',
        `    secret: ${SECRET}`,
        'route: { receiver: hooks }',
      ].join('\n'),
    );
    expect(literal).toHaveLength(1);
    expect(literal[0]).toMatch(/^alerting\.yaml:4:13 receivers\[0\]\.secret: secrets are never written in the YAML/);
    expect(literal[0]).not.toContain(SECRET);
    const prefixed = await problems(
      [
        'receivers:',
        '  - name: hooks',
        '    url: https://hooks.example.com/',
        '    secret: whsec_${HOOK_SECRET}',
        'route: { receiver: hooks }',
      ].join('\n'),
    );
    expect(prefixed[0]).toMatch(/receivers\[0\]\.secret: secrets are never written in the YAML/);
    const bad = await problems(
      [
        'receivers:',
        '  - name: hooks',
        '    url: https://hooks.example.com/',
        '    secret: ${WEAK}',
        'route: { receiver: hooks }',
      ].join('\n'),
      { env: { WEAK: 'password' } },
    );
    expect(bad).toEqual([
      'alerting.yaml:4:13 receivers[0].secret: secret must look like whsec_<base64> (Standard Webhooks form)',
    ]);
  });

  it('reads secretFile relative to the config file, and reports an unreadable one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'alerting-config-'));
    writeFileSync(join(dir, 'hook.secret'), `${SECRET}\n`);
    const file = join(dir, 'alerting.yaml');
    writeFileSync(
      file,
      [
        'receivers:',
        '  - name: hooks',
        '    url: https://hooks.example.com/',
        '    secretFile: hook.secret',
        'route: { receiver: hooks }',
      ].join('\n'),
    );
    const config = await loadAlertingConfig(file, { resolveHost: publicDns });
    expect(config.receivers[0]!.signingKeys.count).toBe(1);
    writeFileSync(
      file,
      [
        'receivers:',
        '  - name: hooks',
        '    url: https://hooks.example.com/',
        '    secretFile: missing.secret',
        'route: { receiver: hooks }',
      ].join('\n'),
    );
    await expect(loadAlertingConfig(file, { resolveHost: publicDns })).rejects.toThrow(
      /alerting\.yaml:4:17 receivers\[0\]\.secretFile: cannot read secret file .*missing\.secret: file not found/,
    );
    await expect(loadAlertingConfig(join(dir, 'nope.yaml'))).rejects.toThrow(
      /nope\.yaml: cannot read config file: file not found/,
    );
  });

  it('refuses private destinations unless the receiver allows them (SSRF guard at load)', async () => {
    const literal = await problems(
      ['receivers:', '  - name: local', '    url: http://127.0.0.1:9000/hook', 'route: { receiver: local }'].join('\n'),
    );
    expect(literal).toEqual([
      'alerting.yaml:3:10 receivers[0].url: host 127.0.0.1 is a loopback address: refused to prevent SSRF; set allowPrivateNetwork: true on this receiver if it really targets an internal service',
    ]);
    const metadata = await problems(
      ['receivers:', '  - name: m', '    url: http://169.254.169.254/latest/meta-data/', 'route: { receiver: m }'].join(
        '\n',
      ),
    );
    expect(metadata[0]).toContain('is a metadata address');
    const named = await problems(
      ['receivers:', '  - name: n', '    url: https://internal.example/', 'route: { receiver: n }'].join('\n'),
      { resolveHost: async () => ['93.184.216.34', '10.0.0.8'] },
    );
    expect(named[0]).toContain('receivers[0].url: host internal.example resolves to 10.0.0.8 and is a private address');
    const mapped = await problems(
      ['receivers:', '  - name: v6', '    url: http://[::ffff:127.0.0.1]:80/', 'route: { receiver: v6 }'].join('\n'),
    );
    expect(mapped[0]).toContain('is a loopback address');
    const allowed = await parseAlertingConfig(
      [
        'receivers:',
        '  - name: local',
        '    url: http://127.0.0.1:9000/hook',
        '    allowPrivateNetwork: true',
        'route: { receiver: local }',
      ].join('\n'),
      'alerting.yaml',
      {},
    );
    expect(allowed.receivers.map((r) => [r.name, r.url, r.allowPrivateNetwork])).toEqual([
      ['local', 'http://127.0.0.1:9000/hook', true],
    ]);
  });

  it('reports unknown fields with a suggestion, duplicate names, reserved headers and retry mistakes', async () => {
    const yaml = [
      'receivers:',
      '  - name: a',
      '    url: https://a.example/',
      '    timout: 5s',
      '    headers: { webhook-id: x }',
      '    retry: { initialDelay: 5s, maxDelay: 1s }',
      '  - name: a',
      '    url: https://b.example/',
      'route: { receiver: a }',
    ].join('\n');
    const found = await problems(yaml);
    expect(found).toContainEqual(
      expect.stringMatching(
        /^alerting\.yaml:4:5 receivers\[0\]\.timout: unknown field "timout" — did you mean "timeout"\?/,
      ),
    );
    expect(found).toContainEqual(
      expect.stringMatching(
        /^alerting\.yaml:5:\d+ receivers\[0\]\.headers\.webhook-id: header webhook-id is set by the service/,
      ),
    );
    expect(found).toContainEqual(
      expect.stringMatching(
        /^alerting\.yaml:6:\d+ receivers\[0\]\.retry\.maxDelay: maxDelay \(1000 ms\) must be at least initialDelay \(5000 ms\)/,
      ),
    );
  });

  it('reports duplicate receiver names', async () => {
    const found = await problems(
      [
        'receivers:',
        '  - name: a',
        '    url: https://a.example/',
        '  - name: a',
        '    url: https://b.example/',
        'route: { receiver: a }',
      ].join('\n'),
    );
    expect(found).toEqual(['alerting.yaml:4:11 receivers[1].name: duplicate receiver name "a" (also receivers[0])']);
  });

  it('needs a default receiver and at least one receiver', async () => {
    const found = await problems(['receivers: []', 'route: {}'].join('\n'));
    expect(found).toContainEqual(expect.stringContaining('receivers: expected at least one receiver'));
    expect(found).toContainEqual(expect.stringContaining('route.receiver'));
  });

  it('loads config/alerting.example.yaml', async () => {
    const config = await loadAlertingConfig(
      new URL('../../../config/alerting.example.yaml', import.meta.url).pathname,
      {
        env: {
          SLACK_WEBHOOK_URL: 'https://hooks.slack.example/services/T0/B0/x',
          PAGER_TOKEN: 't',
          FACILITIES_WEBHOOK_SECRET: SECRET,
        },
        resolveHost: publicDns,
        readFile: (path) => {
          expect(path).toBe('/run/secrets/pager-webhook');
          return `${SECRET} whsec_${Buffer.alloc(24, 3).toString('base64')}`;
        },
      },
    );
    expect(config.receivers.map((r) => [r.name, r.format, r.signingKeys.count])).toEqual([
      ['ops-slack', 'slack', 0],
      ['pager', 'alertmanager', 2],
      ['facilities', 'native', 1],
    ]);
    expect(config.receivers[0]!.onQueueFull).toBe('dead-letter');
  });

  it('loads the shipped config/alerting.yaml', async () => {
    const config = await loadAlertingConfig(new URL('../../../config/alerting.yaml', import.meta.url).pathname, {
      env: { SINK_SECRET: SECRET },
    });
    expect(config.receivers.map((r) => [r.name, r.format])).toEqual([
      ['demo-sink', 'native'],
      ['oncall-alertmanager', 'alertmanager'],
    ]);
    expect(config.receivers.every((r) => r.signingKeys.count === 1 && r.allowPrivateNetwork)).toBe(true);
  });

  it('refuses a bare number as a duration and bounds every duration, naming the bound', async () => {
    const receiver = (line: string) =>
      ['receivers:', '  - name: hooks', '    url: https://hooks.example.com/', line, 'route: { receiver: hooks }'].join(
        '\n',
      );
    expect(await problems(receiver('    timeout: 5000'))).toEqual([
      'alerting.yaml:4:14 receivers[0].timeout: a bare number is not a duration: got 5000, write it with a unit — ms, s, m, h or d (e.g. 5000s or 5000ms)',
    ]);
    expect(await problems(receiver('    timeout: 1h'))).toEqual([
      'alerting.yaml:4:14 receivers[0].timeout: expected a duration of at most 10m, got 1h',
    ]);
    expect(await problems(receiver('    retry: { maxDelay: 100000000h }'))).toEqual([
      'alerting.yaml:4:24 receivers[0].retry.maxDelay: expected a duration of at most 1d, got 100000000h',
    ]);
    expect(await problems(`${receiver('    concurrency: 0')}\ndedup: { window: 30d }`)).toEqual([
      'alerting.yaml:4:18 receivers[0].concurrency: expected a whole number from 1 to 1024, got 0',
      'alerting.yaml:6:18 dedup.window: expected a duration of at most 7d, got 30d',
    ]);
  });

  it('says what each choice and switch allows', async () => {
    const yaml = [
      'receivers:',
      '  - name: hooks',
      '    url: https://hooks.example.com/',
      '    format: xml',
      '    allowPrivateNetwork: maybe',
      'route:',
      '  receiver: hooks',
      '  routes:',
      '    - match: { status: pending }',
      '      continue: 1',
      '',
    ].join('\n');
    expect(await problems(yaml)).toEqual([
      'alerting.yaml:4:13 receivers[0].format: expected one of native, alertmanager, slack, got "xml"',
      'alerting.yaml:5:26 receivers[0].allowPrivateNetwork: expected true or false, got "maybe"',
      'alerting.yaml:9:24 route.routes[0].match.status: expected FIRING or RESOLVED, or a list of them, got "pending"',
      'alerting.yaml:10:17 route.routes[0].continue: expected true or false, got 1',
    ]);
  });

  it('refuses an invalid glob in a route', async () => {
    const yaml = [
      'receivers:',
      '  - name: hooks',
      '    url: https://hooks.example.com/',
      'route:',
      '  receiver: hooks',
      '  routes:',
      '    - match: { device: "site-[a/**" }',
      '',
    ].join('\n');
    expect(await problems(yaml)).toEqual([
      'alerting.yaml:7:24 route.routes[0].match.device: invalid glob "site-[a/**": "[" at character 6 is never closed by "]" (write "\\[" for a literal bracket)',
    ]);
  });

  it('refuses an alias bomb and an endless secret file with located errors', async () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      bomb.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(', ')}]`);
    }
    await expect(
      parseAlertingConfig(bomb.join('\n'), 'alerting.yaml', { env, resolveHost: publicDns }),
    ).rejects.toThrow(
      'alerting.yaml:2:8: YAML aliases expand more than 100 times (an alias bomb?); write the repeated parts out or use fewer aliases',
    );
    const endless = await problems(
      [
        'receivers:',
        '  - name: hooks',
        '    url: https://hooks.example.com/',
        '    secretFile: /dev/zero',
        'route: { receiver: hooks }',
      ].join('\n'),
    );
    expect(endless).toEqual([
      'alerting.yaml:4:17 receivers[0].secretFile: cannot read secret file /dev/zero: it is a character device, not a regular file',
    ]);
  });
});
