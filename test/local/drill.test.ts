/**
 * Drills on local AWS: the synthesized state machine with the real task code, IAM evaluated by local
 * AWS. A drill writes nothing, says READY when a failover would work, and otherwise fails with
 * NotReady naming every reason. Expected ARNs are written out by hand.
 */
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EC2_ACTIONS } from '../../local/ec2/service';
import { type LocalAws, startLocalAws } from '../../local/server';
import { executionName, stateMachineArn } from '../../tasks/execution-name';
import { regionOfNode } from '../../tasks/routing';
import { loadTopology, type Topology } from '../../tasks/topology';

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const ACCOUNT = '123456789012';
let stamp = 0;
/** A distinct, increasing request time per run, so names never collide. */
const nextRequestedAt = () => new Date(Date.UTC(2026, 10, 25, 13, 0, 0, ++stamp)).toISOString();

/** How many EC2 calls local AWS has served, over all regions. */
function ec2Calls(stats: unknown): number {
  const calls = (stats as { calls?: Record<string, Record<string, number>> }).calls ?? {};
  return Object.values(calls)
    .flatMap((byAction) => Object.entries(byAction))
    .filter(([action]) => action in EC2_ACTIONS)
    .reduce((sum, [, n]) => sum + n, 0);
}

interface Run {
  readonly status?: string;
  readonly output?: string;
  readonly error?: string;
  readonly cause?: string;
}

