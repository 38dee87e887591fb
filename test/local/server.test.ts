import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeVpcsCommand, EC2Client, ReplaceRouteCommand } from '@aws-sdk/client-ec2';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_CREDENTIALS } from '../../local/iam/principals';
import { startLocalAws } from '../../local/server';
import { loadTopology } from '../../tasks/topology';

const VIP = '172.16.0.1/32';
const topology = await loadTopology('examples/two-region.yaml');
const vpcB = topology.vpcs['vpc-b']!;
const tgwB = topology.transitGateways['tgw-b']!;
// Local AWS's own behaviour, not IAM's: an administrator, whom IAM does not evaluate.
const credentials = ADMIN_CREDENTIALS;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'local-aws-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('local AWS server', () => {
  it('serves STS GetCallerIdentity with the topology account', async () => {
    const aws = await startLocalAws({ topology, port: 0, sfn: false });
    const sts = new STSClient({ region: 'us-east-1', endpoint: aws.url, credentials });
    try {
      const identity = await sts.send(new GetCallerIdentityCommand({}));
      expect(identity).toMatchObject({
        Account: '123456789012',
        Arn: 'arn:aws:iam::123456789012:user/local-admin',
      });
    } finally {
      sts.destroy();
      await aws.close();
    }
  });

  it('uses the account option over the topology account', async () => {
    const aws = await startLocalAws({ topology, port: 0, sfn: false, account: '210987654321' });
    const sts = new STSClient({ region: 'us-east-1', endpoint: aws.url, credentials });
    try {
      expect((await sts.send(new GetCallerIdentityCommand({}))).Account).toBe('210987654321');
    } finally {
      sts.destroy();
      await aws.close();
    }
  });

  it('binds to 127.0.0.1 only', async () => {
    const aws = await startLocalAws({ topology, port: 0, sfn: false });
    try {
      expect(aws.url).toBe(`http://127.0.0.1:${aws.port}`);
    } finally {
      await aws.close();
    }
  });

  it('round-trips the world through the state file', async () => {
    const statePath = join(dir, 'state.json');
    const first = await startLocalAws({ topology, port: 0, sfn: false, statePath, active: 'server-b' });
    const ec2 = new EC2Client({ region: 'ap-southeast-1', endpoint: first.url, credentials, maxAttempts: 1 });
    await ec2.send(
      new ReplaceRouteCommand({
        RouteTableId: vpcB.routeTables[0]!,
        DestinationCidrBlock: VIP,
        TransitGatewayId: tgwB.id,
      }),
    );
    ec2.destroy();
    await first.close();
    const saved = JSON.parse(await readFile(statePath, 'utf8'));
    expect(saved.version).toBe(1);

    const second = await startLocalAws({ topology, port: 0, sfn: false, statePath, active: 'server-b' });
    try {
      expect(second.world.findRoute('ap-southeast-1', vpcB.routeTables[0]!, VIP)?.target).toBe(tgwB.id);
      expect(second.world.allRoutes()).toEqual(first.world.allRoutes());
    } finally {
      await second.close();
    }
  });

  it('serves no EC2 and seeds nothing in external EC2 mode', async () => {
    const aws = await startLocalAws({ topology, port: 0, sfn: false, ec2Endpoint: 'http://127.0.0.1:1' });
    const ec2 = new EC2Client({ region: 'us-east-1', endpoint: aws.url, credentials, maxAttempts: 1 });
    try {
      expect(aws.world.allRoutes()).toEqual([]);
      await expect(ec2.send(new DescribeVpcsCommand({}))).rejects.toMatchObject({ name: 'InvalidAction' });
    } finally {
      ec2.destroy();
      await aws.close();
    }
  });

  it('resets drift and models through the control endpoint', async () => {
    const aws = await startLocalAws({ topology, port: 0, sfn: false, active: 'server-b' });
    try {
      const post = (path: string, body: unknown) =>
        fetch(`${aws.url}${path}`, { method: 'POST', body: JSON.stringify(body) });
      const drift = await post('/_local/routes', {
        region: 'ap-southeast-1',
        table: vpcB.routeTables[0],
        destination: VIP,
        target: tgwB.id,
      });
      expect(drift.status).toBe(200);
      expect(aws.world.findRoute('ap-southeast-1', vpcB.routeTables[0]!, VIP)?.target).toBe(tgwB.id);
      expect((await post('/_local/models', { profile: 'realistic' })).status).toBe(200);
      expect(aws.models.latencyMs('us-east-1')).toBe(80);
      expect((await post('/_local/models', { latency: { withinRegionMs: 'fast' } })).status).toBe(400);
      expect((await post('/_local/outage', { region: 'us-east-1' })).status).toBe(200);
      expect(aws.models.isDown('us-east-1')).toBe(true);
      expect((await post('/_local/reset', {})).status).toBe(200);
      expect(aws.world.findRoute('ap-southeast-1', vpcB.routeTables[0]!, VIP)?.target).toBe(
        topology.nodes['server-b']!.eni,
      );
      expect(aws.models.latencyMs('us-east-1')).toBe(0);
      expect(aws.models.isDown('us-east-1')).toBe(false);
      const stats = await (await fetch(`${aws.url}/_local/stats`)).json();
      expect(stats).toMatchObject({ writes: 0, throttled: 0 });
      const routes = (await (await fetch(`${aws.url}/_local/routes`)).json()) as unknown[];
      expect(routes).toEqual(JSON.parse(JSON.stringify(aws.world.allRoutes())));
    } finally {
      await aws.close();
    }
  });
});
