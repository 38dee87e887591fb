import 'aws-sdk-client-mock-vitest/extend';
import {
  CreateRouteCommand,
  CreateTransitGatewayRouteCommand,
  DescribeInstancesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeRouteTablesCommand,
  DescribeTransitGatewayAttachmentsCommand,
  EC2Client,
  EC2ServiceException,
  ReplaceRouteCommand,
  ReplaceTransitGatewayRouteCommand,
  SearchTransitGatewayRoutesCommand,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { applyChanges, classifyError, Ec2Error, ec2ClientFor, readWorld } from '../../tasks/ec2';
import type { Change } from '../../tasks/plan';
import { Topology } from '../../tasks/topology';

const VIP = '172.16.0.1/32';

const topology = Topology.parse({
  cluster: 'orders-db',
  vips: [VIP],
  nodes: {
    'server-a': { vpc: 'vpc-a', eni: 'eni-0aaa0001', instance: 'i-0aaa0001' },
    'server-b': { vpc: 'vpc-b', eni: 'eni-0bbb0001', instance: 'i-0bbb0001' },
  },
  vpcs: {
    'vpc-a': {
      id: 'vpc-0aaa0001',
      region: 'us-east-1',
      cidr: '10.0.0.0/16',
      transitGateway: 'tgw-a',
      attachment: 'tgw-attach-0aaa0001',
      routeTables: ['rtb-0aaa0001', 'rtb-0aaa0002'],
    },
    'vpc-b': {
      id: 'vpc-0bbb0001',
      region: 'ap-southeast-1',
      cidr: '10.1.0.0/16',
      transitGateway: 'tgw-b',
      attachment: 'tgw-attach-0bbb0001',
      routeTables: ['rtb-0bbb0001'],
    },
  },
  transitGateways: {
    'tgw-a': { id: 'tgw-0aaa0001', region: 'us-east-1', routeTables: ['tgw-rtb-0aaa0001'] },
    'tgw-b': { id: 'tgw-0bbb0001', region: 'ap-southeast-1', routeTables: ['tgw-rtb-0bbb0001'] },
  },
  peerings: [{ between: ['tgw-a', 'tgw-b'], attachment: 'tgw-attach-0ccc0001' }],
});

/** An error as the SDK builds it from an EC2 error response. */
function awsError(code: string, message: string, status = 400, attempts = 1): EC2ServiceException {
  return new EC2ServiceException({
    name: code,
    message,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status, attempts },
  });
}

/** A Node connection error as the HTTP handler raises it. */
function networkError(code: string): Error {
  return Object.assign(new Error(`connect ${code} 127.0.0.1:4566`), { code, $metadata: { attempts: 4 } });
}

const east = new EC2Client({ region: 'us-east-1' });
const west = new EC2Client({ region: 'ap-southeast-1' });
const eastMock = mockClient(east);
const westMock = mockClient(west);
const clientFor = (region: string) => (region === 'us-east-1' ? east : west);