function harness(file: string) {
  const ctx = { topology: undefined as unknown as Topology, aws: undefined as unknown as LocalAws };
  const clients = new Map<string, SFNClient>();
  beforeAll(async () => {
    ctx.topology = await loadTopology(file);
    ctx.aws = await startLocalAws({
      topology: ctx.topology,
      port: 0,
      active: 'server-a',
      sfn: { retryIntervalScale: 0.01 },
    });
  });
  afterAll(async () => {
    for (const client of clients.values()) client.destroy();
    await ctx.aws.close();
  });
  beforeEach(async () => {
    await fetch(`${ctx.aws.url}/_local/reset`, { method: 'POST' });
  });

  const sfn = (region: string) => {
    const client =
      clients.get(region) ?? new SFNClient({ region, endpoint: ctx.aws.url, credentials, maxAttempts: 1 });
    clients.set(region, client);
    return client;
  };

  async function start(target: string, mode: 'failover' | 'drill', extra: Record<string, unknown> = {}) {
    const region = regionOfNode(ctx.topology, target);
    const requestedAt = nextRequestedAt();
    const { executionArn } = await sfn(region).send(
      new StartExecutionCommand({
        stateMachineArn: stateMachineArn(ctx.topology.cluster, region, ctx.aws.account),
        name: executionName(target, requestedAt, mode),
        input: JSON.stringify({ target, requestedAt, ...(mode === 'drill' ? { mode } : {}), ...extra }),
      }),
    );
    return { region, executionArn: executionArn! };
  }

  async function finish({ region, executionArn }: { region: string; executionArn: string }): Promise<Run> {
    for (;;) {
      const run = await sfn(region).send(new DescribeExecutionCommand({ executionArn }));
      if (run.status !== 'RUNNING') return run;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  const run = async (target: string, mode: 'failover' | 'drill', extra?: Record<string, unknown>) =>
    finish(await start(target, mode, extra));

  return { ctx, start, finish, run };
}

describe.each(['examples/two-region.yaml', 'examples/three-region.yaml'])('drills of %s', (file) => {
  const { ctx, run } = harness(file);

  it('is READY for every node, and every route of every table is byte-identical afterwards', async () => {
    const before = JSON.stringify(ctx.aws.world.allRoutes());
    const runs = await Promise.all(Object.keys(ctx.topology.nodes).map((node) => run(node, 'drill')));
    for (const [i, result] of runs.entries()) {
      expect(result.status, result.cause).toBe('SUCCEEDED');
      expect(JSON.parse(result.output ?? '{}')).toMatchObject({
        status: 'READY',
        mode: 'drill',
        target: Object.keys(ctx.topology.nodes)[i],
      });
    }
    expect(JSON.stringify(ctx.aws.world.allRoutes())).toBe(before);
  });
});

describe('drills of examples/two-region.yaml', () => {
  const { ctx, start, finish, run } = harness('examples/two-region.yaml');
  const PEERING = 'tgw-attach-0c1d2e3f4a5b6c7d8';
  const VPC_B_ATTACHMENT = 'tgw-attach-0b6d8f1a3c5e7b9d4';
  const serverB = () => ctx.topology.nodes['server-b']!;
  const regionB = () => ctx.aws.world.region('ap-southeast-1');

  /** The task role as before the fix: TGW writes allowed on the route tables only. */
  async function deployTablesOnlyPolicy() {
    const deployed = (await (await fetch(`${ctx.aws.url}/_local/iam`)).json()) as {
      policy: { Statement: { Action: string[]; Resource: string[] }[] };
    };
    const Statement = deployed.policy.Statement.map((s) =>
      s.Action.includes('ec2:CreateTransitGatewayRoute')
        ? { ...s, Resource: s.Resource.filter((r) => !r.includes(':transit-gateway-attachment/')) }
        : s,
    );
    const response = await fetch(`${ctx.aws.url}/_local/iam`, {
      method: 'POST',
      body: JSON.stringify({ policy: { ...deployed.policy, Statement } }),
    });
    expect(response.status).toBe(200);
  }

  it('is NOT READY with a policy lacking the attachment ARNs, naming the action and the ARN; a failover then fails the same way', async () => {
    await deployTablesOnlyPolicy();
    const before = JSON.stringify(ctx.aws.world.allRoutes());

    const drill = await run('server-b', 'drill');
    expect(drill.status).toBe('FAILED');
    expect(drill.error).toBe('NotReady');
    expect(drill.cause).toContain(
      `ec2:ReplaceTransitGatewayRoute 172.16.0.1/32 -> ${PEERING} in tgw-rtb-0a1b2c3d4e5f6a7b8 (us-east-1) on ` +
        `arn:aws:ec2:us-east-1:${ACCOUNT}:transit-gateway-route-table/tgw-rtb-0a1b2c3d4e5f6a7b8, ` +
        `arn:aws:ec2:us-east-1:${ACCOUNT}:transit-gateway-attachment/${PEERING}: UnauthorizedOperation`,
    );
    expect(drill.cause).toContain(
      `arn:aws:ec2:ap-southeast-1:${ACCOUNT}:transit-gateway-attachment/${VPC_B_ATTACHMENT}: UnauthorizedOperation`,
    );
    expect(JSON.stringify(ctx.aws.world.allRoutes())).toBe(before);

    const failover = await run('server-b', 'failover');
    expect(failover.status).toBe('FAILED');
    expect(failover.error).toBe('RouteUpdateFailed');
    expect(failover.cause).toContain(
      `UnauthorizedOperation (ec2:ReplaceTransitGatewayRoute on arn:aws:ec2:ap-southeast-1:${ACCOUNT}:transit-gateway-route-table/tgw-rtb-0b1c2d3e4f5a6b7c8, ` +
        `arn:aws:ec2:ap-southeast-1:${ACCOUNT}:transit-gateway-attachment/${VPC_B_ATTACHMENT})`,
    );
  });

  it('is READY, and a failover succeeds, with the corrected (deployed) policy', async () => {
    const drill = await run('server-b', 'drill');
    expect(drill.status, drill.cause).toBe('SUCCEEDED');
    const failover = await run('server-b', 'failover');
    expect(failover.status, failover.cause).toBe('SUCCEEDED');
  });

  it('is NOT READY when the standby instance is stopped', async () => {
    regionB().instances[serverB().instance]!.state = 'stopped';
    const drill = await run('server-b', 'drill');
    expect(drill.error).toBe('NotReady');
    expect(drill.cause).toContain(`instance ${serverB().instance} of server-b: state stopped, not running`);
  });

  it('is NOT READY when source/destination check is on', async () => {
    regionB().instances[serverB().instance]!.sourceDestCheck = true;
    const drill = await run('server-b', 'drill');
    expect(drill.error).toBe('NotReady');
    expect(drill.cause).toContain(
      `instance ${serverB().instance} of server-b: source/destination check is on`,
    );
  });

  it('is NOT READY when the ENI is detached', async () => {
    const eni = regionB().networkInterfaces[serverB().eni]!;
    eni.status = 'available';
    eni.instanceId = null;
    const drill = await run('server-b', 'drill');
    expect(drill.error).toBe('NotReady');
    expect(drill.cause).toContain(
      `network interface ${serverB().eni} of server-b: status available, not in-use`,
    );
  });

  it('is NOT READY when the VPC attachment is not available', async () => {
    regionB().tgwAttachments[VPC_B_ATTACHMENT]!.state = 'pending';
    const drill = await run('server-b', 'drill');
    expect(drill.error).toBe('NotReady');
    expect(drill.cause).toContain(`VPC attachment ${VPC_B_ATTACHMENT} of vpc-b: pending, not available`);
  });

  it('is NOT READY when a listed route table does not exist', async () => {
    const table = ctx.topology.vpcs['vpc-b']!.routeTables[1]!;
    delete regionB().routeTables[table];
    const drill = await run('server-b', 'drill');
    expect(drill.error).toBe('NotReady');
    expect(drill.cause).toContain(table);
    expect(drill.cause).toContain('InvalidRouteTableID.NotFound');
  });

  it('refuses drill input that carries restore or an unknown field, before any AWS call', async () => {
    for (const extra of [
      { restore: { from: 'arn:aws:states:us-east-1:123456789012:execution:x:y', routes: [] } },
      { dryRun: true },
    ]) {
      const calls = () => ec2Calls(ctx.aws.models.stats());
      const callsBefore = calls();
      const drill = await run('server-b', 'drill', extra);
      expect(drill.error).toBe('InvalidRequest');
      expect(calls()).toBe(callsBefore);
    }
    // The counter does see a drill's reads: the check above can fail.
    const before = ec2Calls(ctx.aws.models.stats());
    await run('server-b', 'drill');
    expect(ec2Calls(ctx.aws.models.stats())).toBeGreaterThan(before);
  });

  it('changes neither outcome when it runs during a failover, and the failover does not stop for it', async () => {
    const failover = await start('server-b', 'failover');
    const drill = await start('server-b', 'drill');
    const [f, d] = await Promise.all([finish(failover), finish(drill)]);
    expect(f.status, f.cause).toBe('SUCCEEDED');
    expect(d.status, d.cause).toBe('SUCCEEDED');
    expect(JSON.parse(d.output ?? '{}').status).toBe('READY');

    // A drill started first is no newer run for a later failover, nor is the failover one for the drill.
    const drill2 = await start('server-a', 'drill');
    const failover2 = await start('server-a', 'failover');
    const [d2, f2] = await Promise.all([finish(drill2), finish(failover2)]);
    expect(f2.status, f2.cause).toBe('SUCCEEDED');
    expect(d2.status, d2.cause).toBe('SUCCEEDED');
  });
});
