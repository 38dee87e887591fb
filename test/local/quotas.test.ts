/**
 * Local AWS throttles as AWS documents it: EC2 per account, region and action (mutating 50/5,
 * non-mutating 100/20, unfiltered and unpaginated Describe* 50/10), Step Functions per operation with
 * larger figures in us-east-1, us-west-2 and eu-west-1. The clock is frozen, so no bucket refills
 * while a test drains it.
 */
import {
  DescribeRouteTablesCommand,
  DescribeVpcsCommand,
  EC2Client,
  ReplaceRouteCommand,
} from '@aws-sdk/client-ec2';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_CREDENTIALS } from '../../local/iam/principals';
import { LocalModels } from '../../local/models';
import { type LocalAws, startLocalAws } from '../../local/server';
import { stateMachineName } from '../../tasks/execution-name';
import { loadTopology } from '../../tasks/topology';

const VIP = '172.16.0.1/32';
const EAST = 'us-east-1';
const SOUTHEAST = 'ap-southeast-1';
const topology = await loadTopology('examples/two-region.yaml');
const vpcB = topology.vpcs['vpc-b']!;
const tgwB = topology.transitGateways['tgw-b']!;
// Local AWS's own behaviour, not IAM's: an administrator, whom IAM does not evaluate.
const credentials = ADMIN_CREDENTIALS;
/** A one-state machine per region: the throttling model does not care what the executions do. */
const PASS = { StartAt: 'Done', States: { Done: { Type: 'Pass', End: true } } };

let now = 0;
let aws: LocalAws;
let start: ReturnType<LocalAws['world']['snapshot']>;
const clients: Array<EC2Client | SFNClient> = [];
const ec2 = (region: string) => {
  const client = new EC2Client({ region, endpoint: aws.url, credentials, maxAttempts: 1 });
  clients.push(client);
  return client;
};
const sfn = (region: string) => {
  const client = new SFNClient({ region, endpoint: aws.url, credentials, maxAttempts: 1 });
  clients.push(client);
  return client;
};
const machineArn = (region: string) =>
  `arn:aws:states:${region}:${aws.account}:stateMachine:${stateMachineName(topology.cluster)}`;

/** Sends `count` calls one after another; returns the error codes in order ('ok' for a success). */
async function outcomes(count: number, call: () => Promise<unknown>): Promise<string[]> {
  const codes: string[] = [];
  for (let i = 0; i < count; i++) {
    codes.push(
      await call().then(
        () => 'ok',
        (error: { name: string; $metadata?: { httpStatusCode?: number } }) =>
          `${error.name} ${error.$metadata?.httpStatusCode}`,
      ),
    );
  }
  return codes;
}
const tally = (codes: string[]) => {
  const counts: Record<string, number> = {};
  for (const code of codes) counts[code] = (counts[code] ?? 0) + 1;
  return counts;
};

beforeAll(async () => {
  aws = await startLocalAws({
    topology,
    port: 0,
    active: 'server-b',
    now: () => now,
    sfn: { synthesize: () => ({ [EAST]: PASS, [SOUTHEAST]: PASS }) },
  });
  start = aws.world.snapshot();
});
afterEach(() => {
  aws.models.reset();
  aws.world.restore(start);
  for (const client of clients.splice(0)) client.destroy();
});
afterAll(() => aws.close());

describe('EC2 request throttling, as documented', () => {
  it('grants a mutating action 50 calls at once, then answers RequestLimitExceeded (503) until tokens refill at 5/s', async () => {
    aws.models.update({ throttle: { enabled: true } });
    const client = ec2(SOUTHEAST);
    const replace = () =>
      client.send(
        new ReplaceRouteCommand({
          RouteTableId: vpcB.routeTables[0]!,
          DestinationCidrBlock: VIP,
          TransitGatewayId: tgwB.id,
        }),
      );

    const first = await outcomes(51, replace);
    now += 1000; // five tokens
    const afterOneSecond = await outcomes(6, replace);

    expect(tally(first)).toEqual({ ok: 50, 'RequestLimitExceeded 503': 1 });
    expect(first.at(-1)).toBe('RequestLimitExceeded 503');
    expect(afterOneSecond).toEqual([...Array(5).fill('ok'), 'RequestLimitExceeded 503']);
    expect(aws.models.stats().throttled).toBe(2);
  });

  it('gives unfiltered, unpaginated Describe* calls a bucket of 50 apart from the 100 of narrowed ones', async () => {
    aws.models.update({ throttle: { enabled: true } });
    const client = ec2(SOUTHEAST);

    const unfiltered = await outcomes(51, () => client.send(new DescribeRouteTablesCommand({})));
    const byId = await outcomes(101, () =>
      client.send(new DescribeRouteTablesCommand({ RouteTableIds: [vpcB.routeTables[0]!] })),
    );
    const paginated = await outcomes(1, () => client.send(new DescribeRouteTablesCommand({ MaxResults: 5 })));

    expect(tally(unfiltered)).toEqual({ ok: 50, 'RequestLimitExceeded 503': 1 });
    expect(tally(byId)).toEqual({ ok: 100, 'RequestLimitExceeded 503': 1 });
    // Paginated calls share the narrowed bucket, which the ID calls have just emptied.
    expect(paginated).toEqual(['RequestLimitExceeded 503']);
  });

  it('keeps buckets apart per region and per action', async () => {
    aws.models.update({ throttle: { enabled: true } });
    await outcomes(50, () => ec2(EAST).send(new DescribeVpcsCommand({})));

    expect(await outcomes(1, () => ec2(EAST).send(new DescribeVpcsCommand({})))).toEqual([
      'RequestLimitExceeded 503',
    ]);
    expect(await outcomes(1, () => ec2(SOUTHEAST).send(new DescribeVpcsCommand({})))).toEqual(['ok']);
    expect(await outcomes(1, () => ec2(EAST).send(new DescribeRouteTablesCommand({})))).toEqual(['ok']);
  });

  it('keeps buckets apart per account', () => {
    const models = new LocalModels({ now: () => 0 });
    models.update({ throttle: { enabled: true } });
    const take = (account: string) => models.takeToken(EAST, 'CreateRoute', { account });

    const first = Array.from({ length: 51 }, () => take('111111111111'));

    expect(first.filter(Boolean)).toHaveLength(50);
    expect(take('222222222222')).toBe(true);
  });

  it('throttles nothing by default; the realistic profile turns the documented buckets on', () => {
    const off = new LocalModels({ now: () => 0 });
    const realistic = new LocalModels({ now: () => 0, profile: 'realistic' });
    const granted = (models: LocalModels) =>
      Array.from({ length: 60 }, () => models.takeToken(EAST, 'ReplaceRoute')).filter(Boolean).length;

    expect(granted(off)).toBe(60);
    expect(granted(realistic)).toBe(50);
    expect(realistic.settings().throttle).toMatchObject({
      mutating: { burst: 50, refillPerSecond: 5 },
      nonMutating: { burst: 100, refillPerSecond: 20 },
      unfilteredDescribe: { burst: 50, refillPerSecond: 10 },
    });
  });
});

