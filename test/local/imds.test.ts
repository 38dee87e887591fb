import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { instanceIdentity, metadataEndpoint } from '../../cli/aws/identity';
import { LocalImds } from '../../local/imds';
import { type LocalAws, startLocalAws } from '../../local/server';
import { loadTopology } from '../../tasks/topology';

const topology = await loadTopology('examples/two-region.yaml');
const serverA = topology.nodes['server-a']!;
const serverB = topology.nodes['server-b']!;

let aws: LocalAws;
beforeAll(async () => {
  aws = await startLocalAws({ topology, port: 0, sfn: false, active: 'server-b' });
});
afterAll(() => aws.close());

const token = async (base: string, ttl = '21600') => {
  const response = await fetch(`${base}/latest/api/token`, {
    method: 'PUT',
    headers: { 'x-aws-ec2-metadata-token-ttl-seconds': ttl },
  });
  return { status: response.status, token: await response.text() };
};
const get = async (url: string, value?: string) => {
  const response = await fetch(url, { headers: value ? { 'x-aws-ec2-metadata-token': value } : {} });
  return { status: response.status, body: await response.text() };
};

describe('IMDSv2', () => {
  it('answers instance-id and region for the active node with a token', async () => {
    const { status, token: value } = await token(aws.url);
    expect(status).toBe(200);
    expect(value.length).toBeGreaterThan(10);
    expect(await get(`${aws.url}/latest/meta-data/instance-id`, value)).toEqual({
      status: 200,
      body: serverB.instance,
    });
    expect(await get(`${aws.url}/latest/meta-data/placement/region`, value)).toEqual({
      status: 200,
      body: 'ap-southeast-1',
    });
  });

  it('refuses metadata without a token, or with an unknown one, with 401', async () => {
    expect((await get(`${aws.url}/latest/meta-data/instance-id`)).status).toBe(401);
    expect((await get(`${aws.url}/latest/meta-data/instance-id`, 'forged')).status).toBe(401);
  });

  it('refuses a token request without a valid TTL with 400', async () => {
    expect((await token(aws.url, '0')).status).toBe(400);
    expect((await token(aws.url, 'soon')).status).toBe(400);
  });

  it('answers for any node under /_imds/<node>/', async () => {
    const base = `${aws.url}/_imds/server-a`;
    const { token: value } = await token(base);
    expect(await get(`${base}/latest/meta-data/instance-id`, value)).toEqual({
      status: 200,
      body: serverA.instance,
    });
    expect(await get(`${base}/latest/meta-data/placement/region`, value)).toEqual({
      status: 200,
      body: 'us-east-1',
    });
  });

  it('switches the self node through the control endpoint', async () => {
    const response = await fetch(`${aws.url}/_local/imds`, {
      method: 'POST',
      body: JSON.stringify({ node: 'server-a' }),
    });
    expect(response.status).toBe(200);
    const { token: value } = await token(aws.url);
    expect((await get(`${aws.url}/latest/meta-data/instance-id`, value)).body).toBe(serverA.instance);
    const unknown = await fetch(`${aws.url}/_local/imds`, {
      method: 'POST',
      body: JSON.stringify({ node: 'nobody' }),
    });
    expect(unknown.status).toBe(400);
  });

  it('expires tokens after their TTL', () => {
    let now = 0;
    const imds = new LocalImds(topology, 'server-a', () => now);
    const issued = imds.handle({
      method: 'PUT',
      path: '/latest/api/token',
      headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '60' },
    });
    const read = () =>
      imds.handle({
        method: 'GET',
        path: '/latest/meta-data/instance-id',
        headers: { 'x-aws-ec2-metadata-token': issued.body },
      }).status;
    expect(read()).toBe(200);
    now += 61_000;
    expect(read()).toBe(401);
  });
});

