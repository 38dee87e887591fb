/**
 * Runs the synthesized ASL under aws-local-stepfunctions with the real task handler. EC2 and Step
 * Functions are mocked at the SDK port; behind the EC2 mock sits a small in-memory route world.
 */
import '../../local/polyfills';
import {
  CreateRouteCommand,
  CreateTransitGatewayRouteCommand,
  DescribeInstancesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeRouteTablesCommand,
  DescribeTransitGatewayAttachmentsCommand,
  EC2Client,
  ReplaceRouteCommand,
  ReplaceTransitGatewayRouteCommand,
  SearchTransitGatewayRoutesCommand,
} from '@aws-sdk/client-ec2';
import { ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sfnClientFor } from '../../tasks/deps';
import { ec2ClientFor } from '../../tasks/ec2/clients';
import { executionName } from '../../tasks/execution-name';
import { createTaskHandler } from '../../tasks/handlers/main';
import type { SnapshotRoute } from '../../tasks/plan';
import { loadTopology, type Topology } from '../../tasks/topology';
import { synthesizeAsl } from '../../workflow/asl';

const VIP = '172.16.0.1/32';
const ACCOUNT = '123456789012';
const FUNCTION = (region: string) =>
  `arn:aws:lambda:${region}:${ACCOUNT}:function:vip-failover-orders-db-tasks`;

let topology: Topology;
let asl: Record<string, object>;
beforeAll(async () => {
  topology = await loadTopology('examples/two-region.yaml');
  asl = synthesizeAsl(topology);
});

/** The VIP routes of every table: table -> target. */
type Routes = Map<string, string>;
interface Write {
  readonly action: string;
  readonly table: string;
  readonly target: string;
}

const ec2 = mockClient(EC2Client);
const sfn = mockClient(SFNClient);
let routes: Routes;
/** Every other route of every table, `table|destination` -> target: a run must never touch them. */
let otherRoutes: Map<string, string>;
let writes: Write[];
let failWrite: (table: string) => Error | undefined;
let newerRuns: string[];
/** Regions whose EC2 and Step Functions endpoints refuse every connection. */
let downRegions: Set<string>;

/** Server-A active: the mirror image of the seed example. */
function serverAActive(t: Topology): Routes {
  const a = t.vpcs['vpc-a']!;
  const b = t.vpcs['vpc-b']!;
  return new Map<string, string>([
    ...a.routeTables.map((r) => [r, t.nodes['server-a']!.eni] as const),
    ...b.routeTables.map((r) => [r, t.transitGateways['tgw-b']!.id] as const),
    [t.transitGateways['tgw-a']!.routeTables[0]!, a.attachment],
    [t.transitGateways['tgw-b']!.routeTables[0]!, t.peerings[0]!.attachment],
  ]);
}

/** Routes a VIP failover must leave alone: each VPC's local route and default route, each TGW's VPC routes. */
function nonVipRoutes(t: Topology): Map<string, string> {
  const other = new Map<string, string>();
  for (const vpc of Object.values(t.vpcs)) {
    for (const table of vpc.routeTables) {
      other.set(`${table}|${vpc.cidr}`, 'local');
      other.set(`${table}|0.0.0.0/0`, t.transitGateways[vpc.transitGateway]!.id);
    }
    for (const table of t.transitGateways[vpc.transitGateway]!.routeTables) {
      other.set(`${table}|${vpc.cidr}`, vpc.attachment);
    }
  }
  return other;
}

/** What Node's socket layer throws when nothing listens at the endpoint (the SDK passes it on as is). */
function connectionRefused(region: string): Error {
  return Object.assign(new Error(`connect ECONNREFUSED ec2.${region}.amazonaws.com:443`), {
    code: 'ECONNREFUSED',
    errno: -111,
    syscall: 'connect',
  });
}

/** Wraps a mock behaviour so that calls through a client of a down region fail with a network error. */
function reachable<I>(fake: (input: I) => unknown) {
  return async (input: I, getClient: () => { config: { region: unknown } }) => {
    const region = getClient().config.region;
    const name = typeof region === 'function' ? await region() : region;
    if (downRegions.has(String(name))) throw connectionRefused(String(name));
    return fake(input);
  };
}

function awsError(name: string, message: string): Error {
  return Object.assign(new Error(message), {
    name,
    Code: name,
    $fault: 'client',
    $metadata: { httpStatusCode: 400 },
  });
}

