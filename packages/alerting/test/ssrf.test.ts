import type { LookupAddress } from 'node:dns';
import { describe, expect, it } from 'vitest';
import {
  blockedDestination,
  classifyAddress,
  DestinationBlockedError,
  guardedLookup,
  isIpAddress,
  type ResolveAll,
} from '../src/index.js';

describe('classifyAddress', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.8.9.10', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.10.10', 'linkLocal'],
    ['169.254.169.254', 'metadata'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['100.100.100.200', 'metadata'],
    ['0.0.0.0', 'unspecified'],
    ['255.255.255.255', 'broadcast'],
    ['224.0.0.1', 'multicast'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'linkLocal'],
    ['fc00::1', 'uniqueLocal'],
    ['fd00:ec2::254', 'metadata'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:169.254.169.254', 'metadata'],
    ['::ffff:10.0.0.1', 'private'],
    ['64:ff9b::a00:1', 'private'],
    ['2002:7f00:1::', 'loopback'],
    ['[::1]', 'loopback'],
  ])('blocks %s (%s)', (address, range) => {
    expect(classifyAddress(address)).toEqual({ address, range, blocked: true });
  });

  it.each(['8.8.8.8', '1.1.1.1', '93.184.216.34', '2606:4700:4700::1111', '::ffff:8.8.8.8'])(
    'allows public %s',
    (address) => {
      expect(classifyAddress(address).blocked).toBe(false);
    },
  );

  it('throws on host names', () => {
    expect(() => classifyAddress('example.com')).toThrow(TypeError);
    expect(isIpAddress('example.com')).toBe(false);
    expect(isIpAddress('[::1]')).toBe(true);
    expect(isIpAddress('10.0.0.1')).toBe(true);
  });
});

describe('blockedDestination', () => {
  it('checks IP literals directly and every resolved address of a name', async () => {
    expect(await blockedDestination('127.0.0.1')).toMatchObject({ range: 'loopback' });
    expect(await blockedDestination('8.8.8.8')).toBeUndefined();
    expect(await blockedDestination('hooks.example', async () => ['93.184.216.34', '10.0.0.5'])).toMatchObject({
      address: '10.0.0.5',
      range: 'private',
    });
    expect(await blockedDestination('hooks.example', async () => ['93.184.216.34'])).toBeUndefined();
  });
});

describe('guardedLookup', () => {
  const fakeDns =
    (addresses: LookupAddress[]): ResolveAll =>
    (_host, _options, callback) =>
      callback(null, addresses);
  const call = (resolve: ResolveAll, all: boolean) =>
    new Promise<{ err: unknown; address: unknown; family: unknown }>((done) => {
      guardedLookup(resolve)(
        'hooks.example',
        { all } as never,
        ((err: unknown, address: unknown, family: unknown) => done({ err, address, family })) as never,
      );
    });

  it('refuses a name that resolves to a private address (DNS rebinding)', async () => {
    const r = await call(
      fakeDns([
        { address: '93.184.216.34', family: 4 },
        { address: '127.0.0.1', family: 4 },
      ]),
      true,
    );
    expect(r.err).toBeInstanceOf(DestinationBlockedError);
    expect((r.err as DestinationBlockedError).code).toBe('WEBHOOK_DESTINATION_BLOCKED');
    expect((r.err as DestinationBlockedError).retriable).toBe(false);
  });

  it('passes public addresses through in the shape asked for', async () => {
    const addresses = [{ address: '93.184.216.34', family: 4 }];
    expect(await call(fakeDns(addresses), true)).toEqual({ err: null, address: addresses, family: undefined });
    expect(await call(fakeDns(addresses), false)).toEqual({ err: null, address: '93.184.216.34', family: 4 });
  });
});