/** Both regions healthy: server-b is active (the seed example). */
function seedHealthyWorld() {
  eastMock.on(DescribeRouteTablesCommand).resolves({
    RouteTables: [
      {
        RouteTableId: 'rtb-0aaa0001',
        Routes: [
          { DestinationCidrBlock: '10.0.0.0/16', GatewayId: 'local', State: 'active' },
          { DestinationCidrBlock: VIP, TransitGatewayId: 'tgw-0aaa0001', State: 'active' },
        ],
      },
      { RouteTableId: 'rtb-0aaa0002', Routes: [{ DestinationCidrBlock: '10.0.0.0/16', GatewayId: 'local' }] },
    ],
  });
  eastMock.on(SearchTransitGatewayRoutesCommand).resolves({
    Routes: [
      {
        DestinationCidrBlock: VIP,
        State: 'active',
        Type: 'static',
        TransitGatewayAttachments: [
          { TransitGatewayAttachmentId: 'tgw-attach-0ccc0001', ResourceType: 'peering' },
        ],
      },
    ],
  });
  eastMock.on(DescribeTransitGatewayAttachmentsCommand).resolves({
    TransitGatewayAttachments: [
      { TransitGatewayAttachmentId: 'tgw-attach-0aaa0001', State: 'available' },
      { TransitGatewayAttachmentId: 'tgw-attach-0ccc0001', State: 'available' },
    ],
  });
  eastMock.on(DescribeNetworkInterfacesCommand).resolves({
    NetworkInterfaces: [
      { NetworkInterfaceId: 'eni-0aaa0001', Status: 'in-use', Attachment: { InstanceId: 'i-0aaa0001' } },
    ],
  });
  eastMock.on(DescribeInstancesCommand).resolves({
    Reservations: [
      {
        Instances: [
          { InstanceId: 'i-0aaa0001', State: { Name: 'stopped', Code: 80 }, SourceDestCheck: true },
        ],
      },
    ],
  });

  westMock.on(DescribeRouteTablesCommand).resolves({
    RouteTables: [
      {
        RouteTableId: 'rtb-0bbb0001',
        Routes: [
          // An instance route reports both the instance and its ENI.
          {
            DestinationCidrBlock: VIP,
            InstanceId: 'i-0bbb0001',
            NetworkInterfaceId: 'eni-0bbb0001',
            State: 'active',
          },
        ],
      },
    ],
  });
  westMock.on(SearchTransitGatewayRoutesCommand).resolves({
    Routes: [
      {
        DestinationCidrBlock: VIP,
        State: 'blackhole',
        TransitGatewayAttachments: [{ TransitGatewayAttachmentId: 'tgw-attach-0bbb0001' }],
      },
    ],
  });
  westMock.on(DescribeTransitGatewayAttachmentsCommand).resolves({
    TransitGatewayAttachments: [
      { TransitGatewayAttachmentId: 'tgw-attach-0bbb0001', State: 'available' },
      { TransitGatewayAttachmentId: 'tgw-attach-0ccc0001', State: 'pendingAcceptance' },
    ],
  });
  westMock.on(DescribeNetworkInterfacesCommand).resolves({
    NetworkInterfaces: [
      { NetworkInterfaceId: 'eni-0bbb0001', Status: 'in-use', Attachment: { InstanceId: 'i-0bbb0001' } },
    ],
  });
  westMock.on(DescribeInstancesCommand).resolves({
    Reservations: [
      {
        Instances: [
          { InstanceId: 'i-0bbb0001', State: { Name: 'running', Code: 16 }, SourceDestCheck: false },
        ],
      },
    ],
  });
}

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

function change(overrides: Partial<Change>): Change {
  return {
    table: 'rtb-0aaa0001',
    kind: 'vpc',
    region: 'us-east-1',
    vip: VIP,
    step: 'local-vpc',
    wave: 0,
    action: 'replace',
    previous: 'eni-0bbb0001',
    previousState: 'active',
    target: 'eni-0aaa0001',
    ...overrides,
  };
}

