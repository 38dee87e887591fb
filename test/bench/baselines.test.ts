import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { awsCliArgs } from '../../bench/aws-cli';
import type { Change } from '../../bench/change';
import { pointAgentAt } from '../../bench/move-ip';
import { startOriginProxy } from '../../bench/origin-proxy';
import { ORIGIN_HEADER } from '../../local/index';

const change = (over: Partial<Change>): Change => ({
  table: 'rtb-0b1d3f5a7c9e2b4d6',
  kind: 'vpc',
  region: 'ap-southeast-1',
  vip: '172.16.0.1/32',
  step: 'local-vpc',
  target: 'eni-0b2e4a6c8f1d3b5e7',
  result: 'applied',
  ...over,
});

describe('AWS CLI baseline commands', () => {
  it('replaces a VPC route towards an ENI or a TGW, in the change region', () => {
    expect(awsCliArgs(change({}))).toEqual([
      'ec2',
      'replace-route',
      '--region',
      'ap-southeast-1',
      '--route-table-id',
      'rtb-0b1d3f5a7c9e2b4d6',
      '--destination-cidr-block',
      '172.16.0.1/32',
      '--network-interface-id',
      'eni-0b2e4a6c8f1d3b5e7',
    ]);
    expect(awsCliArgs(change({ region: 'us-east-1', target: 'tgw-0a9b8c7d6e5f4a3b2' })).slice(-2)).toEqual([
      '--transit-gateway-id',
      'tgw-0a9b8c7d6e5f4a3b2',
    ]);
  });

  it('names an IPv6 VIP of a VPC table as its IPv6 destination', () => {
    expect(awsCliArgs(change({ vip: 'fd00:ec2::10/128' })).slice(6, 8)).toEqual([
      '--destination-ipv6-cidr-block',
      'fd00:ec2::10/128',
    ]);
  });

  it('replaces a TGW route towards an attachment', () => {
    expect(
      awsCliArgs(
        change({ kind: 'tgw', table: 'tgw-rtb-0b1c2d3e4f5a6b7c8', target: 'tgw-attach-0b6d8f1a3c5e7b9d4' }),
      ),
    ).toEqual([
      'ec2',
      'replace-transit-gateway-route',
      '--region',
      'ap-southeast-1',
      '--transit-gateway-route-table-id',
      'tgw-rtb-0b1c2d3e4f5a6b7c8',
      '--destination-cidr-block',
      '172.16.0.1/32',
      '--transit-gateway-attachment-id',
      'tgw-attach-0b6d8f1a3c5e7b9d4',
    ]);
  });
});

describe('aws-vpc-move-ip, pointed at local AWS', () => {
  it('replaces every metadata address of the agent and nothing else', () => {
    const agent = [
      'TOKEN=$(curl -sX PUT "http://169.254.169.254/latest/api/token")',
      'curl -s http://169.254.169.254/latest/meta-data/instance-id',
      'echo 169.254.169.254 stays',
    ].join('\n');

    expect(pointAgentAt(agent, 'http://127.0.0.1:4566/_imds/server-b')).toBe(
      [
        'TOKEN=$(curl -sX PUT "http://127.0.0.1:4566/_imds/server-b/latest/api/token")',
        'curl -s http://127.0.0.1:4566/_imds/server-b/latest/meta-data/instance-id',
        'echo 169.254.169.254 stays',
      ].join('\n'),
    );
  });

  it('refuses an agent without the address, so a changed agent is never run half-pointed', () => {
    expect(() => pointAgentAt('curl -s http://metadata/latest', 'http://127.0.0.1:1')).toThrow(
      /has no http:\/\/169\.254\.169\.254/,
    );
  });
});

describe('the ip stub', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ip-stub-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const env = {
    PATH: '/usr/bin:/bin',
    BENCH_IP_LOG: join(dir, 'log'),
    BENCH_IP_STATE: join(dir, 'state'),
    BENCH_IP_MAC: '02:aa:bb:cc:dd:ee',
  };
  const ip = (...args: string[]) =>
    spawnSync('sh', ['bench/ip-stub.sh', ...args], { env, encoding: 'utf8', cwd: join(__dirname, '../..') });

  it('answers as the agent expects and records every command', () => {
    expect(ip('-br', 'link', 'show', 'dev', 'vipbench0').stdout.trim().split(/\s+/)[2]).toBe(
      '02:aa:bb:cc:dd:ee',
    );
    expect(ip('addr', 'show', 'to', '172.16.0.1', 'up').stdout).toBe('');
    expect(ip('addr', 'delete', '172.16.0.1/32', 'dev', 'vipbench0').status).toBe(2);
    expect(ip('addr', 'add', '172.16.0.1/32', 'dev', 'vipbench0').status).toBe(0);
    expect(ip('addr', 'show', 'to', '172.16.0.1', 'up').stdout).toContain('inet 172.16.0.1/32');
    expect(ip('link', 'set', 'eth0', 'down').status).toBe(1);

    expect(readFileSync(env.BENCH_IP_LOG, 'utf8').trim().split('\n')).toHaveLength(6);
  });
});

describe('the origin proxy', () => {
  it("stamps each request with the client's region and sends it upstream on a connection of its own", async () => {
    const sockets = new Set<unknown>();
    const upstream = http.createServer((request, response) => {
      sockets.add(request.socket);
      response.end(JSON.stringify({ origin: request.headers[ORIGIN_HEADER], body: request.method }));
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const proxy = await startOriginProxy(
      `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`,
      'ap-southeast-1',
    );
    try {
      const agent = new http.Agent({ keepAlive: true });
      const get = () =>
        new Promise<string>((resolve, reject) =>
          http
            .get(`${proxy.url}/`, { agent }, (response) => {
              let text = '';
              response.on('data', (chunk) => {
                text += chunk;
              });
              response.on('end', () => resolve(text));
            })
            .on('error', reject),
        );

      expect(JSON.parse(await get())).toEqual({ origin: 'ap-southeast-1', body: 'GET' });
      await get();
      agent.destroy();

      // Two requests on one client connection reach local AWS on two connections (two TLS set-ups).
      expect(sockets.size).toBe(2);
    } finally {
      await proxy.close();
      upstream.closeAllConnections();
      await new Promise((resolve) => upstream.close(resolve));
    }
  });
});