beforeEach(() => {
  routes = serverAActive(topology);
  otherRoutes = nonVipRoutes(topology);
  writes = [];
  failWrite = () => undefined;
  newerRuns = [];
  downRegions = new Set();
  ec2.reset();
  sfn.reset();
  const write =
    (action: string, tableKey: string, targetKeys: string[]) => (input: Record<string, unknown>) => {
      const table = String(input[tableKey]);
      const target = String(targetKeys.map((k) => input[k]).find((v) => v !== undefined));
      const error = failWrite(table);
      if (error) throw error;
      writes.push({ action, table, target });
      const destination = String(input.DestinationCidrBlock);
      if (destination === VIP) routes.set(table, target);
      else otherRoutes.set(`${table}|${destination}`, target);
      return {};
    };
  ec2
    .on(CreateRouteCommand)
    .callsFake(reachable(write('CreateRoute', 'RouteTableId', ['NetworkInterfaceId', 'TransitGatewayId'])));
  ec2
    .on(ReplaceRouteCommand)
    .callsFake(reachable(write('ReplaceRoute', 'RouteTableId', ['NetworkInterfaceId', 'TransitGatewayId'])));
  ec2
    .on(CreateTransitGatewayRouteCommand)
    .callsFake(
      reachable(
        write('CreateTransitGatewayRoute', 'TransitGatewayRouteTableId', ['TransitGatewayAttachmentId']),
      ),
    );
  ec2
    .on(ReplaceTransitGatewayRouteCommand)
    .callsFake(
      reachable(
        write('ReplaceTransitGatewayRoute', 'TransitGatewayRouteTableId', ['TransitGatewayAttachmentId']),
      ),
    );
  const vpcRoute = (destination: string, target: string) => {
    const gateway = target === 'local' ? 'GatewayId' : undefined;
    const param = gateway ?? (target.startsWith('eni-') ? 'NetworkInterfaceId' : 'TransitGatewayId');
    return { DestinationCidrBlock: destination, State: 'active', [param]: target };
  };
  const othersOf = (table: string) =>
    [...otherRoutes]
      .filter(([key]) => key.startsWith(`${table}|`))
      .map(([key, target]) => [key.slice(table.length + 1), target] as const);
  ec2.on(DescribeRouteTablesCommand).callsFake(
    reachable((input: { RouteTableIds?: string[] }) => ({
      RouteTables: (input.RouteTableIds ?? []).map((id) => {
        const target = routes.get(id);
        return {
          RouteTableId: id,
          Routes: [
            ...othersOf(id).map(([destination, other]) => vpcRoute(destination, other)),
            ...(target ? [vpcRoute(VIP, target)] : []),
          ],
        };
      }),
    })),
  );
  ec2.on(SearchTransitGatewayRoutesCommand).callsFake(
    reachable((input: { TransitGatewayRouteTableId: string; Filters?: Array<{ Values?: string[] }> }) => {
      const table = input.TransitGatewayRouteTableId;
      const wanted = new Set(input.Filters?.[0]?.Values ?? []);
      const all = [...othersOf(table), ...(routes.has(table) ? [[VIP, routes.get(table)!] as const] : [])];
      return {
        Routes: all
          .filter(([destination]) => wanted.has(destination))
          .map(([destination, target]) => ({
            DestinationCidrBlock: destination,
            State: 'active',
            TransitGatewayAttachments: [{ TransitGatewayAttachmentId: target }],
          })),
      };
    }),
  );
  const filterValues = (input: { Filters?: Array<{ Values?: string[] }> }) =>
    input.Filters?.[0]?.Values ?? [];
  ec2.on(DescribeTransitGatewayAttachmentsCommand).callsFake(
    reachable((input: { Filters?: Array<{ Values?: string[] }> }) => ({
      TransitGatewayAttachments: filterValues(input).map((id) => ({
        TransitGatewayAttachmentId: id,
        State: 'available',
      })),
    })),
  );
  const instanceOf = (eni: string) => Object.values(topology.nodes).find((n) => n.eni === eni)?.instance;
  ec2.on(DescribeNetworkInterfacesCommand).callsFake(
    reachable((input: { Filters?: Array<{ Values?: string[] }> }) => ({
      NetworkInterfaces: filterValues(input).map((id) => ({
        NetworkInterfaceId: id,
        Status: 'in-use',
        Attachment: { InstanceId: instanceOf(id) },
      })),
    })),
  );
  ec2.on(DescribeInstancesCommand).callsFake(
    reachable((input: { Filters?: Array<{ Values?: string[] }> }) => ({
      Reservations: [
        {
          Instances: filterValues(input).map((id) => ({
            InstanceId: id,
            State: { Name: 'running' },
            SourceDestCheck: false,
          })),
        },
      ],
    })),
  );
  sfn.on(ListExecutionsCommand).callsFake(
    reachable((input: { stateMachineArn: string }) => ({
      executions: newerRuns.map((name) => ({
        executionArn: `${input.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`,
        stateMachineArn: input.stateMachineArn,
        name,
        status: 'RUNNING',
        startDate: new Date('2030-01-01T00:00:00Z'),
      })),
    })),
  );
});

