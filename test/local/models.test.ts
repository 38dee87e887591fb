import {
  DescribeRouteTablesCommand,
  DescribeVpcsCommand,
  EC2Client,
  ReplaceRouteCommand,
  ReplaceTransitGatewayRouteCommand,
  SearchTransitGatewayRoutesCommand,
} from '@aws-sdk/client-ec2';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ADMIN_CREDENTIALS } from '../../local/iam/principals';
import { LocalModels } from '../../local/models';
import { type LocalAws, startLocalAws } from '../../local/server';
import { loadTopology } from '../../tasks/topology';

const VIP = '172.16.0.1/32';
const EAST = 'us-east-1';
const SOUTHEAST = 'ap-southeast-1';
const topology = await loadTopology('examples/two-region.yaml');
const vpcB = topology.vpcs['vpc-b']!;
const tgwB = topology.transitGateways['tgw-b']!;
const serverB = topology.nodes['server-b']!;
const table = vpcB.routeTables[0]!;

let aws: LocalAws;
let start: ReturnType<LocalAws['world']['snapshot']>;
const made: EC2Client[] = [];
const client = (region: string, maxAttempts = 1) => {
  const c = new EC2Client({
    region,
    endpoint: aws.url,
    credentials: ADMIN_CREDENTIALS,
    maxAttempts,
  });
  made.push(c);
  return c;
};

async function failure(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (error) {
    const e = error as {
      name: string;
      message: string;
      code?: string;
      $metadata?: { httpStatusCode?: number; attempts?: number };
    };
    return {
      code: e.name,
      status: e.$metadata?.httpStatusCode,
      attempts: e.$metadata?.attempts,
      message: e.message,
      errno: e.code,
    };
  }
  throw new Error('expected the call to fail');
}

const vipTarget = async (ec2: EC2Client) => {
  const result = await ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [table] }));
  const route = result.RouteTables?.[0]?.Routes?.find((r) => r.DestinationCidrBlock === VIP);
  return route?.NetworkInterfaceId ?? route?.TransitGatewayId;
};

beforeAll(async () => {
  aws = await startLocalAws({ topology, port: 0, sfn: false, active: 'server-b' });
  start = aws.world.snapshot();
});
afterEach(() => {
  aws.models.reset();
  aws.world.restore(start);
  for (const c of made.splice(0)) c.destroy();
});
afterAll(() => aws.close());

describe('throttling', () => {
  it('answers RequestLimitExceeded (503) when the bucket is empty, and the SDK retries', async () => {
    aws.models.update({
      throttle: { enabled: true, actions: { ReplaceRoute: { burst: 1, refillPerSecond: 0 } } },
    });
    const ec2 = client(SOUTHEAST, 3);
    const replace = () =>
      ec2.send(
        new ReplaceRouteCommand({
          RouteTableId: table,
          DestinationCidrBlock: VIP,
          TransitGatewayId: tgwB.id,
        }),
      );
    await replace();
    const error = await failure(replace());
    expect(error).toMatchObject({
      code: 'RequestLimitExceeded',
      status: 503,
      attempts: 3,
      message: 'Request limit exceeded.',
    });
    expect(aws.models.stats().throttled).toBe(3);
    // Other actions draw from their own bucket.
    await expect(vipTarget(ec2)).resolves.toBe(tgwB.id);
  });

  it('keeps one bucket per region', async () => {
    aws.models.update({
      throttle: {
        enabled: true,
        nonMutating: { burst: 1, refillPerSecond: 0 },
        unfilteredDescribe: { burst: 1, refillPerSecond: 0 },
      },
    });
    await client(EAST).send(new DescribeVpcsCommand({}));
    await client(SOUTHEAST).send(new DescribeVpcsCommand({}));
    const error = await failure(client(EAST).send(new DescribeVpcsCommand({})));
    expect(error.code).toBe('RequestLimitExceeded');
  });

  it('refills tokens over time', () => {
    let now = 0;
    const models = new LocalModels({ now: () => now });
    models.update({ throttle: { enabled: true, mutating: { burst: 2, refillPerSecond: 5 } } });
    expect([models.takeToken(EAST, 'CreateRoute'), models.takeToken(EAST, 'CreateRoute')]).toEqual([
      true,
      true,
    ]);
    expect(models.takeToken(EAST, 'CreateRoute')).toBe(false);
    now += 200; // one token at 5/s
    expect(models.takeToken(EAST, 'CreateRoute')).toBe(true);
    expect(models.takeToken(EAST, 'CreateRoute')).toBe(false);
  });
});

