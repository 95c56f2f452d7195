/**
 * A `lookup` for sockets (undici's `connect.lookup`) that resolves the host itself and refuses to connect
 * when any of its addresses is not public. The connection then uses exactly the addresses that were
 * checked, so DNS rebinding (public at config time, 127.0.0.1 at send time) cannot slip past the guard.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { classifyAddress } from './classify-address.js';
import { DestinationBlockedError } from './destination-blocked-error.js';

export type ResolveAll = (
  hostname: string,
  options: LookupAllOptions,
  callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

export function guardedLookup(resolveAll: ResolveAll = dnsLookup as unknown as ResolveAll): LookupFunction {
  return (hostname, options, callback) => {
    resolveAll(hostname, { ...options, all: true }, (err, addresses) => {
      const reply = callback as unknown as (
        err: NodeJS.ErrnoException | null,
        address: string | LookupAddress[],
        family?: number,
      ) => void;
      if (err) return reply(err, '', 0);
      for (const entry of addresses) {
        const verdict = classifyAddress(entry.address);
        if (verdict.blocked)
          return reply(new DestinationBlockedError(hostname, verdict) as unknown as NodeJS.ErrnoException, '', 0);
      }
      if ((options as { all?: boolean }).all) return reply(null, addresses);
      const first = addresses[0];
      if (!first) return reply(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), '', 0);
      return reply(null, first.address, first.family);
    });
  };
}
