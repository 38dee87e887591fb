/**
 * A cluster across three accounts (examples/multi-account.yaml) on local AWS: the task function stays in
 * the home account and writes the network account's TGW tables and the clients account's VPC table
 * through their access roles. Every write lands in the owning account's own state, which the reference
 * walker reads account by account; a write with the home account's credentials is refused; without an
 * access role a failover stops with RouteUpdateFailed and a drill is NOT READY, both naming the account
 * and its tables.
 */

import {
  CreateTransitGatewayRouteCommand,
  DescribeRouteTablesCommand,
  DescribeTransitGatewaysCommand,
  EC2Client,
  ReplaceTransitGatewayRouteCommand,
} from '@aws-sdk/client-ec2';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_ENVIRONMENT, TASK_ROLE_ACCESS_KEY } from '../../local/iam/principals';
import {
  fetchWorld,
  misplacedRoutes,
  readOwnersFile,
  readTopologyFile,
  unreachedFrom,
} from '../oracle/route-walker';
import { readAccountRoutesAs } from './account-routes';
import { type Cluster, ROOT, startCluster } from './harness';

const CONFIG = `${ROOT}examples/multi-account.yaml`;
const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' } as const;
const VIP = '172.16.0.1/32';
const TGW_RTB_A = 'tgw-rtb-0a1b2c3d4e5f6a7b8';
const RTB_C = 'rtb-0c1e3a5c7e9b2d4f6';
const NETWORK_ROLE = 'arn:aws:iam::222222222222:role/vip-failover-orders-db';
const CLIENTS_ROLE = 'arn:aws:iam::333333333333:role/vip-failover-orders-db';

let cluster: Cluster;
const walker = readTopologyFile(CONFIG);
const owners = readOwnersFile(CONFIG);

beforeAll(async () => {
  cluster = await startCluster({ config: CONFIG });
});
afterAll(async () => {
  await cluster?.close();
});

/**
 * Every VIP route of every account reaches `node`, and each one is in its owner's own state: each
 * account's routes read through EC2 with that account's credentials, against the owners the topology
 * file names (test/reliability/account-routes.ts).
 */
async function assertLandedFor(node: string) {
  expect(unreachedFrom(await fetchWorld(cluster.local.url), walker, node)).toEqual([]);
  expect(misplacedRoutes(await readAccountRoutesAs(cluster.local.url, CONFIG), owners, walker.vips)).toEqual(
    [],
  );
}

