/**
 * The SSRF guard's verdict on one IP address, pure: only public unicast addresses are allowed; loopback,
 * private (RFC 1918), link-local, unique-local (fc00::/7), unspecified, carrier-grade NAT (100.64/10),
 * cloud metadata (169.254.169.254, fd00:ec2::254), multicast, broadcast and reserved ranges are blocked.
 * IPv6 forms that embed an IPv4 address (IPv4-mapped ::ffff:a.b.c.d, IPv4-translated ::ffff:0:a.b.c.d
 * (RFC 6145), NAT64 64:ff9b::/96 (RFC 6052), 6to4 2002::/16, deprecated IPv4-compatible ::a.b.c.d) are
 * judged by the embedded IPv4 address, so `::ffff:127.0.0.1` or `::ffff:0:7f00:1` cannot slip through; the
 * local-use NAT64 prefix 64:ff9b:1::/48 (RFC 8215) is internal by definition and refused.
 *
 * Never throws: anything that is not an IP address, or that cannot be judged, is refused as `invalid`.
 * DNS answers are untrusted input, and a guard that throws inside a socket's lookup crashes the process.
 */
import ipaddr from 'ipaddr.js';

export interface AddressVerdict {
  readonly address: string;
  /** ipaddr.js range name (`loopback`, `private`, `linkLocal`, ...), `metadata`, or `unicast` when public. */
  readonly range: string;
  readonly blocked: boolean;
}

const METADATA = new Set(['169.254.169.254', 'fd00:ec2::254', '100.100.100.200']);
/** Ranges that are fine to call: public unicast. Everything else is refused unless the receiver allows it. */
const ALLOWED_RANGES = new Set(['unicast']);

/** The verdict on `address`; `{ range: 'invalid', blocked: true }` when it is not an IP address. */
export function classifyAddress(address: string): AddressVerdict {
  try {
    return judge(address);
  } catch {
    return { address: String(address), range: 'invalid', blocked: true };
  }
}

function judge(address: string): AddressVerdict {
  if (typeof address !== 'string') return { address: String(address), range: 'invalid', blocked: true };
  const text = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  const bare = text.includes('%') ? text.slice(0, text.indexOf('%')) : text;
  if (!ipaddr.isValid(bare)) return { address, range: 'invalid', blocked: true };
  let ip = ipaddr.parse(bare);
  if (ip.kind() === 'ipv6') {
    const embedded = embeddedIPv4(ip as ipaddr.IPv6);
    if (embedded) ip = embedded;
  }
  const normalized = ip.toNormalizedString();
  const canonical = ip.kind() === 'ipv6' ? ip.toString() : normalized;
  if (METADATA.has(canonical) || METADATA.has(normalized)) return { address, range: 'metadata', blocked: true };
  const range = ip.range();
  return { address, range, blocked: !ALLOWED_RANGES.has(range) };
}

/** True for strings that are IP addresses (as opposed to host names), brackets allowed for IPv6. */
export function isIpAddress(host: string): boolean {
  const text = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  return ipaddr.isValid(text) && (ipaddr.IPv4.isValidFourPartDecimal(text) || ipaddr.IPv6.isValid(text));
}

function embeddedIPv4(ip: ipaddr.IPv6): ipaddr.IPv4 | undefined {
  const range = ip.range();
  const parts = ip.parts;
  const fromParts = (high: number, low: number): ipaddr.IPv4 =>
    new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);
  // ::ffff:a.b.c.d (mapped) and ::ffff:0:a.b.c.d (translated): the last 32 bits
  if (range === 'ipv4Mapped' || range === 'rfc6145') return fromParts(parts[6]!, parts[7]!);
  // 64:ff9b::a.b.c.d, the well-known NAT64 prefix (/96): the last 32 bits; 64:ff9b:1::/48 stays rfc6052
  if (range === 'rfc6052' && parts[2] === 0) return fromParts(parts[6]!, parts[7]!);
  if (range === '6to4') return fromParts(parts[1]!, parts[2]!);
  // ::a.b.c.d (deprecated IPv4-compatible) — treat like mapped
  if (parts.slice(0, 6).every((p) => p === 0) && (parts[6]! !== 0 || parts[7]! > 1)) {
    return fromParts(parts[6]!, parts[7]!);
  }
  return undefined;
}
