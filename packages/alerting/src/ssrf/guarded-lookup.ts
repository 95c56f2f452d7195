/**
 * A `lookup` for sockets (undici's `connect.lookup`) that resolves the host itself and refuses to connect
 * when any of its addresses is not public. The connection then uses exactly the addresses that were
 * checked, so DNS rebinding (public at config time, 127.0.0.1 at send time) cannot slip past the guard.
 *
 * It never throws: it runs inside the socket's DNS callback, where an exception would be uncaught and stop
 * the process. A DNS failure is passed on as such (a network error, retried); anything else that goes wrong
 * while resolving or judging the answer — a resolver that throws, an answer that is not a list of IP
 * addresses, an address that cannot be classified — refuses the destination (`WEBHOOK_DESTINATION_BLOCKED`).
 */
import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { type AddressVerdict, classifyAddress } from './classify-address.js';
import { DestinationBlockedError } from './destination-blocked-error.js';

export type ResolveAll = (
  hostname: string,
  options: LookupAllOptions,
  callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

type Reply = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

export function guardedLookup(resolveAll: ResolveAll = dnsLookup as unknown as ResolveAll): LookupFunction {
  return (hostname, options, callback) => {
    const reply = callback as unknown as Reply;
    let answered = false;
    const once: Reply = (err, address, family) => {
      if (answered) return;
      answered = true;
      reply(err, address, family);
    };
    const refuse = (verdict: AddressVerdict): void =>
      once(new DestinationBlockedError(hostname, verdict) as unknown as NodeJS.ErrnoException, '', 0);
    try {
      resolveAll(hostname, { ...options, all: true }, (err, addresses) => {
        try {
          if (err) return once(err, '', 0);
          if (!Array.isArray(addresses)) return refuse({ address: String(addresses), range: 'invalid', blocked: true });
          for (const entry of addresses) {
            const verdict = classifyAddress((entry as LookupAddress | undefined)?.address as string);
            if (verdict.blocked) return refuse(verdict);
          }
          if ((options as { all?: boolean }).all) return once(null, addresses);
          const first = addresses[0];
          if (!first) return once(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), '', 0);
          return once(null, first.address, first.family);
        } catch (caught) {
          return refuse({ address: describe(caught), range: 'invalid', blocked: true });
        }
      });
    } catch (caught) {
      refuse({ address: describe(caught), range: 'invalid', blocked: true });
    }
  };
}

function describe(err: unknown): string {
  return `(lookup failed: ${(err as Error | undefined)?.message ?? String(err)})`;
}
