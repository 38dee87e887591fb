import { describe, expect, it } from 'vitest';
import { canonicalCidr, overlaps, parseCidr } from '../../tasks/ip-cidr';

describe('parseCidr', () => {
  it('reads an IPv6 /128 and an IPv6 network with their canonical network address', () => {
    expect(parseCidr('fd00:172:16::1/128')).toMatchObject({
      family: 6,
      prefix: 128,
      network: 'fd00:172:16::1',
    });
    expect(parseCidr('2600:1f18:abcd:12ff::1/56')).toMatchObject({
      family: 6,
      network: '2600:1f18:abcd:1200::',
      hostBits: true,
    });
  });

  it('reads IPv4 as before and refuses what is neither family', () => {
    expect(parseCidr('10.1.2.3/16')).toMatchObject({ family: 4, network: '10.1.0.0', hostBits: true });
    expect(parseCidr('fd00::1::2/128')).toBeUndefined();
    expect(parseCidr('fd00::1/129')).toBeUndefined();
    expect(parseCidr('10.0.0.1')).toBeUndefined();
  });
});

describe('overlaps', () => {
  const cidr = (text: string) => parseCidr(text) ?? expect.unreachable(text);

  it('finds a /128 inside a /56 and none across families', () => {
    expect(overlaps(cidr('2600:1f18:abcd:12ab::5/128'), cidr('2600:1f18:abcd:1200::/56'))).toBe(true);
    expect(overlaps(cidr('2600:1f18:abcd:1300::5/128'), cidr('2600:1f18:abcd:1200::/56'))).toBe(false);
    expect(overlaps(cidr('::a00:1/128'), cidr('10.0.0.0/8'))).toBe(false);
  });
});

describe('canonicalCidr', () => {
  it('compresses and lower-cases IPv6 and leaves IPv4 alone', () => {
    expect(canonicalCidr('FD00:0172:0016:0:0:0:0:1/128')).toBe('fd00:172:16::1/128');
    expect(canonicalCidr('172.16.0.1/32')).toBe('172.16.0.1/32');
  });

  // The canonical text form of RFC 5952 (https://www.rfc-editor.org/rfc/rfc5952#section-4), written out
  // by hand: leading zeros dropped, lower case, the longest run of two or more zero groups as `::` (the
  // first of equal runs), never a single zero group.
  it.each([
    ['2001:DB8::1/128', '2001:db8::1/128'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001/128', '2001:db8::1/128'],
    ['2001:db8::0:1/128', '2001:db8::1/128'],
    ['2001:db8:0:0:1:0:0:1/128', '2001:db8::1:0:0:1/128'],
    ['2001:db8:0:1:0:0:0:1/128', '2001:db8:0:1::1/128'],
    ['2001:db8:0:1:1:1:1:1/128', '2001:db8:0:1:1:1:1:1/128'],
    ['2001:db8:0:0:0:0:0:0/128', '2001:db8::/128'],
    ['0:0:0:0:0:0:0:1/128', '::1/128'],
    ['::/0', '::/0'],
    ['fd00::1/128', 'fd00::1/128'],
    // IPv4-mapped: one hexadecimal spelling (RFC 5952 section 5 would print ::ffff:192.0.2.1); what the
    // comparison of routes needs is one spelling per address, and both forms give the same one.
    ['::ffff:192.0.2.1/128', '::ffff:c000:201/128'],
    ['::FFFF:C000:0201/128', '::ffff:c000:201/128'],
    // Not an address: returned as given.
    ['2001:db8::1::2/128', '2001:db8::1::2/128'],
    ['not-a-cidr', 'not-a-cidr'],
  ])('%s is %s', (form, canonical) => {
    expect(canonicalCidr(form)).toBe(canonical);
  });
});
