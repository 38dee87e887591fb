/**
 * The pure half of `vipctl discover` (tasks/discover.ts) and its EC2 reads (tasks/ec2/discovery-reads.ts): facts in,
 * a topology file out, ambiguities refused.
 */
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import {
  buildTopology,
  type DiscoveredFacts,
  DiscoveryError,
  renderTopologyYaml,
} from '../../tasks/discover';
import {
  type DiscoveredTransitGateway,
  type DiscoveredVpc,
  discoverInstance,
} from '../../tasks/ec2/discovery-reads';
import { parseTopology } from '../../tasks/topology';

const request = {
  cluster: 'orders-db',
  vips: ['172.16.0.1/32'],
  nodes: [
    { name: 'db-1', instanceId: 'i-0aaaaaaaaaaaaaaa1', region: 'us-east-1' },
    { name: 'db-2', instanceId: 'i-0bbbbbbbbbbbbbbb1', region: 'eu-west-1' },
  ],
  clientVpcs: [],
};

const vpc = (
  id: string,
  region: string,
  cidr: string,
  tgw: string,
  extra: Partial<DiscoveredVpc> = {},
): DiscoveredVpc => ({
  id,
  region,
  cidr,
  routeTables: [
    { id: `rtb-${id.slice(4, 12)}1`, subnets: 0, main: true },
    { id: `rtb-${id.slice(4, 12)}2`, subnets: 2, main: false },
  ],
  attachments: [{ id: `tgw-attach-${id.slice(4)}`, transitGatewayId: tgw, state: 'available' }],
  ...extra,
});

const peering = {
  id: 'tgw-attach-0ccccccccccccccc1',
  state: 'available',
  sides: [{ transitGatewayId: 'tgw-0aaaaaaaaaaaaaaa1' }, { transitGatewayId: 'tgw-0bbbbbbbbbbbbbbb1' }],
};
const tgw = (id: string, region: string, peerings = [peering]): DiscoveredTransitGateway => ({
  id,
  region,
  routeTables: [{ id: `tgw-rtb-${id.slice(4)}`, default: true }],
  peerings,
});

function facts(overrides: Partial<DiscoveredFacts> = {}): DiscoveredFacts {
  return {
    account: '123456789012',
    instances: {
      'db-1': {
        instanceId: 'i-0aaaaaaaaaaaaaaa1',
        region: 'us-east-1',
        name: 'orders "primary"\nA',
        state: 'running',
        vpcId: 'vpc-0aaaaaaaaaaaaaaa1',
        eniId: 'eni-0aaaaaaaaaaaaaaa1',
        eniCount: 2,
      },
      'db-2': {
        instanceId: 'i-0bbbbbbbbbbbbbbb1',
        region: 'eu-west-1',
        state: 'stopped',
        vpcId: 'vpc-0bbbbbbbbbbbbbbb1',
        eniId: 'eni-0bbbbbbbbbbbbbbb1',
        eniCount: 1,
      },
    },
    vpcs: {
      'vpc-0aaaaaaaaaaaaaaa1': vpc(
        'vpc-0aaaaaaaaaaaaaaa1',
        'us-east-1',
        '10.0.0.0/16',
        'tgw-0aaaaaaaaaaaaaaa1',
      ),
      'vpc-0bbbbbbbbbbbbbbb1': vpc(
        'vpc-0bbbbbbbbbbbbbbb1',
        'eu-west-1',
        '10.1.0.0/16',
        'tgw-0bbbbbbbbbbbbbbb1',
      ),
    },
    transitGateways: {
      'tgw-0aaaaaaaaaaaaaaa1': tgw('tgw-0aaaaaaaaaaaaaaa1', 'us-east-1'),
      'tgw-0bbbbbbbbbbbbbbb1': tgw('tgw-0bbbbbbbbbbbbbbb1', 'eu-west-1'),
    },
    ...overrides,
  };
}

const problemsOf = (f: DiscoveredFacts): readonly string[] => {
  try {
    buildTopology(request, f);
  } catch (error) {
    if (error instanceof DiscoveryError) return error.problems;
    throw error;
  }
  return [];
};