describe('region outage', () => {
  it('drops requests of the region without a response; the SDK sees a network error', async () => {
    aws.models.setOutage(EAST, true);
    const error = await failure(client(EAST).send(new DescribeVpcsCommand({})));
    expect(error.status).toBeUndefined();
    expect(error.errno).toMatch(/ECONNRESET|EPIPE|ECONNREFUSED/);
    expect(aws.models.stats().refused).toBe(1);
    // The other region still answers, and the region answers again once it is back.
    await expect(client(SOUTHEAST).send(new DescribeVpcsCommand({}))).resolves.toBeDefined();
    aws.models.setOutage(EAST, false);
    await expect(client(EAST).send(new DescribeVpcsCommand({}))).resolves.toBeDefined();
  });

  it('can hang instead: no answer until the client times out', async () => {
    aws.models.setOutage(EAST, true, undefined, 'hang');
    const ec2 = new EC2Client({
      region: EAST,
      endpoint: aws.url,
      credentials: ADMIN_CREDENTIALS,
      maxAttempts: 1,
      requestHandler: new NodeHttpHandler({ requestTimeout: 200, throwOnRequestTimeout: true }),
    });
    made.push(ec2);

    const error = await failure(ec2.send(new DescribeVpcsCommand({})));

    expect(error.code).toBe('TimeoutError');
    expect(aws.models.stats()).toMatchObject({ hung: 1, refused: 0 });
    await expect(client(SOUTHEAST).send(new DescribeVpcsCommand({}))).resolves.toBeDefined();
  });

  it('takes one service of a region down through the control endpoint, leaving the others up', async () => {
    const response = await fetch(`${aws.url}/_local/outage`, {
      method: 'POST',
      body: JSON.stringify({ region: EAST, service: 'states', mode: 'hang' }),
    });
    expect(response.status).toBe(200);
    const sfn = new SFNClient({
      region: EAST,
      endpoint: aws.url,
      credentials: ADMIN_CREDENTIALS,
      maxAttempts: 1,
    });
    const abort = new AbortController();
    try {
      const pending = sfn.send(
        new StartExecutionCommand({
          stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:x',
        }),
        { abortSignal: abort.signal },
      );
      const settled = vi.fn();
      pending.then(settled, settled);
      await vi.waitFor(() => expect(aws.models.stats().hung).toBe(1), { timeout: 10_000 });
      // EC2 of the same region still answers while Step Functions hangs.
      await expect(client(EAST).send(new DescribeVpcsCommand({}))).resolves.toBeDefined();
      expect(settled).not.toHaveBeenCalled();
      abort.abort();
      await expect(pending).rejects.toThrow(/abort/i);
    } finally {
      sfn.destroy();
    }
  });
});

describe('injected faults', () => {
  it('fails writes to one table with the injected code, then lets them through', async () => {
    aws.models.addFault({ action: 'ReplaceRoute', resource: table, code: 'UnauthorizedOperation', count: 1 });
    const ec2 = client(SOUTHEAST);
    const replace = (rtb: string) =>
      ec2.send(
        new ReplaceRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: VIP, TransitGatewayId: tgwB.id }),
      );
    // Another table is not hit.
    await replace(vpcB.routeTables[1]!);
    const error = await failure(replace(table));
    expect(error).toMatchObject({
      code: 'UnauthorizedOperation',
      status: 403,
      message: 'You are not authorized to perform this operation.',
    });
    expect(aws.world.findRoute(SOUTHEAST, table, VIP)?.target).toBe(serverB.eni);
    await replace(table);
    expect(aws.world.findRoute(SOUTHEAST, table, VIP)?.target).toBe(tgwB.id);
    expect(aws.models.stats().faultsInjected).toBe(1);
  });

  it('injects faults into Step Functions operations too', async () => {
    aws.models.addFault({ action: 'StartExecution', code: 'ServiceUnavailable', status: 503, count: 1 });
    const sfn = new SFNClient({
      region: EAST,
      endpoint: aws.url,
      credentials: ADMIN_CREDENTIALS,
      maxAttempts: 1,
    });
    try {
      const error = await failure(
        sfn.send(
          new StartExecutionCommand({
            stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:x',
            input: '{}',
          }),
        ),
      );
      expect(error).toMatchObject({ code: 'ServiceUnavailable', status: 503 });
      expect(aws.models.stats().faultsInjected).toBe(1);
    } finally {
      sfn.destroy();
    }
  });

  it('never fires a fault of probability 0', async () => {
    aws.models.addFault({ action: '*', code: 'InternalError', probability: 0 });
    await expect(client(SOUTHEAST).send(new DescribeVpcsCommand({}))).resolves.toBeDefined();
  });

  it('takes faults through the HTTP control endpoint', async () => {
    const response = await fetch(`${aws.url}/_local/faults`, {
      method: 'POST',
      body: JSON.stringify({ action: 'DescribeVpcs', region: EAST, code: 'InternalError', status: 500 }),
    });
    expect(response.status).toBe(200);
    const error = await failure(client(EAST).send(new DescribeVpcsCommand({})));
    expect(error).toMatchObject({ code: 'InternalError', status: 500 });
    await expect(client(SOUTHEAST).send(new DescribeVpcsCommand({}))).resolves.toBeDefined();
  });
});

