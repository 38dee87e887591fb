import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadTopology, parseTopology, type Topology } from '../../tasks/topology';
import { directNodePolicy, EC2_READ_ACTIONS, lambdaPolicy, nodePolicy } from '../../workflow/policy';

let topology: Topology;
beforeAll(async () => {
  topology = await loadTopology('examples/three-region.yaml');
});

const ACCOUNT = '210987654321';

describe('lambdaPolicy', () => {
  it('addresses every VPC route table by the ARN of its own region', () => {
    const policy = lambdaPolicy(topology, ACCOUNT);
    const vpc = policy.Statement.find((s) => s.Action.includes('ec2:ReplaceRoute'))!;
    expect([...vpc.Action].sort()).toEqual(['ec2:CreateRoute', 'ec2:ReplaceRoute']);
    const expected = Object.values(topology.vpcs).flatMap((v) =>
      v.routeTables.map((t) => `arn:aws:ec2:${v.region}:${ACCOUNT}:route-table/${t}`),
    );
    expect([...vpc.Resource].sort()).toEqual(expected.sort());
    expect(vpc.Resource).toContain(
      `arn:aws:ec2:eu-west-1:${ACCOUNT}:route-table/${topology.vpcs['clients-eu']!.routeTables[0]}`,
    );
  });

  it('grants TGW writes on every TGW route table and every attachment it may point at, each in its own region', () => {
    const policy = lambdaPolicy(topology, ACCOUNT);
    const tgw = policy.Statement.find((s) => s.Action.includes('ec2:ReplaceTransitGatewayRoute'))!;
    expect([...tgw.Action].sort()).toEqual([
      'ec2:CreateTransitGatewayRoute',
      'ec2:ReplaceTransitGatewayRoute',
    ]);
    expect([...tgw.Resource].sort()).toEqual(
      [
        `arn:aws:ec2:ap-southeast-1:${ACCOUNT}:transit-gateway-route-table/tgw-rtb-0b1c2d3e4f5a6b7c8`,
        `arn:aws:ec2:eu-west-1:${ACCOUNT}:transit-gateway-route-table/tgw-rtb-0c1d2e3f4a5b6c7d8`,
        `arn:aws:ec2:us-east-1:${ACCOUNT}:transit-gateway-route-table/tgw-rtb-0a1b2c3d4e5f6a7b8`,
        // tgw-b: its VPC attachment and both peerings (the chain's middle)
        `arn:aws:ec2:ap-southeast-1:${ACCOUNT}:transit-gateway-attachment/tgw-attach-0b6d8f1a3c5e7b9d4`,
        `arn:aws:ec2:ap-southeast-1:${ACCOUNT}:transit-gateway-attachment/tgw-attach-0e1f2a3b4c5d6e7f8`,
        `arn:aws:ec2:ap-southeast-1:${ACCOUNT}:transit-gateway-attachment/tgw-attach-0f1a2b3c4d5e6f7a8`,
        // tgw-c: clients-eu and the peering to tgw-b
        `arn:aws:ec2:eu-west-1:${ACCOUNT}:transit-gateway-attachment/tgw-attach-0c7e9a2b4d6f8c1e3`,
        `arn:aws:ec2:eu-west-1:${ACCOUNT}:transit-gateway-attachment/tgw-attach-0f1a2b3c4d5e6f7a8`,
        // tgw-a: vpc-a, clients-us and the peering to tgw-b
        `arn:aws:ec2:us-east-1:${ACCOUNT}:transit-gateway-attachment/tgw-attach-0a5c7e9b1d3f6a8c2`,
        `arn:aws:ec2:us-east-1:${ACCOUNT}:transit-gateway-attachment/tgw-attach-0d8f1b3c5e7a9d2f4`,
        `arn:aws:ec2:us-east-1:${ACCOUNT}:transit-gateway-attachment/tgw-attach-0e1f2a3b4c5d6e7f8`,
      ].sort(),
    );
  });

  it('grants VPC route writes on the route tables only, never on their targets', () => {
    const vpc = lambdaPolicy(topology, ACCOUNT).Statement.find((s) => s.Action.includes('ec2:CreateRoute'))!;
    expect(vpc.Resource.every((r) => r.includes(':route-table/rtb-'))).toBe(true);
  });

  it('grants only Describe and Search on the wildcard resource and never a Delete', () => {
    const statements = lambdaPolicy(topology, ACCOUNT).Statement;
    const onWildcard = statements.filter((s) => s.Resource.includes('*')).flatMap((s) => s.Action);
    expect(onWildcard).toEqual(EC2_READ_ACTIONS.filter((a) => a.startsWith('ec2:Describe')));
    // SearchTransitGatewayRoutes acts on `transit-gateway-route-table`: the topology's TGW tables only.
    const search = statements.find((s) => s.Action.includes('ec2:SearchTransitGatewayRoutes'))!;
    expect(search.Action).toEqual(['ec2:SearchTransitGatewayRoutes']);
    expect(search.Resource.every((r) => r.includes(':transit-gateway-route-table/tgw-rtb-'))).toBe(true);
    const actions = statements.flatMap((s) => s.Action);
    expect(actions.filter((a) => a.includes('Delete') || a.includes('*'))).toEqual([]);
  });

  it('lists executions only of the cluster state machine in each region', () => {
    const listing = lambdaPolicy(topology, ACCOUNT).Statement.filter((s) =>
      s.Action.includes('states:ListExecutions'),
    );
    expect(listing).toHaveLength(1);
    expect([...listing[0]!.Resource].sort()).toEqual([
      `arn:aws:states:ap-southeast-1:${ACCOUNT}:stateMachine:vip-failover-${topology.cluster}`,
      `arn:aws:states:eu-west-1:${ACCOUNT}:stateMachine:vip-failover-${topology.cluster}`,
      `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:vip-failover-${topology.cluster}`,
    ]);
  });

  it('uses the given partition', () => {
    const resources = lambdaPolicy(topology, ACCOUNT, { partition: 'aws-cn' }).Statement.flatMap(
      (s) => s.Resource,
    );
    expect(resources.filter((r) => r !== '*').every((r) => r.startsWith('arn:aws-cn:'))).toBe(true);
  });
});