describe('multi-account cluster on local AWS', () => {
  it('fails over, checks, rolls back and drills, every write in the owning account', async () => {
    const failover = await cluster.vipctl(['failover', '--to', 'server-b', '--json']);
    expect(failover.code, failover.stderr).toBe(0);
    await assertLandedFor('server-b');
    // The clients account's table and the network account's tables now point towards server-b.
    const own = await readAccountRoutesAs(cluster.local.url, CONFIG);
    expect(own['333333333333']?.find((r) => r.table === RTB_C && r.destination === VIP)?.target).toBe(
      'tgw-0a9b8c7d6e5f4a3b2',
    );
    expect(own['222222222222']?.find((r) => r.table === TGW_RTB_A && r.destination === VIP)?.target).toBe(
      'tgw-attach-0c1d2e3f4a5b6c7d8',
    );

    // As a node, check cannot read the other accounts: their access roles trust only the task roles.
    const refused = await cluster.vipctl(['check', '--active', 'server-b']);
    expect(refused.code).not.toBe(0);
    expect(refused.stdout + refused.stderr).toMatch(/not authorized to perform: sts:AssumeRole/);
    // An administrator (whom local AWS lets into every access role) checks every account.
    const check = await cluster.vipctl(['check', '--active', 'server-b'], { env: { ...ADMIN_ENVIRONMENT } });
    expect(check.code, check.stdout + check.stderr).toBe(0);

    const rollback = await cluster.vipctl(['rollback', '--last']);
    expect(rollback.code, rollback.stdout + rollback.stderr).toBe(0);
    await assertLandedFor('server-a');

    const drill = await cluster.vipctl(['drill', '--to', 'server-b']);
    expect(drill.code, drill.stdout + drill.stderr).toBe(0);
    expect(drill.stdout).toContain('READY');
  });

  it("refuses a write to another account's table made with the home account's credentials", async () => {
    const ec2 = new EC2Client({ region: 'us-east-1', endpoint: cluster.local.url, credentials: CREDENTIALS });
    const write = ec2.send(
      new CreateTransitGatewayRouteCommand({
        TransitGatewayRouteTableId: TGW_RTB_A,
        DestinationCidrBlock: '172.16.9.9/32',
        TransitGatewayAttachmentId: 'tgw-attach-0a5c7e9b1d3f6a8c2',
      }),
    );
    await expect(write).rejects.toMatchObject({ name: 'UnauthorizedOperation' });
    // The home account does not even see the clients account's table.
    await expect(ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [RTB_C] }))).rejects.toMatchObject({
      name: 'InvalidRouteTableID.NotFound',
    });
    ec2.destroy();
  });

  it('shows a RAM-shared transit gateway to the accounts it is shared with, naming its owner', async () => {
    // A 12-digit access key ID acts as that account (local/accounts.ts): here the clients account.
    const clients = new EC2Client({
      region: 'us-east-1',
      endpoint: cluster.local.url,
      credentials: { accessKeyId: '333333333333', secretAccessKey: 'test' },
    });
    const { TransitGateways } = await clients.send(new DescribeTransitGatewaysCommand({}));

    expect(TransitGateways?.map((t) => [t.TransitGatewayId, t.OwnerId])).toEqual([
      ['tgw-0a9b8c7d6e5f4a3b2', '222222222222'],
    ]);
    // Shared is not owned: its route tables stay the network account's.
    await expect(
      clients.send(
        new ReplaceTransitGatewayRouteCommand({
          TransitGatewayRouteTableId: TGW_RTB_A,
          DestinationCidrBlock: VIP,
          TransitGatewayAttachmentId: 'tgw-attach-0c6e8a1c3e5b7d9f4',
        }),
      ),
    ).rejects.toMatchObject({ name: 'UnauthorizedOperation' });
    clients.destroy();
  });

  it('lets only a principal its trust policy names assume an access role, and only with its external ID', async () => {
    // The task role of us-east-1, which the synthesized trust policy names.
    const sts = new STSClient({
      region: 'us-east-1',
      endpoint: cluster.local.url,
      credentials: { accessKeyId: TASK_ROLE_ACCESS_KEY, secretAccessKey: 'test' },
    });
    const node = new STSClient({
      region: 'us-east-1',
      endpoint: cluster.local.url,
      credentials: CREDENTIALS,
    });
    const params = { RoleArn: CLIENTS_ROLE, RoleSessionName: 'server-b-20261125T130000000' };
    await expect(sts.send(new AssumeRoleCommand(params))).rejects.toMatchObject({ name: 'AccessDenied' });
    await expect(
      sts.send(new AssumeRoleCommand({ ...params, ExternalId: 'someone-else' })),
    ).rejects.toMatchObject({ name: 'AccessDenied' });
    // A node's role is not in the trust policy: refused, even with the external ID.
    await expect(
      node.send(new AssumeRoleCommand({ ...params, ExternalId: 'orders-db-clients' })),
    ).rejects.toMatchObject({ name: 'AccessDenied' });
    const granted = await sts.send(new AssumeRoleCommand({ ...params, ExternalId: 'orders-db-clients' }));
    expect(granted.AssumedRoleUser?.Arn).toBe(
      'arn:aws:sts::333333333333:assumed-role/vip-failover-orders-db/server-b-20261125T130000000',
    );
    await expect(
      sts.send(new AssumeRoleCommand({ RoleArn: NETWORK_ROLE, RoleSessionName: 'x' })),
    ).rejects.toMatchObject({ name: 'ValidationError' });

    // A trust policy that names another role instead of the task role: the task role is refused.
    const response = await fetch(`${cluster.local.url}/_local/access`, {
      method: 'POST',
      body: JSON.stringify({
        account: 'clients',
        trust: {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { AWS: 'arn:aws:iam::111111111111:role/someone-else' },
              Action: 'sts:AssumeRole',
              Condition: { StringEquals: { 'sts:ExternalId': 'orders-db-clients' } },
            },
          ],
        },
      }),
    });
    expect(response.status).toBe(200);
    try {
      await expect(
        sts.send(new AssumeRoleCommand({ ...params, ExternalId: 'orders-db-clients' })),
      ).rejects.toMatchObject({ name: 'AccessDenied' });
    } finally {
      await fetch(`${cluster.local.url}/_local/access`, {
        method: 'POST',
        body: JSON.stringify({ account: 'clients', trust: 'task-role' }),
      });
      sts.destroy();
      node.destroy();
    }
  });

  it("sees a VIP route missing from its owner's own state", async () => {
    // The check of assertLandedFor can fail: take the clients account's VIP route away behind the product.
    const before = cluster.local.world.findRoute('us-east-1', RTB_C, VIP);
    expect(before).toBeDefined();
    await fetch(`${cluster.local.url}/_local/routes/delete`, {
      method: 'POST',
      body: JSON.stringify({ region: 'us-east-1', table: RTB_C, destination: VIP }),
    });
    try {
      expect(
        misplacedRoutes(await readAccountRoutesAs(cluster.local.url, CONFIG), owners, walker.vips),
      ).toEqual([`${RTB_C} has no ${VIP} route in its owner 333333333333's state`]);
    } finally {
      await fetch(`${cluster.local.url}/_local/routes`, {
        method: 'POST',
        body: JSON.stringify({ region: 'us-east-1', table: RTB_C, destination: VIP, target: before!.target }),
      });
    }
  });

  it('without the access role, fails over with RouteUpdateFailed and drills NOT READY, naming the account and table', async () => {
    const before = cluster.local.world.allRoutes();
    await fetch(`${cluster.local.url}/_local/access`, {
      method: 'POST',
      body: JSON.stringify({ account: 'clients', trust: 'none' }),
    });
    try {
      const failover = await cluster.vipctl(['failover', '--to', 'server-b']);
      expect(failover.code).toBe(1);
      expect(failover.stdout + failover.stderr).toContain('RouteUpdateFailed');
      expect(failover.stdout + failover.stderr).toContain('account clients (333333333333)');
      expect(failover.stdout + failover.stderr).toContain(RTB_C);
      expect(cluster.local.world.allRoutes()).toEqual(before);

      const drill = await cluster.vipctl(['drill', '--to', 'server-b']);
      expect(drill.code).toBe(1);
      expect(drill.stdout).toContain('NOT READY');
      expect(drill.stdout).toContain('account clients (333333333333)');
      expect(drill.stdout).toContain(RTB_C);
    } finally {
      await fetch(`${cluster.local.url}/_local/access`, {
        method: 'POST',
        body: JSON.stringify({ account: 'clients', trust: 'task-role' }),
      });
    }
  });
});
