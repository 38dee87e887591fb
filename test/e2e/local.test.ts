/**
 * `vipctl local` as a child process: prints where it listens and what to export, serves EC2 to the
 * real SDK client, and exits 0 after SIGTERM.
 */

import { readFileSync } from 'node:fs';
import { DescribeRouteTablesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { ListStateMachinesCommand, SFNClient } from '@aws-sdk/client-sfn';
import { beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_CREDENTIALS } from '../../local/iam/principals';
import { startLocalAws } from '../../local/index';
import { parseTopology } from '../../tasks/topology';
import { fetchWorld, readTopologyFile, unreachedFrom } from '../oracle/route-walker';
import { BIN, cleanEnv, EXAMPLE, ensureBuilt, start, vipctl } from './local-harness';

const topology = parseTopology(readFileSync(EXAMPLE, 'utf8'), EXAMPLE);
const VIP = topology.vips[0]!;
// The test inspects local AWS as an administrator (a node's role may not list state machines).
const credentials = ADMIN_CREDENTIALS;

beforeAll(() => {
  ensureBuilt();
});

function local(args: readonly string[]) {
  return start(process.execPath, [BIN, '--config', EXAMPLE, 'local', '--port', '0', ...args], cleanEnv());
}

describe('vipctl local', () => {
  it('prints the free port it took and the exports, serves EC2 and Step Functions, and stops on SIGTERM', async () => {
    const server = local([]);
    const [, url, port] = await server.waitFor(/listening on (http:\/\/127\.0\.0\.1:(\d+)) \(port (\d+)\)/);
    // The exports follow the first line, possibly in later chunks: wait for the last line of the banner.
    await server.waitFor(/Press Ctrl-C to stop\./);
    try {
      expect(Number(port)).toBeGreaterThan(0);
      expect(server.stdout()).toContain(`export AWS_ENDPOINT_URL=${url}`);
      expect(server.stdout()).toContain('export AWS_EC2_METADATA_DISABLED=true');
      expect(server.stdout()).toContain(`export AWS_EC2_METADATA_SERVICE_ENDPOINT=${url}`);

      const ec2 = new EC2Client({ region: 'ap-southeast-1', endpoint: url, credentials });
      const vpcB = topology.vpcs['vpc-b']!;
      const out = await ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: vpcB.routeTables }));
      // Seeded with the first node active: VPC-B reaches it through its TGW.
      const targets = out.RouteTables?.map(
        (t) => t.Routes?.find((r) => r.DestinationCidrBlock === VIP)?.TransitGatewayId,
      );
      expect(targets).toEqual([topology.transitGateways['tgw-b']!.id, topology.transitGateways['tgw-b']!.id]);

      const sfn = new SFNClient({ region: 'us-east-1', endpoint: url, credentials });
      const machines = await sfn.send(new ListStateMachinesCommand({}));
      expect(machines.stateMachines?.map((m) => m.name)).toEqual(['vip-failover-orders-db']);
    } finally {
      server.child.kill('SIGTERM');
    }
    const end = await server.finished;
    expect(end.code).toBe(0);
    expect(end.stderr).toContain('local AWS stopped');
  });

  it('seeds the VIP routes to the node given with --active', async () => {
    const server = local(['--active', 'server-b']);
    const [, url] = await server.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
    // Its signal handlers are in place once the banner is complete.
    await server.waitFor(/Press Ctrl-C to stop\./);
    try {
      const ec2 = new EC2Client({ region: 'ap-southeast-1', endpoint: url, credentials });
      const out = await ec2.send(
        new DescribeRouteTablesCommand({ RouteTableIds: topology.vpcs['vpc-b']!.routeTables }),
      );
      const targets = out.RouteTables?.map(
        (t) => t.Routes?.find((r) => r.DestinationCidrBlock === VIP)?.NetworkInterfaceId,
      );
      expect(targets).toEqual([topology.nodes['server-b']!.eni, topology.nodes['server-b']!.eni]);
    } finally {
      server.child.kill('SIGINT');
    }
    expect((await server.finished).code).toBe(0);
  });

  it('--ec2-endpoint keeps Step Functions here and sends every EC2 call of the workflow to the other emulator', async () => {
    const ec2Emulator = await startLocalAws({ topology, port: 0, sfn: false, active: 'server-a' });
    const server = local(['--ec2-endpoint', ec2Emulator.url]);
    try {
      const [, sfnUrl] = await server.waitFor(/export AWS_ENDPOINT_URL_SFN=(\S+)/);
      const [, ec2Url] = await server.waitFor(/export AWS_ENDPOINT_URL_EC2=(\S+)/);
      await server.waitFor(/Press Ctrl-C to stop\./);
      expect(ec2Url).toBe(ec2Emulator.url);
      expect(server.stdout()).not.toContain('export AWS_ENDPOINT_URL=');

      const failover = await vipctl(
        ['--config', EXAMPLE, 'failover', '--to', 'server-b', '--timeout', '240'],
        cleanEnv({
          AWS_ENDPOINT_URL_SFN: sfnUrl!,
          AWS_ENDPOINT_URL_EC2: ec2Url!,
          AWS_ENDPOINT_URL_STS: sfnUrl!,
          AWS_ACCESS_KEY_ID: 'test',
          AWS_SECRET_ACCESS_KEY: 'test',
        }),
      );

      expect(failover.code).toBe(0);
      // The routes moved in the other emulator, by the reference walker over its raw world.
      const world = await fetchWorld(ec2Emulator.url);
      expect(unreachedFrom(world, readTopologyFile(EXAMPLE), 'server-b')).toEqual([]);
    } finally {
      server.child.kill('SIGTERM');
      await server.finished;
      await ec2Emulator.close();
    }
  });

  it('refuses an unknown --active node as a usage error (exit 2)', async () => {
    const end = await local(['--active', 'server-z']).finished;

    expect(end.code).toBe(2);
    expect(end.stderr).toContain("unknown node 'server-z' in --active");
  });
});