describe('IMDSv2 paths resource agents read', () => {
  it('serves an aws-vpc-move-ip style read: token, then mac, then interface-id through that MAC', async () => {
    const base = `${aws.url}/_imds/server-b`;
    const { token: value } = await token(base);

    const mac = await get(`${base}/latest/meta-data/mac`, value);
    const eni = await get(`${base}/latest/meta-data/network/interfaces/macs/${mac.body}/interface-id`, value);

    expect(mac.status).toBe(200);
    expect(mac.body).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
    expect(eni).toEqual({ status: 200, body: serverB.eni });
  });

  it('gives each node its own MAC and answers 404 for a MAC that is not the node’s', async () => {
    const macOf = async (node: string) => {
      const base = `${aws.url}/_imds/${node}`;
      const { token: value } = await token(base);
      return { base, value, mac: (await get(`${base}/latest/meta-data/mac`, value)).body };
    };
    const a = await macOf('server-a');
    const b = await macOf('server-b');

    expect(a.mac).not.toBe(b.mac);
    expect(
      (await get(`${a.base}/latest/meta-data/network/interfaces/macs/${b.mac}/interface-id`, a.value)).status,
    ).toBe(404);
    expect(await get(`${a.base}/latest/meta-data/network/interfaces/macs/`, a.value)).toEqual({
      status: 200,
      body: `${a.mac}/`,
    });
  });

  it('serves local-ipv4 and the availability zone that EC2 reports for the instance', async () => {
    const ec2 = new EC2Client({
      region: 'ap-southeast-1',
      endpoint: aws.url,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    const described = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [serverB.instance] }));
    ec2.destroy();
    const instance = described.Reservations?.[0]?.Instances?.[0];
    const base = `${aws.url}/_imds/server-b`;
    const { token: value } = await token(base);

    expect(await get(`${base}/latest/meta-data/local-ipv4`, value)).toEqual({
      status: 200,
      body: instance?.PrivateIpAddress,
    });
    expect(await get(`${base}/latest/meta-data/placement/availability-zone`, value)).toEqual({
      status: 200,
      body: instance?.Placement?.AvailabilityZone,
    });
  });
});

describe('vipctl self through the SDK metadata client (cli/aws/identity.ts)', () => {
  it('reads instance-id and region of a node from local AWS with an IMDSv2 token', async () => {
    const identity = await instanceIdentity({
      AWS_EC2_METADATA_SERVICE_ENDPOINT: `${aws.url}/_imds/server-a`,
    });

    expect(identity).toEqual({ instanceId: serverA.instance, region: 'us-east-1' });
  });

  it('takes the IPv6 endpoint in IPv6 mode unless an endpoint is set, and refuses an unknown mode', () => {
    expect(metadataEndpoint({ AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: 'IPv6' })).toBe(
      'http://[fd00:ec2::254]',
    );
    expect(
      metadataEndpoint({
        AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: 'IPv6',
        AWS_EC2_METADATA_SERVICE_ENDPOINT: aws.url,
      }),
    ).toBe(aws.url);
    expect(metadataEndpoint({ AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: 'ipv4' })).toBeUndefined();
    expect(() => metadataEndpoint({ AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: 'IPv5' })).toThrow(
      /AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE is "IPv5"/,
    );
  });

  it('retries a failing token request on the SDK schedule, and never asks without a token', async () => {
    const seen: string[] = [];
    let failures = 1;
    const flaky = createServer((req, res) => {
      seen.push(`${req.method} ${req.url} ${req.headers['x-aws-ec2-metadata-token'] ? 'token' : 'none'}`);
      if (req.method === 'PUT') {
        if (failures-- > 0) return res.writeHead(500).end();
        return res.end('token-1');
      }
      if (req.headers['x-aws-ec2-metadata-token'] !== 'token-1') return res.writeHead(401).end();
      return res.end(req.url?.endsWith('/instance-id') ? serverB.instance : 'ap-southeast-1');
    });
    await new Promise<void>((resolve) => flaky.listen(0, '127.0.0.1', resolve));
    const sleeps: number[] = [];
    try {
      const identity = await instanceIdentity(
        { AWS_EC2_METADATA_SERVICE_ENDPOINT: `http://127.0.0.1:${(flaky.address() as AddressInfo).port}` },
        { sleep: async (ms) => void sleeps.push(ms) },
      );

      expect(identity).toEqual({ instanceId: serverB.instance, region: 'ap-southeast-1' });
      expect(sleeps).toEqual([1000]);
      expect(seen.filter((s) => s.startsWith('GET')).every((s) => s.endsWith(' token'))).toBe(true);
    } finally {
      await new Promise<void>((resolve) => flaky.close(() => resolve()));
    }
  });

  it('gives up after the SDK retries when nothing answers, as a usage error naming the endpoint', async () => {
    const sleeps: number[] = [];

    const failed = instanceIdentity(
      { AWS_EC2_METADATA_SERVICE_ENDPOINT: 'http://127.0.0.1:9' },
      { sleep: async (ms) => void sleeps.push(ms) },
    );

    await expect(failed).rejects.toThrow(/did not answer at http:\/\/127\.0\.0\.1:9/);
    // Two paths, each tried 4 times (3 retries) with the SDK's 1.2^n s backoff.
    expect(sleeps.sort()).toEqual([1000, 1000, 1200, 1200, 1440, 1440]);
  });
});
