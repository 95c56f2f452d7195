/**
 * Destinations an attacker or a broken resolver can produce, checked at load: an IPv4-translated IPv6
 * address (::ffff:0:7f00:1, RFC 6145) behind a receiver's host name or as its literal host is a located
 * config error (file:line:column, the field, the range), never an uncaught exception; so is a resolver
 * answer that is not an IP address at all.
 */
import { ConfigError } from '@sensor-pipeline/shared';
import { describe, expect, it } from 'vitest';
import { type LoadAlertingConfigOptions, parseAlertingConfig } from '../src/index.js';

const SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
const env = { HOOK_SECRET: SECRET };

function yaml(url: string): string {
  return [
    'receivers:',
    '  - name: hooks',
    `    url: ${url}`,
    '    secret: ${HOOK_SECRET}',
    'route: { receiver: hooks }',
    '',
  ].join('\n');
}

async function loadError(url: string, resolveHost: LoadAlertingConfigOptions['resolveHost']): Promise<ConfigError> {
  try {
    await parseAlertingConfig(yaml(url), 'alerting.yaml', { env, resolveHost });
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('hostile destinations at load', () => {
  it('a host name resolving to an IPv4-translated loopback address is a located config error', async () => {
    const err = await loadError('https://hooks.example.com/alerts', async () => ['::ffff:0:7f00:1']);
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.issues).toHaveLength(1);
    expect(err.issues[0]).toMatchObject({ file: 'alerting.yaml', line: 3, field: 'receivers[0].url' });
    expect(err.message).toMatch(/alerting\.yaml:3:\d+ receivers\[0\]\.url: .*::ffff:0:7f00:1.*loopback/);
  });

  it('the same address as the literal host is a located config error', async () => {
    const err = await loadError('http://[::ffff:0:7f00:1]:8080/alerts', async () => []);
    expect(err.issues[0]).toMatchObject({ line: 3, field: 'receivers[0].url' });
    expect(err.message).toMatch(/loopback/);
  });

  it('NAT64 and translated private addresses are refused the same way', async () => {
    for (const address of ['64:ff9b::a9fe:a9fe', '::ffff:0:a00:5', '64:ff9b:1::808:808']) {
      const err = await loadError('https://hooks.example.com/alerts', async () => [address]);
      expect(err.issues[0]).toMatchObject({ line: 3, field: 'receivers[0].url' });
    }
  });

  it('a resolver answer that is not an IP address is refused, not thrown', async () => {
    const err = await loadError('https://hooks.example.com/alerts', async () => ['not-an-address']);
    expect(err.issues[0]).toMatchObject({ line: 3, field: 'receivers[0].url' });
    expect(err.message).toMatch(/invalid/);
  });
});
