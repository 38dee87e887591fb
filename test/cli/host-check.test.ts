/**
 * `check --active self` on the node: converged routes are not enough, every VIP must also be an address
 * of one of this host's interfaces. The interface list comes through the `networkInterfaces` seam.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NetworkInterfaceInfo } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../cli/core/exit-codes';
import { vipsNotOnHost } from '../../cli/core/host-addresses';
import { vipctl, worldFor } from './harness';

/** A host whose interfaces carry these addresses (lo always has 127.0.0.1). */
function host(...addresses: string[]) {
  const info = (address: string): NetworkInterfaceInfo =>
    address.includes(':')
      ? {
          address,
          netmask: 'ffff:ffff:ffff:ffff::',
          family: 'IPv6',
          mac: '0a:00:00:00:00:01',
          internal: false,
          cidr: null,
          scopeid: 0,
        }
      : {
          address,
          netmask: '255.255.255.0',
          family: 'IPv4',
          mac: '0a:00:00:00:00:01',
          internal: false,
          cidr: null,
        };
  return () => ({
    lo: [info('127.0.0.1')],
    eth0: addresses.map(info),
  });
}

describe('vipsNotOnHost', () => {
  it('finds a VIP on any interface and names the ones on none', () => {
    expect(vipsNotOnHost(['172.16.0.1/32', '172.16.0.2/32'], host('10.1.0.10', '172.16.0.2'))).toEqual([
      '172.16.0.1/32',
    ]);
  });

  it('compares IPv6 addresses in any spelling, ignoring the zone index', () => {
    const interfaces = host('fd00:ec2:0:0:0:0:0:10', 'fe80::1%eth0');

    expect(vipsNotOnHost(['fd00:ec2::10/128', 'FE80::1/128'], interfaces)).toEqual([]);
    expect(vipsNotOnHost(['fd00:ec2::11/128'], interfaces)).toEqual(['fd00:ec2::11/128']);
  });
});

describe('check --active self', () => {
  let imds: Server;
  let env: Record<string, string>;
  beforeAll(async () => {
    imds = createServer((req, res) => {
      if (req.method === 'PUT' && req.url === '/latest/api/token') return res.end('token-1');
      if (req.headers['x-aws-ec2-metadata-token'] !== 'token-1') return res.writeHead(401).end();
      if (req.url === '/latest/meta-data/instance-id') return res.end('i-0b8d3f5a7c9e2b4d6');
      if (req.url === '/latest/meta-data/placement/region') return res.end('ap-southeast-1');
      return res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => imds.listen(0, '127.0.0.1', resolve));
    env = { AWS_EC2_METADATA_SERVICE_ENDPOINT: `http://127.0.0.1:${(imds.address() as AddressInfo).port}` };
  });
  afterAll(() => new Promise<void>((resolve) => imds.close(() => resolve())));

  it('exits 0 when the routes lead here and the VIP is an address of this host', async () => {
    const result = await vipctl(['check', '--active', 'self', '--json'], {
      world: worldFor('server-b'),
      env,
      interfaces: host('10.1.0.10', '172.16.0.1'),
    });

    expect(result.code).toBe(ExitCode.Ok);
    expect(JSON.parse(result.stdout)).toMatchObject({
      active: 'server-b',
      converged: true,
      host: { checked: true, vipsMissing: [] },
    });
  });

  it('reports "routes converged, VIP not on this host" and exits 1 when no interface carries the VIP', async () => {
    const result = await vipctl(['check', '--active', 'self'], {
      world: worldFor('server-b'),
      env,
      interfaces: host('10.1.0.10'),
    });

    expect(result.code).toBe(ExitCode.Failed);
    expect(result.stdout).toContain('routes converged, VIP not on this host: 172.16.0.1/32');
    expect(result.stdout).toContain("Pacemaker's IPaddr2");
  });

  it('does not start a repair for a VIP that only the address resource can add', async () => {
    const result = await vipctl(['check', '--active', 'self', '--repair', '--json'], {
      world: worldFor('server-b'),
      env,
      interfaces: host('10.1.0.10'),
    });

    expect(result.code).toBe(ExitCode.Failed);
    const json = JSON.parse(result.stdout);
    expect(json.host.vipsMissing).toEqual(['172.16.0.1/32']);
    expect(json.repair).toBeUndefined();
  });

  it('reports both wrong routes and the missing VIP when routes lead elsewhere', async () => {
    const result = await vipctl(['check', '--active', 'self'], {
      world: worldFor('server-a'),
      env,
      interfaces: host('10.1.0.10'),
    });

    expect(result.code).toBe(ExitCode.Failed);
    expect(result.stdout).toContain('not converged on server-b');
    expect(result.stdout).toContain('VIP not on this host: 172.16.0.1/32');
  });

  it('--no-host-check leaves the interfaces alone, for monitors that run elsewhere', async () => {
    const result = await vipctl(['check', '--active', 'self', '--no-host-check', '--json'], {
      world: worldFor('server-b'),
      env,
      interfaces: () => {
        throw new Error('the interfaces must not be read');
      },
    });

    expect(result.code).toBe(ExitCode.Ok);
    expect(JSON.parse(result.stdout).host).toEqual({ checked: false, vipsMissing: [] });
  });

  it('a named node is checked from anywhere, without the host check', async () => {
    const result = await vipctl(['check', '--active', 'server-b', '--json'], {
      world: worldFor('server-b'),
      interfaces: host('10.9.9.9'),
    });

    expect(result.code).toBe(ExitCode.Ok);
    expect(JSON.parse(result.stdout).host.checked).toBe(false);
  });
});
