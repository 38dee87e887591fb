/**
 * Local AWS follows AWS's documented contract where the project meets it: TGW routes `pending` after a
 * write and `deleting` after a delete, `filtered` VPC routes, SearchTransitGatewayRoutes paginated with
 * MaxResults/NextToken, and every ListExecutions status filter. Real SDK clients, a frozen clock.
 */
import {
  DeleteTransitGatewayRouteCommand,
  DescribeRouteTablesCommand,
  EC2Client,
  paginateSearchTransitGatewayRoutes,
  ReplaceTransitGatewayRouteCommand,
  SearchTransitGatewayRoutesCommand,
} from '@aws-sdk/client-ec2';
import { ListExecutionsCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_CREDENTIALS } from '../../local/iam/principals';
import { type LocalAws, startLocalAws } from '../../local/server';
import { stateMachineName } from '../../tasks/execution-name';
import { loadTopology } from '../../tasks/topology';

const VIP = '172.16.0.1/32';
const EAST = 'us-east-1';
const SOUTHEAST = 'ap-southeast-1';
const topology = await loadTopology('examples/two-region.yaml');
const vpcB = topology.vpcs['vpc-b']!;
const tgwTable = topology.transitGateways['tgw-b']!.routeTables[0]!;
const peering = topology.peerings[0]!.attachment;
// Local AWS's own behaviour, not IAM's: an administrator, whom IAM does not evaluate.
const credentials = ADMIN_CREDENTIALS;
const PASS = { StartAt: 'Done', States: { Done: { Type: 'Pass', End: true } } };

let now = 1_000_000;
let aws: LocalAws;
let start: ReturnType<LocalAws['world']['snapshot']>;
let ec2: EC2Client;
let sfn: SFNClient;

beforeAll(async () => {
  aws = await startLocalAws({
    topology,
    port: 0,
    active: 'server-b',
    now: () => now,
    sfn: { synthesize: () => ({ [EAST]: PASS, [SOUTHEAST]: PASS }) },
  });
  start = aws.world.snapshot();
  ec2 = new EC2Client({ region: SOUTHEAST, endpoint: aws.url, credentials, maxAttempts: 1 });
  sfn = new SFNClient({ region: EAST, endpoint: aws.url, credentials, maxAttempts: 1 });
});
afterEach(() => {
  aws.models.reset();
  aws.world.restore(start);
});
afterAll(async () => {
  ec2.destroy();
  sfn.destroy();
  await aws.close();
});

const control = (path: string, body: unknown) =>
  fetch(`${aws.url}${path}`, { method: 'POST', body: JSON.stringify(body) });

const vipState = async () => {
  const result = await ec2.send(
    new SearchTransitGatewayRoutesCommand({
      TransitGatewayRouteTableId: tgwTable,
      Filters: [{ Name: 'route-search.exact-match', Values: [VIP] }],
    }),
  );
  return result.Routes?.[0]?.State ?? 'absent';
};
const replaceVip = () =>
  ec2.send(
    new ReplaceTransitGatewayRouteCommand({
      TransitGatewayRouteTableId: tgwTable,
      DestinationCidrBlock: VIP,
      TransitGatewayAttachmentId: peering,
    }),
  );

describe('TGW route states', () => {
  it('reports a written route pending for the configured number of reads, then active', async () => {
    aws.models.update({ routeStates: { tgwPending: { reads: 2, ms: 0 } } });

    const written = await replaceVip();
    const reads = [await vipState(), await vipState(), await vipState()];

    expect(written.Route?.State).toBe('pending');
    expect(reads).toEqual(['pending', 'pending', 'active']);
  });

  it('keeps a written route pending until the configured time has passed on the models clock', async () => {
    aws.models.update({ routeStates: { tgwPending: { reads: 0, ms: 5000 } } });

    await replaceVip();
    const before = [await vipState(), await vipState()];
    now += 5000;

    expect(before).toEqual(['pending', 'pending']);
    expect(await vipState()).toBe('active');
  });

  it('finds pending routes by the state filter', async () => {
    aws.models.update({ routeStates: { tgwPending: { reads: 1, ms: 0 } } });
    await replaceVip();

    const pending = await ec2.send(
      new SearchTransitGatewayRoutesCommand({
        TransitGatewayRouteTableId: tgwTable,
        Filters: [{ Name: 'state', Values: ['pending'] }],
      }),
    );

    expect(pending.Routes?.map((r) => r.DestinationCidrBlock)).toEqual([VIP]);
  });

  it('passes a deleted route through deleting before it leaves the table', async () => {
    aws.models.update({ routeStates: { tgwDeleting: { reads: 1, ms: 0 } } });

    const deleted = await ec2.send(
      new DeleteTransitGatewayRouteCommand({
        TransitGatewayRouteTableId: tgwTable,
        DestinationCidrBlock: VIP,
      }),
    );
    const reads = [await vipState(), await vipState()];

    expect(deleted.Route?.State).toBe('deleting');
    expect(reads).toEqual(['deleting', 'absent']);
  });

  it('answers a delete with deleted and drops the route at once when the model is off', async () => {
    const deleted = await ec2.send(
      new DeleteTransitGatewayRouteCommand({
        TransitGatewayRouteTableId: tgwTable,
        DestinationCidrBlock: VIP,
      }),
    );

    expect(deleted.Route?.State).toBe('deleted');
    expect(await vipState()).toBe('absent');
  });

  it('sets a TGW route pending through the control endpoint', async () => {
    const response = await control('/_local/routes/state', {
      region: SOUTHEAST,
      table: tgwTable,
      destination: VIP,
      state: 'pending',
      reads: 1,
    });

    expect(response.status).toBe(200);
    expect([await vipState(), await vipState()]).toEqual(['pending', 'active']);
  });
});

