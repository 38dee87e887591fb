/**
 * A small in-memory model of the EC2 and Step Functions APIs the tasks use, wired to
 * aws-sdk-client-mock at the client classes (never at our modules). Each region's client sees only
 * that region's resources; a region marked down refuses every call like a dead endpoint.
 */
import {
  CreateRouteCommand,
  CreateTransitGatewayRouteCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeRouteTablesCommand,
  DescribeTransitGatewayAttachmentsCommand,
  DescribeTransitGatewayPeeringAttachmentsCommand,
  DescribeTransitGatewayRouteTablesCommand,
  DescribeTransitGatewaysCommand,
  EC2Client,
  EC2ServiceException,
  ReplaceRouteCommand,
  ReplaceTransitGatewayRouteCommand,
  SearchTransitGatewayRoutesCommand,
} from '@aws-sdk/client-ec2';
import { ListExecutionsCommand, SFNClient, SFNServiceException } from '@aws-sdk/client-sfn';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import type { TaskDeps } from '../../../tasks/deps';
import type { Topology } from '../../../tasks/topology';

export const REGION_A = 'us-east-1';
export const REGION_B = 'ap-southeast-1';
export const VIP = '172.16.0.1/32';
export const ACCOUNT = '123456789012';

export const ID = {
  eniA: 'eni-0aaa0000000000001',
  eniB: 'eni-0bbb0000000000001',
  iA: 'i-0aaa0000000000001',
  iB: 'i-0bbb0000000000001',
  vpcA: 'vpc-0aaa0000000000001',
  vpcB: 'vpc-0bbb0000000000001',
  rtbA1: 'rtb-0aaa0000000000001',
  rtbA2: 'rtb-0aaa0000000000002',
  rtbB1: 'rtb-0bbb0000000000001',
  tgwA: 'tgw-0aaa0000000000001',
  tgwB: 'tgw-0bbb0000000000001',
  tgwRtbA: 'tgw-rtb-0aaa0000000000001',
  tgwRtbB: 'tgw-rtb-0bbb0000000000001',
  attachA: 'tgw-attach-0aaa0000000000001',
  attachB: 'tgw-attach-0bbb0000000000001',
  peering: 'tgw-attach-0ccc0000000000001',
} as const;

/** The seed's topology: VPC-A in us-east-1 and VPC-B in ap-southeast-1, joined by one TGW peering. */
export function twoRegionTopology(): Topology {
  return {
    cluster: 'orders-db',
    account: ACCOUNT,
    vips: [VIP],
    nodes: {
      'server-a': { vpc: 'vpc-a', eni: ID.eniA, instance: ID.iA },
      'server-b': { vpc: 'vpc-b', eni: ID.eniB, instance: ID.iB },
    },
    vpcs: {
      'vpc-a': {
        id: ID.vpcA,
        region: REGION_A,
        cidr: '10.0.0.0/16',
        transitGateway: 'tgw-a',
        attachment: ID.attachA,
        routeTables: [ID.rtbA1, ID.rtbA2],
      },
      'vpc-b': {
        id: ID.vpcB,
        region: REGION_B,
        cidr: '10.1.0.0/16',
        transitGateway: 'tgw-b',
        attachment: ID.attachB,
        routeTables: [ID.rtbB1],
      },
    },
    transitGateways: {
      'tgw-a': { id: ID.tgwA, region: REGION_A, routeTables: [ID.tgwRtbA] },
      'tgw-b': { id: ID.tgwB, region: REGION_B, routeTables: [ID.tgwRtbB] },
    },
    peerings: [{ between: ['tgw-a', 'tgw-b'], attachment: ID.peering }],
  };
}

interface Route {
  target: string;
  state: 'active' | 'blackhole';
}
interface Table {
  region: string;
  kind: 'vpc' | 'tgw';
  owner: string;
  routes: Map<string, Route>;
}

/** The state of the fake AWS; tests change it directly. */
export interface FakeWorld {
  tables: Map<string, Table>;
  attachments: Map<string, { regions: string[]; state: string; tgw: string; type: 'vpc' | 'peering' }>;
  enis: Map<string, { region: string; status: string; instance: string | null }>;
  instances: Map<string, { region: string; state: string; sourceDestCheck: boolean }>;
  down: Set<string>;
  /** Writes to these tables fail with this AWS error code. */
  failWrites: Map<string, string>;
  executions: Map<string, { executionArn: string; name: string; status: string; startDate: Date }[]>;
  /** Regions whose Step Functions API refuses connections. */
  sfnDown: Set<string>;
  /** Regions whose Step Functions API answers every ListExecutions with this error. */
  sfnErrors: Map<string, { name: string; message?: string; status?: number }>;
}