describe('stale reads', () => {
  it('shows the previous VPC route for N reads after a write', async () => {
    aws.models.update({ staleReads: 2 });
    const ec2 = client(SOUTHEAST);
    await ec2.send(
      new ReplaceRouteCommand({ RouteTableId: table, DestinationCidrBlock: VIP, TransitGatewayId: tgwB.id }),
    );
    expect([await vipTarget(ec2), await vipTarget(ec2), await vipTarget(ec2)]).toEqual([
      serverB.eni,
      serverB.eni,
      tgwB.id,
    ]);
  });

  it('shows the previous TGW route for N searches after a write', async () => {
    aws.models.update({ staleReads: 1 });
    const ec2 = client(SOUTHEAST);
    const tgwTable = tgwB.routeTables[0]!;
    const peering = topology.peerings[0]!.attachment;
    await ec2.send(
      new ReplaceTransitGatewayRouteCommand({
        TransitGatewayRouteTableId: tgwTable,
        DestinationCidrBlock: VIP,
        TransitGatewayAttachmentId: peering,
      }),
    );
    const search = async () =>
      (
        await ec2.send(
          new SearchTransitGatewayRoutesCommand({
            TransitGatewayRouteTableId: tgwTable,
            Filters: [{ Name: 'route-search.exact-match', Values: [VIP] }],
          }),
        )
      ).Routes?.[0]?.TransitGatewayAttachments?.[0]?.TransitGatewayAttachmentId;
    expect([await search(), await search()]).toEqual([vpcB.attachment, peering]);
  });
});

describe('connections and latency', () => {
  it('counts the TLS setup once per connection', async () => {
    const ec2 = client(SOUTHEAST);
    for (let i = 0; i < 3; i++) await ec2.send(new DescribeVpcsCommand({}));
    const afterOne = aws.models.stats();
    expect(afterOne.handshakes).toBe(1);
    expect(afterOne.newConnections).toBe(1);
    await client(SOUTHEAST).send(new DescribeVpcsCommand({}));
    expect(aws.models.stats().handshakes).toBe(2);
    expect(aws.models.stats().calls[SOUTHEAST]?.DescribeVpcs).toBe(4);
  });

  it('prices latency per region pair in the realistic profile, TLS as two round trips', () => {
    const models = new LocalModels({ profile: 'realistic' });
    expect(models.latencyMs(EAST)).toBe(80);
    expect(models.latencyMs(EAST, EAST)).toBe(80);
    expect(models.latencyMs(EAST, SOUTHEAST)).toBe(230);
    expect(models.latencyMs(SOUTHEAST, EAST)).toBe(230);
    expect(models.tlsCostMs(SOUTHEAST, EAST)).toBe(460);
    expect(models.coldStartMs()).toBe(400);
    expect(models.transitionMs()).toBe(25);
  });

  it('is all off by default', () => {
    const models = new LocalModels();
    expect([
      models.latencyMs(EAST, SOUTHEAST),
      models.tlsCostMs(EAST),
      models.coldStartMs(),
      models.transitionMs(),
    ]).toEqual([0, 0, 0, 0]);
    expect(models.takeToken(EAST, 'ReplaceRoute')).toBe(true);
  });

  it('refuses a malformed model patch and keeps the settings', () => {
    const models = new LocalModels();
    expect(() => models.update({ latency: { withinRegionMs: -1 } })).toThrow();
    expect(() => models.update({ speed: 'fast' })).toThrow();
    expect(models.latencyMs(EAST)).toBe(0);
  });
});