describe('Step Functions API throttling, as documented', () => {
  it('is off by default and switches on through POST /_local/models', async () => {
    const client = sfn(SOUTHEAST);
    const list = () => client.send(new ListExecutionsCommand({ stateMachineArn: machineArn(SOUTHEAST) }));
    expect(tally(await outcomes(120, list))).toEqual({ ok: 120 });

    const response = await fetch(`${aws.url}/_local/models`, {
      method: 'POST',
      body: JSON.stringify({ sfnThrottle: { enabled: true } }),
    });
    expect(response.status).toBe(200);
    const throttled = await outcomes(101, list);

    expect(tally(throttled)).toEqual({ ok: 100, 'ThrottlingException 400': 1 });
    expect(aws.models.stats().sfnThrottled).toBe(1);
  });

  it('uses the larger figures in us-east-1 and refills at the documented rate', async () => {
    aws.models.update({ sfnThrottle: { enabled: true } });
    const east = sfn(EAST);
    const list = () => east.send(new ListExecutionsCommand({ stateMachineArn: machineArn(EAST) }));

    const burst = await outcomes(201, list);
    now += 1000; // five tokens in us-east-1
    const refill = await outcomes(6, list);

    expect(tally(burst)).toEqual({ ok: 200, 'ThrottlingException 400': 1 });
    expect(refill).toEqual([...Array(5).fill('ok'), 'ThrottlingException 400']);
  });

  it('throttles StartExecution, DescribeExecution and GetExecutionHistory each from its own bucket', async () => {
    aws.models.update({
      sfnThrottle: {
        enabled: true,
        operations: {
          StartExecution: {
            large: { burst: 2, refillPerSecond: 0 },
            other: { burst: 2, refillPerSecond: 0 },
          },
          DescribeExecution: {
            large: { burst: 1, refillPerSecond: 0 },
            other: { burst: 1, refillPerSecond: 0 },
          },
          GetExecutionHistory: {
            large: { burst: 1, refillPerSecond: 0 },
            other: { burst: 1, refillPerSecond: 0 },
          },
        },
      },
    });
    const client = sfn(EAST);
    const started = await client.send(
      new StartExecutionCommand({ stateMachineArn: machineArn(EAST), name: 'one', input: '{}' }),
    );
    const arn = started.executionArn!;

    expect(
      await outcomes(2, () =>
        client.send(new StartExecutionCommand({ stateMachineArn: machineArn(EAST), name: 'two' })),
      ),
    ).toEqual(['ok', 'ThrottlingException 400']);
    expect(await outcomes(2, () => client.send(new DescribeExecutionCommand({ executionArn: arn })))).toEqual(
      ['ok', 'ThrottlingException 400'],
    );
    expect(
      await outcomes(2, () => client.send(new GetExecutionHistoryCommand({ executionArn: arn }))),
    ).toEqual(['ok', 'ThrottlingException 400']);
  });

  it('carries the documented figures for every region class', () => {
    const { sfnThrottle } = new LocalModels({ profile: 'realistic' }).settings();

    expect(sfnThrottle.enabled).toBe(true);
    expect(sfnThrottle.largeRegions).toEqual(['us-east-1', 'us-west-2', 'eu-west-1']);
    expect(sfnThrottle.operations).toEqual({
      StartExecution: {
        large: { burst: 1300, refillPerSecond: 300 },
        other: { burst: 800, refillPerSecond: 150 },
      },
      DescribeExecution: {
        large: { burst: 300, refillPerSecond: 15 },
        other: { burst: 250, refillPerSecond: 10 },
      },
      ListExecutions: {
        large: { burst: 200, refillPerSecond: 5 },
        other: { burst: 100, refillPerSecond: 2 },
      },
      GetExecutionHistory: {
        large: { burst: 400, refillPerSecond: 20 },
        other: { burst: 400, refillPerSecond: 20 },
      },
    });
  });
});
