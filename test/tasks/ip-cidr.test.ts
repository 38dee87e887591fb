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
});