describe('applyChanges', () => {
  it('replaces each route with the parameter its target kind needs', async () => {
    eastMock.onAnyCommand().resolves({ $metadata: { attempts: 1 } });
    const changes = [
      change({}),
      change({ table: 'rtb-0aaa0002', target: 'tgw-0aaa0001', step: 'remote-vpc' }),
      change({ table: 'tgw-rtb-0aaa0001', kind: 'tgw', target: 'tgw-attach-0aaa0001', step: 'tgw' }),
    ];

    const results = await applyChanges(clientFor, changes);

    expect(results.map((r) => [r.table, r.result, r.action, r.attempts])).toEqual([
      ['rtb-0aaa0001', 'applied', 'replace', 1],
      ['rtb-0aaa0002', 'applied', 'replace', 1],
      ['tgw-rtb-0aaa0001', 'applied', 'replace', 1],
    ]);
    await expect(eastMock).toReceiveCommandWith(ReplaceRouteCommand, {
      RouteTableId: 'rtb-0aaa0001',
      DestinationCidrBlock: VIP,
      NetworkInterfaceId: 'eni-0aaa0001',
    });
    await expect(eastMock).toReceiveCommandWith(ReplaceRouteCommand, {
      RouteTableId: 'rtb-0aaa0002',
      DestinationCidrBlock: VIP,
      TransitGatewayId: 'tgw-0aaa0001',
    });
    await expect(eastMock).toReceiveCommandExactlyOnceWith(ReplaceTransitGatewayRouteCommand, {
      TransitGatewayRouteTableId: 'tgw-rtb-0aaa0001',
      DestinationCidrBlock: VIP,
      TransitGatewayAttachmentId: 'tgw-attach-0aaa0001',
    });
    // Exactly one target parameter per VPC write.
    expect(
      eastMock.commandCalls(ReplaceRouteCommand).map((c) => Object.keys(c.args[0].input).sort()),
    ).toEqual([
      ['DestinationCidrBlock', 'NetworkInterfaceId', 'RouteTableId'],
      ['DestinationCidrBlock', 'RouteTableId', 'TransitGatewayId'],
    ]);
  });

  it('creates a VPC route that a replace finds missing, counting the attempts of both calls', async () => {
    eastMock
      .on(ReplaceRouteCommand)
      .rejects(
        awsError(
          'InvalidParameterValue',
          "There is no route defined for '172.16.0.1/32' in the route table. Use CreateRoute instead.",
          400,
          1,
        ),
      )
      .on(CreateRouteCommand)
      .resolves({ Return: true, $metadata: { attempts: 2 } });

    const [result] = await applyChanges(clientFor, [change({})]);

    expect(result).toMatchObject({ result: 'applied', action: 'create', attempts: 3 });
    await expect(eastMock).toReceiveCommandExactlyOnceWith(CreateRouteCommand, {
      RouteTableId: 'rtb-0aaa0001',
      DestinationCidrBlock: VIP,
      NetworkInterfaceId: 'eni-0aaa0001',
    });
  });

  it('creates a transit gateway route that a replace finds missing', async () => {
    eastMock
      .on(ReplaceTransitGatewayRouteCommand)
      .rejects(
        awsError(
          'InvalidRoute.NotFound',
          'Route 172.16.0.1/32 does not exist in Transit Gateway Route Table tgw-rtb-0aaa0001.',
        ),
      )
      .on(CreateTransitGatewayRouteCommand)
      .resolves({ $metadata: { attempts: 1 } });

    const [result] = await applyChanges(clientFor, [
      change({ table: 'tgw-rtb-0aaa0001', kind: 'tgw', step: 'tgw', target: 'tgw-attach-0aaa0001' }),
    ]);

    expect(result).toMatchObject({ result: 'applied', action: 'create', attempts: 2 });
    await expect(eastMock).toReceiveCommandExactlyOnceWith(CreateTransitGatewayRouteCommand, {
      TransitGatewayRouteTableId: 'tgw-rtb-0aaa0001',
      DestinationCidrBlock: VIP,
      TransitGatewayAttachmentId: 'tgw-attach-0aaa0001',
    });
  });

  it('replaces a route that a create finds already there, for VPC and transit gateway tables', async () => {
    eastMock
      .on(CreateRouteCommand)
      .rejects(awsError('RouteAlreadyExists', 'The route identified by 172.16.0.1/32 already exists.'))
      .on(CreateTransitGatewayRouteCommand)
      .rejects(
        awsError(
          'RouteAlreadyExists',
          'Route 172.16.0.1/32 already exists in Transit Gateway Route Table tgw-rtb-0aaa0001.',
        ),
      )
      .on(ReplaceRouteCommand)
      .resolves({})
      .on(ReplaceTransitGatewayRouteCommand)
      .resolves({});

    const results = await applyChanges(clientFor, [
      change({ action: 'create', previous: null, previousState: 'missing' }),
      change({
        table: 'tgw-rtb-0aaa0001',
        kind: 'tgw',
        step: 'tgw',
        action: 'create',
        target: 'tgw-attach-0aaa0001',
      }),
    ]);

    expect(results.map((r) => [r.result, r.action, r.attempts])).toEqual([
      ['applied', 'replace', 2],
      ['applied', 'replace', 2],
    ]);
    expect(eastMock).toReceiveCommandOnce(ReplaceRouteCommand);
    expect(eastMock).toReceiveCommandOnce(ReplaceTransitGatewayRouteCommand);
  });

  it('reports a permanent error as failed with the AWS code, without a fallback', async () => {
    eastMock
      .on(ReplaceRouteCommand)
      .rejects(
        awsError(
          'InvalidParameterValue',
          'Value (eni-0aaa0001) for parameter networkInterfaceId is invalid.',
        ),
      )
      .on(ReplaceTransitGatewayRouteCommand)
      .rejects(awsError('UnauthorizedOperation', 'You are not authorized to perform this operation.', 403));

    const results = await applyChanges(clientFor, [
      change({}),
      change({ table: 'tgw-rtb-0aaa0001', kind: 'tgw', step: 'tgw', target: 'tgw-attach-0aaa0001' }),
    ]);

    expect(results).toMatchObject([
      { result: 'failed', action: 'replace', code: 'InvalidParameterValue', attempts: 1 },
      {
        result: 'failed',
        action: 'replace',
        code: 'UnauthorizedOperation',
        message: 'You are not authorized to perform this operation.',
      },
    ]);
    expect(eastMock).not.toReceiveCommand(CreateRouteCommand);
    expect(eastMock).not.toReceiveCommand(CreateTransitGatewayRouteCommand);
  });

  it('reports changes of an unreachable region as unreachable and stops sending to it', async () => {
    eastMock.onAnyCommand().resolves({});
    westMock.onAnyCommand().rejects(networkError('ECONNREFUSED'));
    const westChanges = Array.from({ length: 130 }, (_, i) =>
      change({
        table: `rtb-0bbb${String(i).padStart(4, '0')}`,
        region: 'ap-southeast-1',
        step: 'remote-vpc',
        target: 'tgw-0bbb0001',
      }),
    );

    const results = await applyChanges(clientFor, [change({}), ...westChanges]);

    expect(results[0]).toMatchObject({ result: 'applied' });
    expect(results.slice(1).every((r) => r.result === 'unreachable' && r.code === 'ECONNREFUSED')).toBe(true);
    // The first failures latch the region; queued writes are not sent.
    expect(westMock.calls().length).toBeLessThan(westChanges.length);
  });

  it('reports writes still throttled after the retry budget as unreachable with the AWS code', async () => {
    eastMock
      .on(ReplaceRouteCommand)
      .rejects(awsError('RequestLimitExceeded', 'Request limit exceeded.', 503, 7));

    const [result] = await applyChanges(clientFor, [change({})]);

    expect(result).toMatchObject({ result: 'unreachable', code: 'RequestLimitExceeded', attempts: 7 });
  });

  it('writes only the VIP destination of each change and never deletes', async () => {
    eastMock.onAnyCommand().resolves({});
    const changes = [
      change({}),
      change({ vip: '172.16.0.2/32', table: 'rtb-0aaa0002' }),
      change({
        table: 'tgw-rtb-0aaa0001',
        kind: 'tgw',
        step: 'tgw',
        target: 'tgw-attach-0aaa0001',
        action: 'create',
      }),
    ];

    await applyChanges(clientFor, changes);

    const written = eastMock.calls().map((c) => {
      const input = c.args[0].input as {
        DestinationCidrBlock?: string;
        RouteTableId?: string;
        TransitGatewayRouteTableId?: string;
      };
      return [
        c.args[0].constructor.name,
        input.RouteTableId ?? input.TransitGatewayRouteTableId,
        input.DestinationCidrBlock,
      ];
    });
    expect(written).toEqual([
      ['ReplaceRouteCommand', 'rtb-0aaa0001', VIP],
      ['ReplaceRouteCommand', 'rtb-0aaa0002', '172.16.0.2/32'],
      ['CreateTransitGatewayRouteCommand', 'tgw-rtb-0aaa0001', VIP],
    ]);
  });

  it('refuses a change whose destination is not a /32 or whose target does not fit the table, sending nothing', async () => {
    eastMock.onAnyCommand().resolves({});

    const results = await applyChanges(clientFor, [
      change({ vip: '0.0.0.0/0' }),
      change({ target: 'tgw-attach-0aaa0001' }),
      change({ table: 'tgw-rtb-0aaa0001', kind: 'tgw', step: 'tgw', target: 'eni-0aaa0001' }),
    ]);

    expect(results.map((r) => [r.result, r.code, r.attempts])).toEqual([
      ['failed', 'InvalidVip', 0],
      ['failed', 'InvalidTarget', 0],
      ['failed', 'InvalidTarget', 0],
    ]);
    expect(eastMock.calls()).toHaveLength(0);
  });

  it('keeps at most maxInFlight calls in flight per region and still completes every change', async () => {
    const paced = ec2ClientFor({ maxInFlight: 3 })('eu-west-1');
    const pacedMock = mockClient(paced);
    let inFlight = 0;
    let peak = 0;
    pacedMock.on(ReplaceRouteCommand).callsFake(async () => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 2));
      inFlight--;
      return {};
    });
    const changes = Array.from({ length: 40 }, (_, i) =>
      change({ table: `rtb-0eee${String(i).padStart(4, '0')}`, region: 'eu-west-1' }),
    );

    const results = await applyChanges(() => paced, changes);

    expect(results.every((r) => r.result === 'applied')).toBe(true);
    expect(pacedMock.commandCalls(ReplaceRouteCommand)).toHaveLength(40);
    expect(peak).toBe(3);
    pacedMock.restore();
  });
});

