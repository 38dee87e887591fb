import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
