/**
 * Checks a webhook URL against the SSRF guard before any request: an IP-literal host is classified at
 * once; a host name is resolved (all addresses) and refused if any address is not public. Used at config
 * load (so a bad destination stops the process with file and line) and before each send for IP literals,
 * which sockets connect to without a lookup. Host names are re-checked at connect time by `guardedLookup`.
 */
import { lookup } from 'node:dns/promises';
import { type AddressVerdict, classifyAddress, isIpAddress } from './classify-address.js';

export type ResolveHost = (hostname: string) => Promise<readonly string[]>;

export const resolveHostAddresses: ResolveHost = async (hostname) =>
  (await lookup(hostname, { all: true, verbatim: true })).map((a) => a.address);

/** The first blocked verdict for an IP-literal host, `undefined` when it is public or not an IP. */
export function blockedLiteral(hostname: string): AddressVerdict | undefined {
  if (!isIpAddress(hostname)) return undefined;
  const verdict = classifyAddress(hostname);
  return verdict.blocked ? verdict : undefined;
}

/** The first blocked address of `hostname` (resolving names), `undefined` when all are public. */
export async function blockedDestination(
  hostname: string,
  resolve: ResolveHost = resolveHostAddresses,
): Promise<AddressVerdict | undefined> {
  if (isIpAddress(hostname)) return blockedLiteral(hostname);
  const addresses = await resolve(hostname);
  for (const address of addresses) {
    const verdict = classifyAddress(address);
    if (verdict.blocked) return verdict;
  }
  return undefined;
}
