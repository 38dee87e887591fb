/**
 * A cluster with an IPv4 and an IPv6 VIP (examples/dual-stack.yaml), in-process against one local AWS
 * with the real SDK and the synthesized state machine: plan, failover, status, check, drill and
 * rollback handle both families. Where the routes lead is judged by the independent route walker
 * (test/oracle/route-walker.ts), never by the run's own trace.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DescribeRouteTablesCommand,
  EC2Client,
  SearchTransitGatewayRoutesCommand,
} from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../cli/core/exit-codes';
import { run } from '../../cli/program';
import { localEnvironment } from '../../local/client-env';
import { ADMIN_ENVIRONMENT } from '../../local/iam/principals';
import { type LocalAws, startLocalAws } from '../../local/server';
import { loadTopology, parseTopology } from '../../tasks/topology';
import {
  fetchWorld,
  nonVipChanges,
  type RawWorld,
  readTopologyFile,
  unreachedFrom,
  type WalkTopology,
} from '../oracle/route-walker';

const CONFIG = 'examples/dual-stack.yaml';
const VIP4 = '172.16.0.1/32';
const VIP6 = 'fd00:172:16::1/128';
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

let aws: LocalAws;
let walk: WalkTopology;
let seeded: RawWorld;
let journal: string;

beforeAll(async () => {
  const topology = await loadTopology(CONFIG);
  walk = readTopologyFile(CONFIG);
  aws = await startLocalAws({ topology, port: 0, active: 'server-a', sfn: { retryIntervalScale: 0.01 } });
  seeded = await fetchWorld(aws.url);
  journal = await mkdtemp(join(tmpdir(), 'vipctl-journal-'));
});
afterAll(async () => {
  await aws?.close();
  await rm(journal, { recursive: true, force: true });
});

async function vipctl(
  argv: readonly string[],
  as: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await run(
    ['--config', CONFIG, '--endpoint-url', aws.url, ...argv],
    {
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { write: (s: string) => (stderr += s) },
      isTTY: false,
      env: { ...localEnvironment(aws.url), ...as, AWS_REGION: 'us-east-1', VIPCTL_JOURNAL: journal },
      cwd: process.cwd(),
    },
    { requestedBy: 'test' },
  );
  return { code, stdout, stderr };
}

describe('an IPv6 VIP beside an IPv4 VIP', () => {
  it('seeds both VIPs towards server-a, as the walker sees it', async () => {
    expect(walk.vips).toEqual([VIP4, VIP6]);
    expect(unreachedFrom(seeded, walk, 'server-a')).toEqual([]);
  });

  it('plans the same changes for the /128 as for the /32', async () => {
    const result = await vipctl(['plan', '--to', 'server-b', '--json']);

    expect(result.code, result.stderr).toBe(ExitCode.Ok);
    const changes = (JSON.parse(result.stdout) as { changes: { vip: string; table: string }[] }).changes;
    const tablesOf = (vip: string) =>
      changes
        .filter((c) => c.vip === vip)
        .map((c) => c.table)
        .sort();
    expect(tablesOf(VIP6)).toHaveLength(6);
    expect(tablesOf(VIP6)).toEqual(tablesOf(VIP4));
  });

  it('fails over to server-b: VPC tables carry the /128 as DestinationIpv6CidrBlock, TGW tables as DestinationCidrBlock', async () => {
    const result = await vipctl(['failover', '--to', 'server-b']);

    expect(result.code, result.stdout + result.stderr).toBe(ExitCode.Ok);
    const world = await fetchWorld(aws.url);
    expect(unreachedFrom(world, walk, 'server-b')).toEqual([]);
    expect(nonVipChanges(seeded, world, walk.vips)).toEqual([]);

    const ec2 = new EC2Client({ region: 'ap-southeast-1', endpoint: aws.url, credentials });
    try {
      const { RouteTables } = await ec2.send(
        new DescribeRouteTablesCommand({ RouteTableIds: ['rtb-0b2e4a6c8d1f3b5e7'] }),
      );
      const routes = RouteTables?.[0]?.Routes ?? [];
      expect(routes.find((r) => r.DestinationIpv6CidrBlock === VIP6)).toMatchObject({
        NetworkInterfaceId: 'eni-0b2e4a6c8f1d3b5e7',
        State: 'active',
      });
      expect(routes.find((r) => r.DestinationIpv6CidrBlock === VIP6)?.DestinationCidrBlock).toBeUndefined();
      const { Routes } = await ec2.send(
        new SearchTransitGatewayRoutesCommand({
          TransitGatewayRouteTableId: 'tgw-rtb-0b1c2d3e4f5a6b7c8',
          Filters: [{ Name: 'route-search.exact-match', Values: [VIP6] }],
        }),
      );
      expect(
        Routes?.map((r) => [
          r.DestinationCidrBlock,
          r.TransitGatewayAttachments?.[0]?.TransitGatewayAttachmentId,
        ]),
      ).toEqual([[VIP6, 'tgw-attach-0b6d8f1a3c5e7b9d4']]);
    } finally {
      ec2.destroy();
    }
  });

  it('shows both VIPs in status and finds them converged in check', async () => {
    const status = await vipctl(['status', '--json']);
    const check = await vipctl(['check', '--active', 'server-b']);

    expect(status.code, status.stderr).toBe(ExitCode.Ok);
    const routes = (JSON.parse(status.stdout) as { routes: { vip: string }[] }).routes;
    expect(routes.filter((r) => r.vip === VIP6)).toHaveLength(6);
    expect(check.code, check.stdout + check.stderr).toBe(ExitCode.Ok);
  });

  it('rolls the failover back: both VIPs lead to server-a again, nothing else changed', async () => {
    const result = await vipctl(['rollback', '--last', '--yes']);

    expect(result.code, result.stdout + result.stderr).toBe(ExitCode.Ok);
    const world = await fetchWorld(aws.url);
    expect(unreachedFrom(world, walk, 'server-a')).toEqual([]);
    expect(nonVipChanges(seeded, world, walk.vips)).toEqual([]);
  });
  it('finds a wrong /128 route that leaves the /32 right, and a drill to server-b READY', async () => {
    aws.world.setRoute('ap-southeast-1', 'rtb-0b1d3f5a7c9e2b4d6', VIP6, 'eni-0b2e4a6c8f1d3b5e7');

    const check = await vipctl(['check', '--active', 'server-a']);
    aws.world.setRoute('ap-southeast-1', 'rtb-0b1d3f5a7c9e2b4d6', VIP6, 'tgw-0b9c8d7e6f5a4b3c2');
    const drill = await vipctl(['drill', '--to', 'server-b']);

    expect(check.code).toBe(ExitCode.Failed);
    expect(check.stdout + check.stderr).toContain(VIP6);
    expect(drill.code, drill.stdout + drill.stderr).toBe(ExitCode.Ok);
    expect(unreachedFrom(await fetchWorld(aws.url), walk, 'server-a')).toEqual([]);
  });
  it("discovers the dual-stack topology: both VIPs (the /128 made canonical) and each VPC's IPv6 CIDR", async () => {
    const topology = await loadTopology(CONFIG);
    const a = topology.nodes['server-a']!;
    const b = topology.nodes['server-b']!;

    const result = await vipctl(
      [
        'discover',
        '--vip',
        VIP4,
        '--vip',
        'FD00:172:16:0::1/128',
        '--node',
        `server-a=${a.instance}@us-east-1`,
        '--node',
        `server-b=${b.instance}@ap-southeast-1`,
      ],
      // Discovery is the operator's, with an administrator's reads (a node's role may not describe VPCs).
      ADMIN_ENVIRONMENT,
    );

    expect(result.code, result.stderr).toBe(ExitCode.Ok);
    const written = parseTopology(result.stdout, 'stdout');
    expect(written.vips).toEqual([VIP4, VIP6]);
    const ipv6Of = (t: typeof topology) =>
      Object.values(t.vpcs)
        .map((v) => [v.id, v.ipv6Cidr])
        .sort();
    expect(ipv6Of(written)).toEqual(ipv6Of(topology));
  });
});