describe('nodePolicy', () => {
  it('lets a node start and follow runs of the cluster state machines only', () => {
    const policy = nodePolicy(topology, ACCOUNT);
    expect(policy.Version).toBe('2012-10-17');
    const regions = ['ap-southeast-1', 'eu-west-1', 'us-east-1'];
    // Each action on the resource type the Service Authorization Reference lists for it.
    const machines = policy.Statement.find((s) => s.Sid === 'StartAndFollowClusterRuns')!;
    expect(machines.Action).toEqual(['states:StartExecution', 'states:ListExecutions']);
    expect([...machines.Resource].sort()).toEqual(
      regions.map((r) => `arn:aws:states:${r}:${ACCOUNT}:stateMachine:vip-failover-${topology.cluster}`),
    );
    const executions = policy.Statement.find((s) => s.Sid === 'StartAndFollowClusterRunsOnExecution')!;
    expect(executions.Action).toEqual(['states:DescribeExecution', 'states:GetExecutionHistory']);
    expect([...executions.Resource].sort()).toEqual(
      regions.map((r) => `arn:aws:states:${r}:${ACCOUNT}:execution:vip-failover-${topology.cluster}:*`),
    );
  });

  it('lets a node stop the runs of the cluster, and nothing else', () => {
    const stop = nodePolicy(topology, ACCOUNT).Statement.filter((s) =>
      s.Action.includes('states:StopExecution'),
    );
    expect(stop).toHaveLength(1);
    expect(stop[0]!.Action).toEqual(['states:StopExecution']);
    expect([...stop[0]!.Resource].sort()).toEqual(
      ['ap-southeast-1', 'eu-west-1', 'us-east-1'].map(
        (r) => `arn:aws:states:${r}:${ACCOUNT}:execution:vip-failover-${topology.cluster}:*`,
      ),
    );
  });

  it('lets a node read the records of large runs in the cluster run buckets, and no other object', () => {
    const records = nodePolicy(topology, ACCOUNT).Statement.filter((s) => s.Action.includes('s3:GetObject'));

    expect(records).toEqual([
      {
        Sid: 'ReadLargeRunRecords',
        Effect: 'Allow',
        Action: ['s3:GetObject'],
        Resource: [`arn:aws:s3:::vipfailover-${topology.cluster}-*/runs/*`],
      },
    ]);
  });

  it('reads EC2 without writing anything', () => {
    const actions = nodePolicy(topology, ACCOUNT).Statement.flatMap((s) => s.Action);
    const ec2 = actions.filter((a) => a.startsWith('ec2:'));
    expect(ec2.length).toBeGreaterThan(0);
    expect(ec2.every((a) => /^ec2:(Describe|Search)/.test(a))).toBe(true);
    expect(actions).not.toContain('sts:GetCallerIdentity');
  });
});