/** The routes of the seed with server-a active, plus one non-VIP route per VPC table. */
export function worldWithServerAActive(): FakeWorld {
  const vpcTable = (region: string, owner: string, target: string): Table => ({
    region,
    kind: 'vpc',
    owner,
    routes: new Map([
      [VIP, { target, state: 'active' }],
      ['0.0.0.0/0', { target: 'igw-0aaa0000000000001', state: 'active' }],
    ]),
  });
  return {
    tables: new Map<string, Table>([
      [ID.rtbA1, vpcTable(REGION_A, ID.vpcA, ID.eniA)],
      [ID.rtbA2, vpcTable(REGION_A, ID.vpcA, ID.eniA)],
      [ID.rtbB1, vpcTable(REGION_B, ID.vpcB, ID.tgwB)],
      [
        ID.tgwRtbA,
        {
          region: REGION_A,
          kind: 'tgw',
          owner: ID.tgwA,
          routes: new Map([[VIP, { target: ID.attachA, state: 'active' }]]),
        },
      ],
      [
        ID.tgwRtbB,
        {
          region: REGION_B,
          kind: 'tgw',
          owner: ID.tgwB,
          routes: new Map([[VIP, { target: ID.peering, state: 'active' }]]),
        },
      ],
    ]),
    attachments: new Map([
      [ID.attachA, { regions: [REGION_A], state: 'available', tgw: ID.tgwA, type: 'vpc' as const }],
      [ID.attachB, { regions: [REGION_B], state: 'available', tgw: ID.tgwB, type: 'vpc' as const }],
      [
        ID.peering,
        { regions: [REGION_A, REGION_B], state: 'available', tgw: ID.tgwA, type: 'peering' as const },
      ],
    ]),
    enis: new Map([
      [ID.eniA, { region: REGION_A, status: 'in-use', instance: ID.iA }],
      [ID.eniB, { region: REGION_B, status: 'in-use', instance: ID.iB }],
    ]),
    instances: new Map([
      [ID.iA, { region: REGION_A, state: 'running', sourceDestCheck: false }],
      [ID.iB, { region: REGION_B, state: 'running', sourceDestCheck: false }],
    ]),
    down: new Set(),
    failWrites: new Map(),
    executions: new Map(),
    sfnDown: new Set(),
    sfnErrors: new Map(),
  };
}

/** Points every VIP route at server-b, as a finished failover to server-b would. */
export function convergeOnServerB(world: FakeWorld): void {
  const set = (table: string, target: string) =>
    world.tables.get(table)?.routes.set(VIP, { target, state: 'active' });
  set(ID.rtbA1, ID.tgwA);
  set(ID.rtbA2, ID.tgwA);
  set(ID.rtbB1, ID.eniB);
  set(ID.tgwRtbA, ID.peering);
  set(ID.tgwRtbB, ID.attachB);
}

const awsError = (name: string, message: string, status = 400) =>
  new EC2ServiceException({ name, message, $fault: 'client', $metadata: { httpStatusCode: status } });

const connectionRefused = (region: string) =>
  Object.assign(new Error(`connect ECONNREFUSED ec2.${region}.amazonaws.com:443`), {
    code: 'ECONNREFUSED',
    name: 'Error',
  });

type Filter = { Name?: string; Values?: string[] };
const filterValues = (filters: Filter[] | undefined, name: string): string[] | undefined =>
  filters?.find((f) => f.Name === name)?.Values;

/** IDs asked for, by parameter or by filter; undefined means "all". */
const wanted = (ids: string[] | undefined, filters: Filter[] | undefined, filterName: string) =>
  ids ?? filterValues(filters, filterName);

export interface FakeAws {
  world: FakeWorld;
  ec2: AwsClientStub<EC2Client>;
  sfn: AwsClientStub<SFNClient>;
  deps: TaskDeps;
  /** Every route write sent, in order, with its region. */
  writes: { region: string; command: string; table: string; destination: string; target: string }[];
  /** What the tasks logged (deps.log). */
  logs: Record<string, unknown>[];
  /** The tasks' clock (deps.now): it stands still unless a test moves it. */
  clock: { advance(ms: number): void; readonly now: Date };
  /** Called after each route write is recorded (a test can move the clock there). */
  onWrite?: () => void;
}