afterEach(() => {
  ec2.reset();
  sfn.reset();
});

/** Starts an execution in `region` the way vipctl names it, and waits for the outcome. */
async function run(region: string, input: Record<string, unknown>) {
  const handler = createTaskHandler({
    ec2: ec2ClientFor({ budgetMs: 500 }),
    sfn: sfnClientFor(),
    now: () => new Date('2026-11-25T12:00:01Z'),
  });
  const name = executionName(String(input.target), String(input.requestedAt));
  const definition = asl[region] as StateMachineDefinition;
  // The library binds handlers by state name; bind only the states that call this region's function.
  const handlers = Object.fromEntries(
    Object.entries(definition.States)
      .filter(
        ([, state]) => state.Type === 'Task' && 'Resource' in state && state.Resource === FUNCTION(region),
      )
      .map(([name]) => [name, (event: unknown) => handler(event) as never]),
  );
  expect(Object.keys(handlers)).toHaveLength(5);
  const arn = `arn:aws:states:${region}:${ACCOUNT}:execution:vip-failover-orders-db:${name}`;
  const machine = new StateMachine(definition, { validationOptions: { noValidate: true } });
  const execution = machine.run(input as Parameters<typeof machine.run>[0], {
    overrides: {
      taskResourceLocalHandlers: handlers,
      retryIntervalOverrides: { VerifyReachability: 0 },
    },
    context: {
      Execution: {
        Id: arn,
        Name: name,
        StartTime: String(input.requestedAt),
      },
    },
  });
  try {
    const output = (await execution.result) as Record<string, unknown>;
    return { status: 'SUCCEEDED' as const, arn, output };
  } catch (error) {
    const e = ((error as { cause?: unknown }).cause ?? error) as {
      name?: string;
      message?: string;
      cause?: unknown;
    };
    return { status: 'FAILED' as const, error: e.name, cause: String(e.cause ?? e.message) };
  }
}

const request = { target: 'server-b', requestedAt: '2026-11-25T12:00:00.000Z', reason: 'server-a failed' };

