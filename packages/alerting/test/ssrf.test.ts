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

  it.each([
    ['::ffff:0:7f00:1', 'loopback'], // IPv4-translated (RFC 6145) 127.0.0.1
    ['::ffff:0:127.0.0.1', 'loopback'],
    ['::ffff:0:a00:1', 'private'],
    ['::ffff:0:a9fe:a9fe', 'metadata'],
    ['64:ff9b::7f00:1', 'loopback'], // NAT64 well-known prefix (RFC 6052)
    ['64:ff9b::a9fe:a9fe', 'metadata'],
    ['64:ff9b:1::808:808', 'rfc6052'], // local-use NAT64 (RFC 8215): internal by definition
    ['::7f00:1', 'loopback'], // deprecated IPv4-compatible
    ['2001::1', 'teredo'],
  ])('judges %s by what it embeds (%s)', (address, range) => {
    expect(classifyAddress(address)).toEqual({ address, range, blocked: true });
  });

  it.each(['::ffff:0:808:808', '64:ff9b::808:808'])('allows a public IPv4 address behind %s', (address) => {
    expect(classifyAddress(address).blocked).toBe(false);
  });

  it('never throws: host names and garbage are refused as invalid', () => {
    for (const junk of ['example.com', '', '[', '1.2.3.4.5', '::1::1', undefined, null, 42]) {
      expect(classifyAddress(junk as string)).toMatchObject({ range: 'invalid', blocked: true });
    }
    expect(isIpAddress('example.com')).toBe(false);
    expect(isIpAddress('[::1]')).toBe(true);
    expect(isIpAddress('10.0.0.1')).toBe(true);
  });
});

describe('blockedDestination', () => {
  it('checks IP literals directly and every resolved address of a name', async () => {
    expect(await blockedDestination('127.0.0.1')).toMatchObject({ range: 'loopback' });
    expect(await blockedDestination('8.8.8.8')).toBeUndefined();
    // as a URL gives it: the IPv4-translated form of 127.0.0.1, in brackets
    expect(await blockedDestination(new URL('http://[::ffff:0:7f00:1]:9000/').hostname)).toMatchObject({
      range: 'loopback',
    });
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

  it('refuses a name that resolves to an IPv4-translated loopback address, without throwing', async () => {
    const r = await call(fakeDns([{ address: '::ffff:0:7f00:1', family: 6 }]), false);
    expect(r.err).toBeInstanceOf(DestinationBlockedError);
    expect((r.err as DestinationBlockedError).verdict).toMatchObject({ range: 'loopback', blocked: true });
  });

  it('refuses instead of throwing when the resolver throws or answers garbage', async () => {
    const throwing: ResolveAll = () => {
      throw new Error('resolver exploded');
    };
    const garbage = [
      throwing,
      ((_h, _o, cb) => cb(null, 'not a list' as never)) as ResolveAll,
      ((_h, _o, cb) => cb(null, [{ address: 'not-an-ip', family: 4 }])) as ResolveAll,
      ((_h, _o, cb) => cb(null, [null as never])) as ResolveAll,
    ];
    for (const resolve of garbage) {
      const r = await call(resolve, true);
      expect(r.err).toBeInstanceOf(DestinationBlockedError);
      expect((r.err as DestinationBlockedError).code).toBe('WEBHOOK_DESTINATION_BLOCKED');
    }
  });

  it('passes DNS failures on as they are (a network error, retried)', async () => {
    const failing: ResolveAll = (_h, _o, cb) => cb(Object.assign(new Error('nope'), { code: 'ENOTFOUND' }), []);
    const r = await call(failing, true);
    expect((r.err as NodeJS.ErrnoException).code).toBe('ENOTFOUND');
  });

  it('passes public addresses through in the shape asked for', async () => {
    const addresses = [{ address: '93.184.216.34', family: 4 }];
    expect(await call(fakeDns(addresses), true)).toEqual({ err: null, address: addresses, family: undefined });
    expect(await call(fakeDns(addresses), false)).toEqual({ err: null, address: '93.184.216.34', family: 4 });
  });
});