export function fakeAws(world: FakeWorld, start = new Date('2026-11-25T12:04:00.000Z')): FakeAws {
  let now = start;
  const clock = {
    advance: (ms: number) => {
      now = new Date(now.getTime() + ms);
    },
    get now() {
      return now;
    },
  };
  const ec2 = mockClient(EC2Client);
  const sfn = mockClient(SFNClient);
  const writes: FakeAws['writes'] = [];
  const logs: FakeAws['logs'] = [];
  const regionOf = async (getClient: () => { config: { region: unknown } }): Promise<string> => {
    const region = getClient().config.region;
    const value = typeof region === 'function' ? await region() : region;
    return String(value);
  };

  /** Wraps a handler: refuse when the region is down, otherwise answer from the world. */
  const answer =
    <I>(fn: (input: I, region: string) => unknown) =>
    async (input: I, getClient: () => { config: { region: unknown } }) => {
      const region = await regionOf(getClient);
      if (world.down.has(region)) throw connectionRefused(region);
      return fn(input, region);
    };

  const tablesIn = (region: string, kind: 'vpc' | 'tgw') =>
    [...world.tables.entries()].filter(([, t]) => t.region === region && t.kind === kind);

  const describeTables = (ids: string[] | undefined, region: string, kind: 'vpc' | 'tgw') => {
    const here = tablesIn(region, kind);
    for (const id of ids ?? []) {
      if (!here.some(([tid]) => tid === id)) {
        throw awsError('InvalidRouteTableID.NotFound', `The routeTable ID '${id}' does not exist`);
      }
    }
    return here.filter(([id]) => !ids || ids.includes(id));
  };

  ec2.onAnyCommand().callsFake((input) => {
    throw new Error(`fake EC2 does not model this command: ${JSON.stringify(input)}`);
  });

  ec2.on(DescribeRouteTablesCommand).callsFake(
    answer((input: { RouteTableIds?: string[]; Filters?: Filter[] }, region) => ({
      RouteTables: describeTables(
        wanted(input.RouteTableIds, input.Filters, 'route-table-id'),
        region,
        'vpc',
      ).map(([id, t]) => ({
        RouteTableId: id,
        VpcId: t.owner,
        Routes: [...t.routes.entries()].map(([destination, r]) => ({
          DestinationCidrBlock: destination,
          State: r.state,
          Origin: 'CreateRoute',
          ...(r.target.startsWith('eni-')
            ? { NetworkInterfaceId: r.target }
            : r.target.startsWith('tgw-')
              ? { TransitGatewayId: r.target }
              : { GatewayId: r.target }),
        })),
      })),
    })),
  );

  ec2.on(DescribeTransitGatewayRouteTablesCommand).callsFake(
    answer((input: { TransitGatewayRouteTableIds?: string[]; Filters?: Filter[] }, region) => ({
      TransitGatewayRouteTables: describeTables(
        wanted(input.TransitGatewayRouteTableIds, input.Filters, 'transit-gateway-route-table-id'),
        region,
        'tgw',
      ).map(([id, t]) => ({ TransitGatewayRouteTableId: id, TransitGatewayId: t.owner, State: 'available' })),
    })),
  );

  ec2.on(SearchTransitGatewayRoutesCommand).callsFake(
    answer((input: { TransitGatewayRouteTableId: string; Filters?: Filter[] }, region) => {
      const [[, table] = []] = describeTables([input.TransitGatewayRouteTableId], region, 'tgw');
      const exact = filterValues(input.Filters, 'route-search.exact-match');
      const routes = [...(table?.routes.entries() ?? [])].filter(([d]) => !exact || exact.includes(d));
      return {
        Routes: routes.map(([destination, r]) => ({
          DestinationCidrBlock: destination,
          State: r.state,
          Type: 'static',
          TransitGatewayAttachments: [
            {
              TransitGatewayAttachmentId: r.target,
              ResourceType: world.attachments.get(r.target)?.type === 'peering' ? 'peering' : 'vpc',
            },
          ],
        })),
        AdditionalRoutesAvailable: false,
      };
    }),
  );

  const attachmentsIn = (region: string, ids: string[] | undefined, type?: 'vpc' | 'peering') =>
    [...world.attachments.entries()]
      .filter(
        ([id, a]) => a.regions.includes(region) && (!ids || ids.includes(id)) && (!type || a.type === type),
      )
      .map(([id, a]) => ({
        TransitGatewayAttachmentId: id,
        TransitGatewayId: a.tgw,
        State: a.state,
        ResourceType: a.type,
      }));

  ec2.on(DescribeTransitGatewayAttachmentsCommand).callsFake(
    answer((input: { TransitGatewayAttachmentIds?: string[]; Filters?: Filter[] }, region) => ({
      TransitGatewayAttachments: attachmentsIn(
        region,
        wanted(input.TransitGatewayAttachmentIds, input.Filters, 'transit-gateway-attachment-id'),
      ),
    })),
  );

  ec2.on(DescribeTransitGatewayPeeringAttachmentsCommand).callsFake(
    answer((input: { TransitGatewayAttachmentIds?: string[]; Filters?: Filter[] }, region) => ({
      TransitGatewayPeeringAttachments: attachmentsIn(
        region,
        wanted(input.TransitGatewayAttachmentIds, input.Filters, 'transit-gateway-attachment-id'),
        'peering',
      ),
    })),
  );

  ec2.on(DescribeTransitGatewaysCommand).callsFake(
    answer((_input: unknown, region) => ({
      TransitGateways: [ID.tgwA, ID.tgwB]
        .filter((id) => (id === ID.tgwA ? REGION_A : REGION_B) === region)
        .map((id) => ({ TransitGatewayId: id, State: 'available' })),
    })),
  );

  ec2.on(DescribeNetworkInterfacesCommand).callsFake(
    answer((input: { NetworkInterfaceIds?: string[]; Filters?: Filter[] }, region) => {
      const ids = wanted(input.NetworkInterfaceIds, input.Filters, 'network-interface-id');
      const here = [...world.enis.entries()].filter(
        ([id, e]) => e.region === region && (!ids || ids.includes(id)),
      );
      const missing = input.NetworkInterfaceIds?.filter((id) => !here.some(([hid]) => hid === id)) ?? [];
      if (missing.length > 0) {
        throw awsError(
          'InvalidNetworkInterfaceID.NotFound',
          `The networkInterface ID '${missing[0]}' does not exist`,
        );
      }
      return {
        NetworkInterfaces: here.map(([id, e]) => ({
          NetworkInterfaceId: id,
          Status: e.status,
          SourceDestCheck: world.instances.get(e.instance ?? '')?.sourceDestCheck ?? true,
          ...(e.instance ? { Attachment: { InstanceId: e.instance, Status: 'attached' } } : {}),
        })),
      };
    }),
  );

  ec2.on(DescribeInstancesCommand).callsFake(
    answer((input: { InstanceIds?: string[]; Filters?: Filter[] }, region) => {
      const ids = wanted(input.InstanceIds, input.Filters, 'instance-id');
      const here = [...world.instances.entries()].filter(
        ([id, i]) => i.region === region && (!ids || ids.includes(id)),
      );
      const missing = input.InstanceIds?.filter((id) => !here.some(([hid]) => hid === id)) ?? [];
      if (missing.length > 0) {
        throw awsError('InvalidInstanceID.NotFound', `The instance ID '${missing[0]}' does not exist`);
      }
      return {
        Reservations: here.map(([id, i]) => ({
          Instances: [{ InstanceId: id, State: { Name: i.state }, SourceDestCheck: i.sourceDestCheck }],
        })),
      };
    }),
  );

  ec2.on(DescribeInstanceAttributeCommand).callsFake(
    answer((input: { InstanceId: string }, region) => {
      const instance = world.instances.get(input.InstanceId);
      if (!instance || instance.region !== region) {
        throw awsError('InvalidInstanceID.NotFound', `The instance ID '${input.InstanceId}' does not exist`);
      }
      return { InstanceId: input.InstanceId, SourceDestCheck: { Value: instance.sourceDestCheck } };
    }),
  );

  const write =
    (command: string, kind: 'vpc' | 'tgw', mustExist: boolean) =>
    (table: string, destination: string, target: string, region: string) => {
      const t = world.tables.get(table);
      if (!t || t.region !== region || t.kind !== kind) {
        throw awsError('InvalidRouteTableID.NotFound', `The routeTable ID '${table}' does not exist`);
      }
      const code = world.failWrites.get(table);
      if (code) throw awsError(code, `You are not authorized to perform this operation on ${table}.`, 403);
      const exists = t.routes.has(destination);
      if (mustExist && !exists) {
        throw awsError(
          'InvalidParameterValue',
          `There is no route defined for '${destination}' in the route table.`,
        );
      }
      if (!mustExist && exists) {
        throw awsError('RouteAlreadyExists', `The route identified by ${destination} already exists.`);
      }
      writes.push({ region, command, table, destination, target });
      t.routes.set(destination, { target, state: 'active' });
      fake.onWrite?.();
      return {};
    };

  const vpcTarget = (input: { NetworkInterfaceId?: string; TransitGatewayId?: string }) =>
    input.NetworkInterfaceId ?? input.TransitGatewayId ?? '';
  type VpcWrite = {
    RouteTableId: string;
    DestinationCidrBlock: string;
    NetworkInterfaceId?: string;
    TransitGatewayId?: string;
  };
  type TgwWrite = {
    TransitGatewayRouteTableId: string;
    DestinationCidrBlock: string;
    TransitGatewayAttachmentId: string;
  };

  ec2
    .on(CreateRouteCommand)
    .callsFake(
      answer((input: VpcWrite, region) =>
        write('CreateRoute', 'vpc', false)(
          input.RouteTableId,
          input.DestinationCidrBlock,
          vpcTarget(input),
          region,
        ),
      ),
    );
  ec2
    .on(ReplaceRouteCommand)
    .callsFake(
      answer((input: VpcWrite, region) =>
        write('ReplaceRoute', 'vpc', true)(
          input.RouteTableId,
          input.DestinationCidrBlock,
          vpcTarget(input),
          region,
        ),
      ),
    );
  ec2.on(CreateTransitGatewayRouteCommand).callsFake(
    answer((input: TgwWrite, region) => {
      write('CreateTransitGatewayRoute', 'tgw', false)(
        input.TransitGatewayRouteTableId,
        input.DestinationCidrBlock,
        input.TransitGatewayAttachmentId,
        region,
      );
      return { Route: { DestinationCidrBlock: input.DestinationCidrBlock, State: 'active' } };
    }),
  );
  ec2.on(ReplaceTransitGatewayRouteCommand).callsFake(
    answer((input: TgwWrite, region) => {
      write('ReplaceTransitGatewayRoute', 'tgw', true)(
        input.TransitGatewayRouteTableId,
        input.DestinationCidrBlock,
        input.TransitGatewayAttachmentId,
        region,
      );
      return { Route: { DestinationCidrBlock: input.DestinationCidrBlock, State: 'active' } };
    }),
  );

  sfn.onAnyCommand().callsFake((input) => {
    throw new Error(`fake Step Functions does not model this command: ${JSON.stringify(input)}`);
  });
  sfn.on(ListExecutionsCommand).callsFake(async (input: { stateMachineArn: string }, getClient) => {
    const region = await regionOf(getClient);
    if (world.sfnDown.has(region)) {
      throw Object.assign(new Error(`connect ECONNREFUSED (states.${region})`), { code: 'ECONNREFUSED' });
    }
    const refusal = world.sfnErrors.get(region);
    if (refusal) {
      throw new SFNServiceException({
        name: refusal.name,
        message: refusal.message ?? refusal.name,
        $fault: (refusal.status ?? 400) >= 500 ? 'server' : 'client',
        $metadata: { httpStatusCode: refusal.status ?? 400 },
      });
    }
    const executions = [...(world.executions.get(input.stateMachineArn) ?? [])].sort(
      (a, b) => b.startDate.getTime() - a.startDate.getTime(),
    );
    return { executions: executions.map((e) => ({ ...e, stateMachineArn: input.stateMachineArn })) };
  });

  const ec2Clients = new Map<string, EC2Client>();
  const sfnClients = new Map<string, SFNClient>();
  const deps: TaskDeps = {
    ec2: (region) => {
      const client = ec2Clients.get(region) ?? new EC2Client({ region, maxAttempts: 1 });
      ec2Clients.set(region, client);
      return client;
    },
    sfn: (region) => {
      const client = sfnClients.get(region) ?? new SFNClient({ region, maxAttempts: 1 });
      sfnClients.set(region, client);
      return client;
    },
    now: () => now,
    // A fake refusal lasts: waiting out throttling would only make the tests slow.
    guard: { throttledBudgetMs: () => 0 },
    log: (record) => logs.push(record),
  };
  const fake: FakeAws = { world, ec2, sfn, deps, writes, logs, clock };
  return fake;
}

export const stateMachine = (region: string) =>
  `arn:aws:states:${region}:${ACCOUNT}:stateMachine:vip-failover-orders-db`;

export const OWN_NAME = 'server-b-20261125T120356123';
export const OWN_EXECUTION = {
  id: `arn:aws:states:${REGION_B}:${ACCOUNT}:execution:vip-failover-orders-db:${OWN_NAME}`,
  startTime: '2026-11-25T12:03:57.000Z',
};

/** A valid execution input to fail over to server-b. */
export const failoverToB = () => ({
  target: 'server-b',
  reason: 'server-a stopped responding',
  requestedBy: 'clusterd@server-b',
  requestedAt: '2026-11-25T12:03:56.123Z',
});

/** EC2 commands sent, by name. */
export const ec2CommandNames = (aws: FakeAws): string[] =>
  aws.ec2.calls().map((call) => (call.args[0] as { constructor: { name: string } }).constructor.name);