describe('the synthesized workflow with the real task handler', () => {
  it('fails over destination first: local VPC, then TGWs, then remote VPCs', async () => {
    const result = await run('ap-southeast-1', request);

    expect(result.status).toBe('SUCCEEDED');
    expect(result.output).toMatchObject({ status: 'SUCCEEDED', target: 'server-b' });
    const tableOrder = writes.map((w) => w.table);
    const b = topology.vpcs['vpc-b']!.routeTables;
    const a = topology.vpcs['vpc-a']!.routeTables;
    const tgwB = topology.transitGateways['tgw-b']!.routeTables[0]!;
    const tgwA = topology.transitGateways['tgw-a']!.routeTables[0]!;
    expect(new Set(tableOrder.slice(0, 2))).toEqual(new Set(b));
    expect(tableOrder.slice(2, 4)).toEqual([tgwB, tgwA]);
    expect(new Set(tableOrder.slice(4))).toEqual(new Set(a));
    expect(routes.get(b[0]!)).toBe(topology.nodes['server-b']!.eni);
    expect(routes.get(tgwB)).toBe(topology.vpcs['vpc-b']!.attachment);
    expect(routes.get(tgwA)).toBe(topology.peerings[0]!.attachment);
    expect(routes.get(a[0]!)).toBe(topology.transitGateways['tgw-a']!.id);
  });

  it('writes nothing when the routes already point at the target', async () => {
    const result = await run('us-east-1', { ...request, target: 'server-a' });

    expect(result.status).toBe('SUCCEEDED');
    expect(result.output).toMatchObject({ status: 'SUCCEEDED', target: 'server-a' });
    expect(writes).toEqual([]);
  });

  it('fails on a permanent error in the local step and never runs the later steps', async () => {
    const local = topology.vpcs['vpc-b']!.routeTables[0]!;
    failWrite = (table) =>
      table === local ? awsError('UnauthorizedOperation', 'not authorized') : undefined;

    const result = await run('ap-southeast-1', request);

    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('RouteUpdateFailed');
    expect(result.cause).toMatch(/UnauthorizedOperation/);
    const tgwAndRemote = [
      ...topology.vpcs['vpc-a']!.routeTables,
      ...Object.values(topology.transitGateways).flatMap((t) => t.routeTables),
    ];
    expect(writes.filter((w) => tgwAndRemote.includes(w.table))).toEqual([]);
  });

  it('stops as Superseded without writing when a newer run exists', async () => {
    newerRuns = [executionName('server-a', '2026-11-25T12:00:30.000Z')];

    const result = await run('ap-southeast-1', request);

    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('Superseded');
    expect(writes).toEqual([]);
  });

  it('succeeds as DEGRADED when the remote region is unreachable, with the target region converged', async () => {
    downRegions = new Set(['us-east-1']);

    const result = await run('ap-southeast-1', request);

    expect(result.status).toBe('SUCCEEDED');
    expect(result.output).toMatchObject({ status: 'DEGRADED', target: 'server-b' });
    const vpcB = topology.vpcs['vpc-b']!;
    const tgwB = topology.transitGateways['tgw-b']!.routeTables[0]!;
    for (const table of vpcB.routeTables) expect(routes.get(table)).toBe(topology.nodes['server-b']!.eni);
    expect(routes.get(tgwB)).toBe(vpcB.attachment);
    // The remote region's routes are as they were: nothing reached them.
    const before = serverAActive(topology);
    const remote = [
      ...topology.vpcs['vpc-a']!.routeTables,
      ...topology.transitGateways['tgw-a']!.routeTables,
    ];
    for (const table of remote) expect(routes.get(table)).toBe(before.get(table));
    const unreached = result.output?.unreached as Array<{ table: string; region: string; vip: string }>;
    expect(new Set(unreached.map((u) => u.table))).toEqual(new Set(remote));
    expect(unreached.every((u) => u.region === 'us-east-1' && u.vip === VIP)).toBe(true);
  });

  it('restores every snapshot route of a failover and leaves the other routes alone', async () => {
    const before = new Map(routes);
    const othersBefore = new Map(otherRoutes);
    const failover = await run('ap-southeast-1', request);
    expect(failover.status).toBe('SUCCEEDED');
    expect(routes).not.toEqual(before);
    const snapshot = failover.output?.snapshot as SnapshotRoute[];
    expect(snapshot.length).toBeGreaterThan(0);
    writes = [];

    const restore = await run('us-east-1', {
      target: 'server-a',
      requestedAt: '2026-11-25T12:10:00.000Z',
      reason: 'roll back the failover',
      restore: { from: failover.arn, routes: snapshot },
    });

    expect(restore.status).toBe('SUCCEEDED');
    expect(restore.output).toMatchObject({
      status: 'SUCCEEDED',
      mode: 'restore',
      target: 'server-a',
      request: { restoreFrom: failover.arn },
      skipped: [],
    });
    for (const route of snapshot) expect(routes.get(route.table)).toBe(route.target);
    expect(routes).toEqual(before);
    expect(otherRoutes).toEqual(othersBefore);
    expect(writes.length).toBe(snapshot.length);
  });

  it('refuses hostile input before reading anything', async () => {
    const foreignTable = {
      table: 'rtb-0123456789abcdef0',
      kind: 'vpc',
      region: 'us-east-1',
      vip: VIP,
      target: 'eni-0123456789abcdef0',
      state: 'active',
    };
    const from = `arn:aws:states:us-east-1:${ACCOUNT}:execution:vip-failover-orders-db:server-a-20261125T110000000`;
    for (const [input, why] of [
      [{ ...request, extra: 'field' }, /extra/],
      [{ ...request, reason: 'x'.repeat(100_000) }, /reason/],
      [{ ...request, restore: { from, routes: [foreignTable] } }, /rtb-0123456789abcdef0/],
    ] as const) {
      ec2.resetHistory();
      sfn.resetHistory();

      const result = await run('ap-southeast-1', input);

      expect(result.status).toBe('FAILED');
      expect(result.error).toBe('InvalidRequest');
      expect(result.cause).toMatch(why);
      expect(ec2.calls()).toHaveLength(0);
      expect(sfn.calls()).toHaveLength(0);
    }
  });
});