describe('buildTopology', () => {
  it('builds a topology that the parser accepts, with every route table of each VPC', () => {
    const text = renderTopologyYaml(buildTopology(request, facts()));

    const topology = parseTopology(text);
    expect(topology.nodes['db-1']).toEqual({
      vpc: 'db-1-vpc',
      eni: 'eni-0aaaaaaaaaaaaaaa1',
      instance: 'i-0aaaaaaaaaaaaaaa1',
    });
    expect(topology.vpcs['db-1-vpc']?.routeTables).toEqual(['rtb-0aaaaaaa1', 'rtb-0aaaaaaa2']);
    expect(topology.vpcs['db-2-vpc']?.transitGateway).toBe('tgw-eu-west-1');
    expect(topology.peerings).toEqual([
      { between: ['tgw-us-east-1', 'tgw-eu-west-1'], attachment: peering.id },
    ]);
  });

  it('comments the instance name on one line, and which ENI of several it took', () => {
    const text = renderTopologyYaml(buildTopology(request, facts()));

    const line = text.split('\n').find((l) => l.includes('db-1: {'));
    expect(line).toContain('# "orders \\"primary\\"\\nA", running in us-east-1, primary ENI (device 0) of 2');
    expect(text).toContain('- rtb-0aaaaaaa1 # main, 0 subnets');
  });

  it('refuses two available peerings between the same transit gateways', () => {
    const second = { ...peering, id: 'tgw-attach-0ddddddddddddddd1' };
    const f = facts();

    const problems = problemsOf({
      ...f,
      transitGateways: {
        ...f.transitGateways,
        'tgw-0aaaaaaaaaaaaaaa1': tgw('tgw-0aaaaaaaaaaaaaaa1', 'us-east-1', [peering, second]),
      },
    });

    expect(problems).toEqual([expect.stringContaining('are joined by two peering attachments')]);
  });

  it('refuses transit gateways whose only peering is not available, and says its state', () => {
    const pending = { ...peering, state: 'pendingAcceptance' };

    const problems = problemsOf({
      ...facts(),
      transitGateways: {
        'tgw-0aaaaaaaaaaaaaaa1': tgw('tgw-0aaaaaaaaaaaaaaa1', 'us-east-1', [pending]),
        'tgw-0bbbbbbbbbbbbbbb1': tgw('tgw-0bbbbbbbbbbbbbbb1', 'eu-west-1', [pending]),
      },
    });

    expect(problems).toEqual([
      expect.stringContaining(`${peering.id} between tgw-us-east-1 and tgw-eu-west-1 is pendingAcceptance`),
    ]);
  });

  it('lists every problem at once', () => {
    const f = facts();

    const problems = problemsOf({
      ...f,
      instances: { 'db-1': f.instances['db-1']! },
      vpcs: { 'vpc-0aaaaaaaaaaaaaaa1': { ...f.vpcs['vpc-0aaaaaaaaaaaaaaa1']!, attachments: [] } },
    });

    expect(problems).toHaveLength(2);
    expect(problems[0]).toContain('instance i-0bbbbbbbbbbbbbbb1 of node db-2 was not found in eu-west-1');
    expect(problems[1]).toContain('has no available transit gateway attachment');
  });
});

describe('discoverInstance', () => {
  it('takes the ENI at device index 0 when the instance has several', async () => {
    const ec2 = mockClient(EC2Client);
    ec2.on(DescribeInstancesCommand).resolves({
      Reservations: [
        {
          OwnerId: '123456789012',
          Instances: [
            {
              InstanceId: 'i-0aaaaaaaaaaaaaaa1',
              VpcId: 'vpc-0aaaaaaaaaaaaaaa1',
              State: { Name: 'running' },
              Tags: [{ Key: 'Name', Value: 'db-1' }],
              NetworkInterfaces: [
                { NetworkInterfaceId: 'eni-0ffffffffffffff01', Attachment: { DeviceIndex: 1 } },
                { NetworkInterfaceId: 'eni-0aaaaaaaaaaaaaaa1', Attachment: { DeviceIndex: 0 } },
              ],
            },
          ],
        },
      ],
    });

    const found = await discoverInstance(
      new EC2Client({ region: 'us-east-1' }),
      'us-east-1',
      'i-0aaaaaaaaaaaaaaa1',
    );

    expect(found).toEqual({
      instanceId: 'i-0aaaaaaaaaaaaaaa1',
      region: 'us-east-1',
      name: 'db-1',
      state: 'running',
      vpcId: 'vpc-0aaaaaaaaaaaaaaa1',
      eniId: 'eni-0aaaaaaaaaaaaaaa1',
      eniCount: 2,
      account: '123456789012',
    });
    expect(ec2.commandCalls(DescribeInstancesCommand)[0]?.args[0].input).toEqual({
      Filters: [{ Name: 'instance-id', Values: ['i-0aaaaaaaaaaaaaaa1'] }],
    });
    ec2.restore();
  });

  it('answers undefined for an instance the region does not know', async () => {
    const ec2 = mockClient(EC2Client);
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [] });

    await expect(
      discoverInstance(new EC2Client({ region: 'us-east-1' }), 'us-east-1', 'i-0aaaaaaaaaaaaaaa1'),
    ).resolves.toBeUndefined();
    ec2.restore();
  });
});