describe('VPC route states', () => {
  it('reports a route set filtered through the control endpoint, and filters by it', async () => {
    const table = vpcB.routeTables[0]!;
    expect(
      (
        await control('/_local/routes/state', {
          region: SOUTHEAST,
          table,
          destination: VIP,
          state: 'filtered',
        })
      ).status,
    ).toBe(200);

    const described = await ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [table] }));
    const byState = await ec2.send(
      new DescribeRouteTablesCommand({ Filters: [{ Name: 'route.state', Values: ['filtered'] }] }),
    );

    const vip = described.RouteTables?.[0]?.Routes?.find((r) => r.DestinationCidrBlock === VIP);
    expect(vip?.State).toBe('filtered');
    expect(byState.RouteTables?.map((t) => t.RouteTableId)).toEqual([table]);
  });

  it('refuses a state the route kind does not have, naming it', async () => {
    const response = await control('/_local/routes/state', {
      region: SOUTHEAST,
      table: vpcB.routeTables[0]!,
      destination: VIP,
      state: 'pending',
    });

    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toMatch(/VPC routes have no pending state/);
  });
});

describe('SearchTransitGatewayRoutes paging', () => {
  const destinations = Array.from({ length: 12 }, (_, i) => `10.200.${i}.0/24`);
  const search = (extra: { MaxResults?: number; NextToken?: string }) =>
    ec2.send(
      new SearchTransitGatewayRoutesCommand({
        TransitGatewayRouteTableId: tgwTable,
        Filters: [{ Name: 'route-search.subnet-of-match', Values: ['10.200.0.0/16'] }],
        ...extra,
      }),
    );

  it('pages with MaxResults and NextToken, and the SDK paginator collects every route once', async () => {
    for (const destination of destinations) aws.world.setRoute(SOUTHEAST, tgwTable, destination, peering);

    const first = await search({ MaxResults: 5 });
    const second = await search({ MaxResults: 5, NextToken: first.NextToken });
    const third = await search({ MaxResults: 5, NextToken: second.NextToken });
    const collected: string[] = [];
    for await (const page of paginateSearchTransitGatewayRoutes(
      { client: ec2, pageSize: 5 },
      {
        TransitGatewayRouteTableId: tgwTable,
        Filters: [{ Name: 'route-search.subnet-of-match', Values: ['10.200.0.0/16'] }],
      },
    )) {
      collected.push(...(page.Routes ?? []).map((r) => r.DestinationCidrBlock!));
    }

    expect([first.Routes?.length, second.Routes?.length, third.Routes?.length]).toEqual([5, 5, 2]);
    expect([first.AdditionalRoutesAvailable, third.AdditionalRoutesAvailable]).toEqual([true, false]);
    expect(third.NextToken).toBeUndefined();
    expect(collected.sort()).toEqual([...destinations].sort());
  });

  it('refuses MaxResults outside 5-1000', async () => {
    await expect(search({ MaxResults: 4 })).rejects.toMatchObject({
      name: 'InvalidParameterValue',
      message: 'Value ( 4 ) for parameter maxResults is invalid. Parameter must be between 5 and 1000.',
    });
  });
});

describe('ListExecutions status filters', () => {
  const machine = () =>
    `arn:aws:states:${EAST}:${aws.account}:stateMachine:${stateMachineName(topology.cluster)}`;

  it('accepts every documented status with a state machine, but PENDING_REDRIVE only with a Map Run', async () => {
    await sfn.send(new StartExecutionCommand({ stateMachineArn: machine(), name: 'listed', input: '{}' }));
    const list = (statusFilter: string) =>
      sfn.send(
        new ListExecutionsCommand({
          stateMachineArn: machine(),
          statusFilter: statusFilter as 'RUNNING',
        }),
      );

    for (const status of ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']) {
      await expect(list(status)).resolves.toHaveProperty('executions');
    }
    await expect(list('PENDING_REDRIVE')).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(list('DONE')).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(
      sfn.send(
        new ListExecutionsCommand({
          mapRunArn: `arn:aws:states:${EAST}:${aws.account}:mapRun:machine/run:1`,
          statusFilter: 'PENDING_REDRIVE',
        }),
      ),
    ).rejects.toMatchObject({ name: 'ResourceNotFound' });
  });

  it('lists no execution as redriven: local AWS never redrives', async () => {
    await sfn.send(new StartExecutionCommand({ stateMachineArn: machine(), name: 'plain', input: '{}' }));

    const redriven = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn: machine(), redriveFilter: 'REDRIVEN' }),
    );
    const notRedriven = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn: machine(), redriveFilter: 'NOT_REDRIVEN' }),
    );

    expect(redriven.executions).toEqual([]);
    expect(notRedriven.executions?.map((e) => e.name)).toContain('plain');
  });
});