describe('classifyError', () => {
  it.each([
    [awsError('RequestLimitExceeded', 'Request limit exceeded.', 503), 'transient'],
    [awsError('Throttling', 'Rate exceeded', 400), 'transient'],
    [awsError('InternalError', 'An internal error has occurred', 500), 'transient'],
    [awsError('Unavailable', 'The server is overloaded', 503), 'transient'],
    [awsError('SomethingNew', 'a new 5xx', 502), 'transient'],
    [awsError('UnauthorizedOperation', 'You are not authorized', 403), 'permanent'],
    [
      awsError('AuthFailure', 'AWS was not able to validate the provided access credentials', 401),
      'permanent',
    ],
    [awsError('InvalidRouteTableID.NotFound', "The routeTable ID 'rtb-1' does not exist"), 'permanent'],
    [awsError('InvalidParameterValue', 'bad value'), 'permanent'],
    [awsError('InvalidParameterCombination', 'bad combination'), 'permanent'],
    [awsError('SomethingElse', 'any other 4xx', 409), 'permanent'],
    [networkError('ECONNREFUSED'), 'unreachable'],
    [networkError('ENOTFOUND'), 'unreachable'],
    [networkError('EAI_AGAIN'), 'unreachable'],
    [
      Object.assign(new Error('Socket timed out without establishing a connection'), {
        name: 'TimeoutError',
      }),
      'unreachable',
    ],
    [Object.assign(new Error('This operation was aborted'), { name: 'AbortError' }), 'unreachable'],
  ])('classifies %s as %s', (error, expected) => {
    expect(classifyError(error).class).toBe(expected);
  });

  it('keeps the AWS code and message', () => {
    expect(
      classifyError(awsError('InvalidRouteTableID.NotFound', "The routeTable ID 'rtb-1' does not exist")),
    ).toEqual({
      class: 'permanent',
      code: 'InvalidRouteTableID.NotFound',
      message: "The routeTable ID 'rtb-1' does not exist",
    });
  });

  it('finds a connection refusal inside an aggregated connect error', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED ::1:4566'), { code: 'ECONNREFUSED' });
    const aggregate = Object.assign(new AggregateError([refused], ''), { code: 'ECONNREFUSED' });

    expect(classifyError(aggregate)).toEqual({
      class: 'unreachable',
      code: 'ECONNREFUSED',
      message: 'connect ECONNREFUSED ::1:4566',
    });
  });

  it('returns the classification an Ec2Error already carries', () => {
    const error = new Ec2Error('reading us-east-1', {
      code: 'AuthFailure',
      region: 'us-east-1',
      errorClass: 'permanent',
    });

    expect(classifyError(error)).toEqual({
      class: 'permanent',
      code: 'AuthFailure',
      message: 'reading us-east-1',
    });
  });
});

describe('ec2ClientFor', () => {
  it('builds one client per region and reuses it', async () => {
    const clientForRegion = ec2ClientFor({ endpoint: 'http://127.0.0.1:4566' });

    const a = clientForRegion('us-east-1');
    const b = clientForRegion('ap-southeast-1');

    expect(clientForRegion('us-east-1')).toBe(a);
    expect(b).not.toBe(a);
    expect(await a.config.region()).toBe('us-east-1');
    expect(await b.config.region()).toBe('ap-southeast-1');
    const endpoint = await a.config.endpoint?.();
    expect(endpoint?.hostname).toBe('127.0.0.1');
    expect(endpoint?.port).toBe(4566);
  });
});