describe('partitions', () => {
  it.each([
    ['cn-north-1', 'cn-northwest-1', 'aws-cn'],
    ['us-gov-west-1', 'us-gov-east-1', 'aws-us-gov'],
  ])('a topology in %s and %s gets arn:%s: ARNs in both policies', async (first, second, partition) => {
    const moved = await inRegions({ 'us-east-1': first, 'ap-southeast-1': second });
    const resources = [
      ...lambdaPolicy(moved, ACCOUNT).Statement,
      ...nodePolicy(moved, ACCOUNT).Statement,
    ].flatMap((s) => s.Resource.filter((r) => r !== '*'));
    expect(resources.length).toBeGreaterThan(0);
    for (const arn of resources)
      expect(arn).toMatch(
        new RegExp(
          `^arn:${partition}:((ec2|states):(${first}|${second}):|s3:::vipfailover-${moved.cluster}-\\*/runs/\\*$)`,
        ),
      );
    expect(resources).toContain(
      `arn:${partition}:states:${first}:${ACCOUNT}:execution:vip-failover-${moved.cluster}:*`,
    );
  });
});

/** examples/two-region.yaml with its regions renamed. */
async function inRegions(renames: Record<string, string>): Promise<Topology> {
  let text = readFileSync('examples/two-region.yaml', 'utf8');
  for (const [from, to] of Object.entries(renames)) text = text.replaceAll(from, to);
  return parseTopology(text, 'renamed two-region.yaml');
}

describe('directNodePolicy', () => {
  it('lets a direct run record itself only in direct-* streams of the cluster task log groups', () => {
    const statements = directNodePolicy(topology, ACCOUNT).Statement;
    const record = statements.find((s) => s.Action.includes('logs:PutLogEvents'))!;
    const find = statements.find((s) => s.Action.includes('logs:DescribeLogGroups'))!;
    const regions = ['ap-southeast-1', 'eu-west-1', 'us-east-1'];
    const group = (r: string) =>
      `arn:aws:logs:${r}:${ACCOUNT}:log-group:VipFailover-${topology.cluster}-TasksLogs*`;

    expect([...record.Action].sort()).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
    // Both act on `log-stream`; DescribeLogGroups has no resource type, so `*` is all IAM evaluates.
    expect([...record.Resource].sort()).toEqual(regions.map((r) => `${group(r)}:log-stream:direct-*`).sort());
    expect(find.Action).toEqual(['logs:DescribeLogGroups']);
    expect(find.Resource).toEqual(['*']);
    // Nothing else of CloudWatch Logs, and nothing of it in the plain node policy.
    const logs = statements.flatMap((s) => s.Action).filter((a) => a.startsWith('logs:'));
    expect(logs.sort()).toEqual(['logs:CreateLogStream', 'logs:DescribeLogGroups', 'logs:PutLogEvents']);
    expect(nodePolicy(topology, ACCOUNT).Statement.flatMap((s) => s.Action)).not.toContain(
      'logs:PutLogEvents',
    );
  });
});
