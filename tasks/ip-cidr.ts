/**
 * IPv4 and IPv6 CIDRs, pure: parsing, the canonical spelling of an IPv6 address, containment and
 * overlap. Both families are numbers (bigint) so one comparison serves both.
 */
import { isIPv4, isIPv6 } from 'node:net';

export type Family = 4 | 6;

export interface Cidr {
  readonly family: Family;
  /** The network address as a number. */
  readonly base: bigint;
  readonly prefix: number;
  /** The network address as text, canonical (IPv6: RFC 5952 compressed, lower case). */
  readonly network: string;
  /** True when the given address had bits set beyond the prefix (`10.1.2.3/16`). */
  readonly hostBits: boolean;
}

const WIDTH: Record<Family, number> = { 4: 32, 6: 128 };

/** The family of a CIDR or address by its spelling: anything with a colon is IPv6. */
export const familyOf = (cidrOrAddress: string): Family => (cidrOrAddress.includes(':') ? 6 : 4);

/**
 * The canonical text of an IPv6 address: compressed and lower case, as the WHATWG URL host serializer
 * writes it (RFC 5952 section 4). Undefined when `address` is not an IPv6 address.
 */
export function canonicalIpv6(address: string): string | undefined {
  if (!isIPv6(address)) return undefined;
  try {
    return new URL(`http://[${address}]/`).hostname.slice(1, -1);
  } catch {
    return undefined;
  }
}

function ipv4Value(address: string): bigint {
  return address.split('.').reduce((n, octet) => n * 256n + BigInt(Number(octet)), 0n);
}

function ipv6Value(canonical: string): bigint {
  // The canonical form has no embedded IPv4 tail and at most one `::`.
  const [head = '', tail] = canonical.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...zeros, ...right].reduce((n, hextet) => n * 65536n + BigInt(`0x${hextet}`), 0n);
}

function ipv4Text(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 255n)).join('.');
}

function ipv6Text(value: bigint): string {
  const hextets = [112n, 96n, 80n, 64n, 48n, 32n, 16n, 0n].map((shift) =>
    ((value >> shift) & 0xffffn).toString(16),
  );
  return canonicalIpv6(hextets.join(':')) ?? hextets.join(':');
}

/** Parses `a.b.c.d/n` or `<ipv6>/n`; undefined when it is neither. */
export function parseCidr(cidr: string): Cidr | undefined {
  const slash = cidr.lastIndexOf('/');
  if (slash < 0) return undefined;
  const address = cidr.slice(0, slash);
  const bits = cidr.slice(slash + 1);
  if (!/^\d{1,3}$/.test(bits)) return undefined;
  const prefix = Number(bits);
  let family: Family;
  let value: bigint;
  if (isIPv4(address)) {
    family = 4;
    value = ipv4Value(address);
  } else {
    const canonical = canonicalIpv6(address);
    if (canonical === undefined) return undefined;
    family = 6;
    value = ipv6Value(canonical);
  }
  const width = WIDTH[family];
  if (prefix > width) return undefined;
  const hostMask = (1n << BigInt(width - prefix)) - 1n;
  const base = value & ~hostMask;
  return {
    family,
    base,
    prefix,
    network: family === 4 ? ipv4Text(base) : ipv6Text(base),
    hostBits: base !== value,
  };
}

/** Whether two CIDRs of the same family share an address (different families never do). */
export function overlaps(a: Cidr, b: Cidr): boolean {
  if (a.family !== b.family) return false;
  const width = WIDTH[a.family];
  const end = (c: Cidr) => c.base + (1n << BigInt(width - c.prefix));
  return a.base < end(b) && b.base < end(a);
}

/**
 * The canonical spelling of a CIDR: IPv6 addresses compressed and lower case, IPv4 as given. AWS
 * reports IPv6 route destinations in one spelling; comparing canonical forms keeps `FD00:0::1/128`
 * and `fd00::1/128` the same route. Returns the input unchanged when it is not a CIDR.
 */
export function canonicalCidr(cidr: string): string {
  const slash = cidr.lastIndexOf('/');
  if (slash < 0 || familyOf(cidr) === 4) return cidr;
  const address = canonicalIpv6(cidr.slice(0, slash));
  return address === undefined ? cidr : `${address}${cidr.slice(slash)}`;
}
