import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  DescribeExecutionCommand,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_CREDENTIALS } from '../../local/iam/principals';
import { type LocalAws, startLocalAws } from '../../local/server';
import { executionName, stateMachineArn } from '../../tasks/execution-name';
import { desiredRoutes } from '../../tasks/routing';
import { loadTopology, type Topology } from '../../tasks/topology';
import { synthesizeAsl } from '../../workflow/asl';

const topology = await loadTopology('examples/two-region.yaml');
// Runs are started and followed as a cluster node does; what a node may not do is done as an administrator.
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

let aws: LocalAws;
let dir: string;
let statePath: string;
let asl: Record<string, object> | undefined;
const synthesize = (t: Topology) => {
  asl ??= synthesizeAsl(t);
  return asl;
};
const lines: string[] = [];
const clients: SFNClient[] = [];
const sfn = (region: string, as: typeof credentials = credentials) => {
  const client = new SFNClient({ region, endpoint: aws.url, credentials: as, maxAttempts: 1 });
  clients.push(client);
  return client;
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'local-aws-sfn-'));
  statePath = join(dir, 'state.json');
  aws = await startLocalAws({
    topology,
    port: 0,
    active: 'server-b',
    statePath,
    sfn: { retryIntervalScale: 0.01, synthesize },
    taskEc2: { budgetMs: 1500, connectionTimeoutMs: 500, requestTimeoutMs: 1000 },
    log: (line) => lines.push(line),
  });
});
afterAll(async () => {
  for (const client of clients) client.destroy();
  await aws.close();
  await rm(dir, { recursive: true, force: true });
});

async function settle(client: SFNClient, executionArn: string) {
  for (;;) {
    const execution = await client.send(new DescribeExecutionCommand({ executionArn }));
    if (execution.status !== 'RUNNING') return execution;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('local AWS with Step Functions and the real task handlers', () => {
  it('creates the cluster state machine in every region', async () => {
    for (const region of ['us-east-1', 'ap-southeast-1']) {
      const machines = await sfn(region, ADMIN_CREDENTIALS).send(new ListStateMachinesCommand({}));
      expect(machines.stateMachines?.map((m) => m.name)).toEqual(['vip-failover-orders-db']);
    }
  });

  it('fails the VIP over to server-a and leaves every non-VIP route untouched', async () => {
    const nonVip = () => aws.world.allRoutes().filter((r) => !topology.vips.includes(r.destination));
    const before = nonVip();
    const region = 'us-east-1';
    const requestedAt = new Date().toISOString();
    const client = sfn(region);
    const started = await client.send(
      new StartExecutionCommand({
        stateMachineArn: stateMachineArn(topology.cluster, region, aws.account),
        name: executionName('server-a', requestedAt),
        input: JSON.stringify({ target: 'server-a', requestedAt, reason: 'test' }),
      }),
    );
    const execution = await settle(client, started.executionArn!);
    expect(execution.status, execution.cause ?? execution.error).toBe('SUCCEEDED');
    expect(JSON.parse(execution.output!)).toMatchObject({ status: 'SUCCEEDED', target: 'server-a' });
    for (const want of desiredRoutes(topology, 'server-a')) {
      expect(aws.world.findRoute(want.region, want.table, want.vip)).toMatchObject({
        target: want.target,
        state: 'active',
      });
    }
    expect(nonVip()).toEqual(before);
    // The handlers of the us-east-1 machine wrote ap-southeast-1 tables: cross-region calls were made.
    const calls = aws.models.stats().calls;
    expect(calls['ap-southeast-1']?.ReplaceRoute).toBeGreaterThan(0);
    expect(calls['us-east-1']?.ReplaceTransitGatewayRoute).toBeGreaterThan(0);
    // Their clients name the region they run in, so the latency model can charge cross-region calls.
    expect(lines).toContainEqual(expect.stringMatching(/^ap-southeast-1 ReplaceRoute 200 from us-east-1$/));
  });

  it('ends DEGRADED when the other region is down, with the target region converged', async () => {
    const region = 'ap-southeast-1';
    aws.models.setOutage('us-east-1', true);
    try {
      const requestedAt = new Date(Date.now() + 1000).toISOString();
      const client = sfn(region);
      const started = await client.send(
        new StartExecutionCommand({
          stateMachineArn: stateMachineArn(topology.cluster, region, aws.account),
          name: executionName('server-b', requestedAt),
          input: JSON.stringify({ target: 'server-b', requestedAt }),
        }),
      );
      const execution = await settle(client, started.executionArn!);
      expect(execution.status, execution.cause ?? execution.error).toBe('SUCCEEDED');
      expect(JSON.parse(execution.output!)).toMatchObject({ status: 'DEGRADED', target: 'server-b' });
      for (const want of desiredRoutes(topology, 'server-b').filter((r) => r.region === region)) {
        expect(aws.world.findRoute(want.region, want.table, want.vip)?.target).toBe(want.target);
      }
      expect(aws.models.stats().refused).toBeGreaterThan(0);
    } finally {
      aws.models.setOutage('us-east-1', false);
    }
  });

  it('takes Step Functions down in a region while its EC2 API keeps answering', async () => {
    const region = 'us-east-1';
    const ec2 = new EC2Client({ region, endpoint: aws.url, credentials: ADMIN_CREDENTIALS, maxAttempts: 1 });
    const post = (body: unknown) =>
      fetch(`${aws.url}/_local/outage`, { method: 'POST', body: JSON.stringify(body) });
    expect((await post({ region, service: 'states' })).status).toBe(200);
    try {
      const refused = sfn(region).send(
        new ListExecutionsCommand({
          stateMachineArn: stateMachineArn(topology.cluster, region, aws.account),
        }),
      );
      await expect(refused).rejects.toThrow(/socket hang up|ECONNRESET|ECONNREFUSED/);
      const vpcs = await ec2.send(new DescribeVpcsCommand({}));
      expect(vpcs.Vpcs?.length).toBeGreaterThan(0);
      expect(aws.models.isDown(region)).toBe(false);
      expect(aws.models.isDown(region, 'states')).toBe(true);
      expect((await post({ region, service: 'chime' })).status).toBe(400);
    } finally {
      expect((await post({ region, service: 'states', down: false })).status).toBe(200);
      ec2.destroy();
    }
    const listed = await sfn(region).send(
      new ListExecutionsCommand({ stateMachineArn: stateMachineArn(topology.cluster, region, aws.account) }),
    );
    expect(listed.executions).toBeDefined();
  });

  it('restores the world and the executions from the state file', async () => {
    await aws.save();
    const restarted = await startLocalAws({ topology, port: 0, statePath, sfn: { synthesize } });
    try {
      expect(restarted.world.allRoutes()).toEqual(aws.world.allRoutes());
      const client = new SFNClient({
        region: 'us-east-1',
        endpoint: restarted.url,
        credentials,
        maxAttempts: 1,
      });
      clients.push(client);
      const machine = stateMachineArn(topology.cluster, 'us-east-1', restarted.account);
      const listed = await client.send(new ListExecutionsCommand({ stateMachineArn: machine }));
      expect(listed.executions?.map((e) => [e.name?.startsWith('server-a-'), e.status])).toEqual([
        [true, 'SUCCEEDED'],
      ]);
    } finally {
      await restarted.close();
    }
  });
});
