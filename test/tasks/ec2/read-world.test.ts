import 'aws-sdk-client-mock-vitest/extend';
import {
  DescribeInstancesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeRouteTablesCommand,
  DescribeTransitGatewayAttachmentsCommand,
  SearchTransitGatewayRoutesCommand,
} from '@aws-sdk/client-ec2';
import { beforeEach, describe, expect, it } from 'vitest';
import { Ec2Error } from '../../../tasks/ec2/classify-error';
import { readWorld } from '../../../tasks/ec2/read-world';
import {
  awsError,
  clientFor,
  eastMock,
  networkError,
  seedHealthyWorld,
  topology,
  VIP,
  westMock,
} from './fixtures';

beforeEach(() => {
  eastMock.reset();
  westMock.reset();
});

describe('readWorld', () => {
  it('reports exactly one route per listed table and VIP, with target and state as AWS shows them', async () => {
    seedHealthyWorld();

    const world = await readWorld(clientFor, topology);

    expect(world.routes).toEqual([
      { table: 'rtb-0aaa0001', vip: VIP, target: 'tgw-0aaa0001', state: 'active' },
      { table: 'rtb-0aaa0002', vip: VIP, target: null, state: 'missing' },
      { table: 'rtb-0bbb0001', vip: VIP, target: 'eni-0bbb0001', state: 'active' },
      { table: 'tgw-rtb-0aaa0001', vip: VIP, target: 'tgw-attach-0ccc0001', state: 'active' },
      { table: 'tgw-rtb-0bbb0001', vip: VIP, target: 'tgw-attach-0bbb0001', state: 'blackhole' },
    ]);
    expect(world.unreachable).toEqual([]);
  });

  it('reports route states as AWS does: pending and filtered of their own, deleting and deleted as missing', async () => {
    seedHealthyWorld();
    eastMock.on(DescribeRouteTablesCommand).resolves({
      RouteTables: [
        {
          RouteTableId: 'rtb-0aaa0001',
          Routes: [{ DestinationCidrBlock: VIP, TransitGatewayId: 'tgw-0aaa0001', State: 'filtered' }],
        },
        { RouteTableId: 'rtb-0aaa0002', Routes: [] },
      ],
    });
    eastMock.on(SearchTransitGatewayRoutesCommand).resolves({
      Routes: [
        {
          DestinationCidrBlock: VIP,
          State: 'pending',
          TransitGatewayAttachments: [{ TransitGatewayAttachmentId: 'tgw-attach-0ccc0001' }],
        },
      ],
    });
    westMock.on(SearchTransitGatewayRoutesCommand).resolves({
      Routes: [
        {
          DestinationCidrBlock: VIP,
          State: 'deleting',
          TransitGatewayAttachments: [{ TransitGatewayAttachmentId: 'tgw-attach-0bbb0001' }],
        },
      ],
    });

    const world = await readWorld(clientFor, topology);

    expect(world.routes).toEqual([
      { table: 'rtb-0aaa0001', vip: VIP, target: 'tgw-0aaa0001', state: 'filtered' },
      { table: 'rtb-0aaa0002', vip: VIP, target: null, state: 'missing' },
      { table: 'rtb-0bbb0001', vip: VIP, target: 'eni-0bbb0001', state: 'active' },
      { table: 'tgw-rtb-0aaa0001', vip: VIP, target: 'tgw-attach-0ccc0001', state: 'pending' },
      { table: 'tgw-rtb-0bbb0001', vip: VIP, target: null, state: 'missing' },
    ]);
  });

  it('finds an IPv6 VIP in DestinationIpv6CidrBlock and TGW DestinationCidrBlock, whatever their spelling', async () => {
    seedHealthyWorld();
    const VIP6 = 'fd00:172:16::1/128';
    const dualStack = { ...topology, vips: [VIP, VIP6] };
    eastMock.on(DescribeRouteTablesCommand).resolves({
      RouteTables: [
        {
          RouteTableId: 'rtb-0aaa0001',
          Routes: [
            { DestinationCidrBlock: VIP, TransitGatewayId: 'tgw-0aaa0001', State: 'active' },
            {
              DestinationIpv6CidrBlock: 'FD00:172:16:0::1/128',
              NetworkInterfaceId: 'eni-0aaa0001',
              State: 'active',
            },
          ],
        },
        // Only the /32 here: the /128 is missing, never taken for the IPv4 route.
        {
          RouteTableId: 'rtb-0aaa0002',
          Routes: [{ DestinationCidrBlock: '172.16.0.1/32', GatewayId: 'igw-0aaa0001' }],
        },
      ],
    });
    eastMock
      .on(SearchTransitGatewayRoutesCommand)
      .callsFake((input: { Filters: { Values: string[] }[] }) => ({
        Routes:
          input.Filters[0]?.Values[0] === VIP6
            ? [
                {
                  DestinationCidrBlock: 'fd00:172:16:0:0:0:0:1/128',
                  State: 'active',
                  TransitGatewayAttachments: [{ TransitGatewayAttachmentId: 'tgw-attach-0ccc0001' }],
                },
              ]
            : [],
      }));

    const world = await readWorld(clientFor, dualStack);

    expect(world.routes.filter((r) => r.vip === VIP6 && r.table.includes('aaa'))).toEqual([
      { table: 'rtb-0aaa0001', vip: VIP6, target: 'eni-0aaa0001', state: 'active' },
      { table: 'rtb-0aaa0002', vip: VIP6, target: null, state: 'missing' },
      { table: 'tgw-rtb-0aaa0001', vip: VIP6, target: 'tgw-attach-0ccc0001', state: 'active' },
    ]);
    await expect(eastMock).toReceiveCommandWith(SearchTransitGatewayRoutesCommand, {
      Filters: [{ Name: 'route-search.exact-match', Values: [VIP6] }],
    });
  });

  it('follows SearchTransitGatewayRoutes pages by NextToken to the route', async () => {
    seedHealthyWorld();
    eastMock
      .on(SearchTransitGatewayRoutesCommand)
      .resolvesOnce({ Routes: [], NextToken: 'page-2' })
      .resolvesOnce({
        Routes: [
          {
            DestinationCidrBlock: VIP,
            State: 'active',
            TransitGatewayAttachments: [{ TransitGatewayAttachmentId: 'tgw-attach-0ccc0001' }],
          },
        ],
      });

    const world = await readWorld(clientFor, topology);

    expect(world.routes.find((r) => r.table === 'tgw-rtb-0aaa0001')).toEqual({
      table: 'tgw-rtb-0aaa0001',
      vip: VIP,
      target: 'tgw-attach-0ccc0001',
      state: 'active',
    });
    expect(eastMock).toHaveReceivedCommandTimes(SearchTransitGatewayRoutesCommand, 2);
    expect(eastMock).toHaveReceivedNthCommandWith(SearchTransitGatewayRoutesCommand, 2, {
      TransitGatewayRouteTableId: 'tgw-rtb-0aaa0001',
      NextToken: 'page-2',
    });
  });

  it('reports attachment, ENI and instance health, the worse side winning for a peering', async () => {
    seedHealthyWorld();

    const world = await readWorld(clientFor, topology);

    expect(world.health).toEqual({
      attachments: {
        'tgw-attach-0aaa0001': 'available',
        'tgw-attach-0bbb0001': 'available',
        'tgw-attach-0ccc0001': 'pendingAcceptance',
      },
      networkInterfaces: {
        'eni-0aaa0001': { status: 'in-use', instance: 'i-0aaa0001' },
        'eni-0bbb0001': { status: 'in-use', instance: 'i-0bbb0001' },
      },
      instances: {
        'i-0aaa0001': { state: 'stopped', sourceDestCheck: true },
        'i-0bbb0001': { state: 'running', sourceDestCheck: false },
      },
    });
  });

  it('asks each region only for its own resources, by ID, with an exact-match route search per table and VIP', async () => {
    seedHealthyWorld();

    await readWorld(clientFor, topology);

    await expect(eastMock).toReceiveCommandExactlyOnceWith(DescribeRouteTablesCommand, {
      RouteTableIds: ['rtb-0aaa0001', 'rtb-0aaa0002'],
    });
    await expect(eastMock).toReceiveCommandExactlyOnceWith(SearchTransitGatewayRoutesCommand, {
      TransitGatewayRouteTableId: 'tgw-rtb-0aaa0001',
      Filters: [{ Name: 'route-search.exact-match', Values: [VIP] }],
    });
    await expect(eastMock).toReceiveCommandExactlyOnceWith(DescribeTransitGatewayAttachmentsCommand, {
      Filters: [
        { Name: 'transit-gateway-attachment-id', Values: ['tgw-attach-0aaa0001', 'tgw-attach-0ccc0001'] },
      ],
    });
    await expect(eastMock).toReceiveCommandExactlyOnceWith(DescribeNetworkInterfacesCommand, {
      Filters: [{ Name: 'network-interface-id', Values: ['eni-0aaa0001'] }],
    });
    await expect(eastMock).toReceiveCommandExactlyOnceWith(DescribeInstancesCommand, {
      Filters: [{ Name: 'instance-id', Values: ['i-0aaa0001'] }],
    });
    await expect(westMock).toReceiveCommandExactlyOnceWith(DescribeRouteTablesCommand, {
      RouteTableIds: ['rtb-0bbb0001'],
    });
    expect(eastMock.calls()).toHaveLength(5);
    expect(westMock.calls()).toHaveLength(5);
  });

  it('follows DescribeRouteTables pagination to the last page', async () => {
    seedHealthyWorld();
    eastMock
      .on(DescribeRouteTablesCommand)
      .resolves({
        RouteTables: [{ RouteTableId: 'rtb-0aaa0001', Routes: [] }],
        NextToken: 'page-2',
      })
      .on(DescribeRouteTablesCommand, { NextToken: 'page-2' })
      .resolves({
        RouteTables: [
          {
            RouteTableId: 'rtb-0aaa0002',
            Routes: [{ DestinationCidrBlock: VIP, TransitGatewayId: 'tgw-0aaa0001', State: 'active' }],
          },
        ],
      });

    const world = await readWorld(clientFor, topology);

    expect(eastMock).toReceiveCommandTimes(DescribeRouteTablesCommand, 2);
    expect(world.routes.find((r) => r.table === 'rtb-0aaa0002')).toEqual({
      table: 'rtb-0aaa0002',
      vip: VIP,
      target: 'tgw-0aaa0001',
      state: 'active',
    });
    expect(world.routes.find((r) => r.table === 'rtb-0aaa0001')?.state).toBe('missing');
  });

  it('reports IDs that AWS does not know as missing', async () => {
    seedHealthyWorld();
    westMock.on(DescribeTransitGatewayAttachmentsCommand).resolves({ TransitGatewayAttachments: [] });
    westMock.on(DescribeNetworkInterfacesCommand).resolves({ NetworkInterfaces: [] });
    westMock.on(DescribeInstancesCommand).resolves({ Reservations: [] });

    const world = await readWorld(clientFor, topology);

    expect(world.health.attachments['tgw-attach-0bbb0001']).toBe('missing');
    // The peering is still known from the other side, but missing on this one.
    expect(world.health.attachments['tgw-attach-0ccc0001']).toBe('missing');
    expect(world.health.networkInterfaces['eni-0bbb0001']).toEqual({ status: 'missing', instance: null });
    expect(world.health.instances['i-0bbb0001']).toEqual({ state: 'missing', sourceDestCheck: true });
  });

  it('throws an Ec2Error naming the table and the AWS code when a route table does not exist', async () => {
    seedHealthyWorld();
    westMock
      .on(DescribeRouteTablesCommand)
      .rejects(awsError('InvalidRouteTableID.NotFound', "The routeTable ID 'rtb-0bbb0001' does not exist"));

    const read = readWorld(clientFor, topology);

    await expect(read).rejects.toThrow(Ec2Error);
    await expect(read).rejects.toMatchObject({
      code: 'InvalidRouteTableID.NotFound',
      region: 'ap-southeast-1',
      errorClass: 'permanent',
      message: expect.stringMatching(/rtb-0bbb0001.*InvalidRouteTableID\.NotFound/),
    });
  });

  it('throws an Ec2Error naming the transit gateway table when it does not exist', async () => {
    seedHealthyWorld();
    eastMock
      .on(SearchTransitGatewayRoutesCommand)
      .rejects(
        awsError(
          'InvalidRouteTableID.NotFound',
          "The transitGatewayRouteTable ID 'tgw-rtb-0aaa0001' does not exist",
        ),
      );

    await expect(readWorld(clientFor, topology)).rejects.toMatchObject({
      name: 'Ec2Error',
      code: 'InvalidRouteTableID.NotFound',
      message: expect.stringContaining('tgw-rtb-0aaa0001'),
    });
  });

  it('throws a permanent Ec2Error carrying the cause when access is denied', async () => {
    seedHealthyWorld();
    const denied = awsError(
      'UnauthorizedOperation',
      'You are not authorized to perform this operation.',
      403,
    );
    eastMock.on(DescribeInstancesCommand).rejects(denied);

    const error = await readWorld(clientFor, topology).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(Ec2Error);
    expect(error).toMatchObject({
      code: 'UnauthorizedOperation',
      region: 'us-east-1',
      errorClass: 'permanent',
    });
    expect((error as Ec2Error).cause).toBe(denied);
  });

  it('marks an unreachable region unknown and keeps reading the others', async () => {
    seedHealthyWorld();
    westMock.reset();
    westMock.onAnyCommand().rejects(networkError('ECONNREFUSED'));

    const world = await readWorld(clientFor, topology);

    expect(world.unreachable).toEqual([
      { region: 'ap-southeast-1', code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:4566' },
    ]);
    expect(world.routes.filter((r) => r.state === 'unknown').map((r) => r.table)).toEqual([
      'rtb-0bbb0001',
      'tgw-rtb-0bbb0001',
    ]);
    expect(world.routes.find((r) => r.table === 'rtb-0aaa0001')?.state).toBe('active');
    expect(world.health.networkInterfaces).not.toHaveProperty('eni-0bbb0001');
    expect(world.health.attachments['tgw-attach-0ccc0001']).toBe('available');
  });

  it('treats a region still throttling after the retry budget as unreachable', async () => {
    seedHealthyWorld();
    westMock
      .on(SearchTransitGatewayRoutesCommand)
      .rejects(awsError('RequestLimitExceeded', 'Request limit exceeded.', 503));

    const world = await readWorld(clientFor, topology);

    expect(world.unreachable).toEqual([
      { region: 'ap-southeast-1', code: 'RequestLimitExceeded', message: 'Request limit exceeded.' },
    ]);
    expect(world.routes.find((r) => r.table === 'rtb-0bbb0001')?.state).toBe('unknown');
  });
});
