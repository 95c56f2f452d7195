/**
 * The SSRF guard's verdict on one IP address, pure: only public unicast addresses are allowed; loopback,
 * private (RFC 1918), link-local, unique-local (fc00::/7), unspecified, carrier-grade NAT (100.64/10),
 * cloud metadata (169.254.169.254, fd00:ec2::254), multicast, broadcast and reserved ranges are blocked.
 * IPv6 forms that embed an IPv4 address (IPv4-mapped ::ffff:a.b.c.d, NAT64 64:ff9b::/96, 6to4 2002::/16)
 * are judged by the embedded IPv4 address, so `::ffff:127.0.0.1` cannot slip through.
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

/** Throws a TypeError when `address` is not an IP address. */
export function classifyAddress(address: string): AddressVerdict {
  const text = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  if (!ipaddr.isValid(text)) throw new TypeError(`not an IP address: ${address}`);
  let ip = ipaddr.parse(text.includes('%') ? text.slice(0, text.indexOf('%')) : text);
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
  if (range === 'ipv4Mapped' || range === 'rfc6145') return ip.toIPv4Address();
  if (range === 'rfc6052')
    return ipaddr.IPv4.parse(`${parts[6]! >> 8}.${parts[6]! & 0xff}.${parts[7]! >> 8}.${parts[7]! & 0xff}`);
  if (range === '6to4')
    return ipaddr.IPv4.parse(`${parts[1]! >> 8}.${parts[1]! & 0xff}.${parts[2]! >> 8}.${parts[2]! & 0xff}`);
  // ::a.b.c.d (deprecated IPv4-compatible) — treat like mapped
  if (parts.slice(0, 6).every((p) => p === 0) && (parts[6]! !== 0 || parts[7]! > 1)) {
    return ipaddr.IPv4.parse(`${parts[6]! >> 8}.${parts[6]! & 0xff}.${parts[7]! >> 8}.${parts[7]! & 0xff}`);
  }
  return undefined;
}
