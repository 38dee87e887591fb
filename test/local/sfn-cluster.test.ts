import { beforeAll, describe, expect, it } from 'vitest';
import { createSfnService, type SfnService } from '../../local/sfn/service';
import { NotConvergedError, SupersededError } from '../../tasks/errors';
import { stateMachineArn } from '../../tasks/execution-name';
import type { Topology } from '../../tasks/topology';
import { loadTopology } from '../../tasks/topology';

const ACCOUNT = '123456789012';

type Call = {
  payload: { task: string; step?: string; execution: { id: string; startTime: string } };
  region: string;
  functionArn: string;
  stateName: string;
};
type Json = Record<string, unknown>;

/** One service per file: the real CDK synthesis behind createClusterStateMachines takes a few seconds. */
let topology: Topology;
let service: SfnService;
let behave: (call: Call) => Promise<unknown>;
const calls: Call[] = [];

const call = async (operation: string, body: unknown, region: string): Promise<Json> => {
  const { status, body: out } = await service.handle(operation, body, { region });
  if (status !== 200) throw new Error(`${operation}: ${JSON.stringify(out)}`);
  return out as Json;
};

async function runToEnd(region: string, name: string, input: object): Promise<Json> {
  const sm = stateMachineArn(topology.cluster, region, ACCOUNT);
  const { executionArn } = await call(
    'StartExecution',
    { stateMachineArn: sm, name, input: JSON.stringify(input) },
    region,
  );
  for (;;) {
    const described = await call('DescribeExecution', { executionArn }, region);
    if (described.status !== 'RUNNING') return described;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function enteredStates(executionArn: string, region: string): Promise<string[]> {
  const { events } = await call('GetExecutionHistory', { executionArn, maxResults: 1000 }, region);
  return (events as Json[])
    .filter((e) => e.type === 'TaskStateEntered')
    .map((e) => (e.stateEnteredEventDetails as Json).name as string);
}

beforeAll(async () => {
  topology = await loadTopology('examples/two-region.yaml');
  service = createSfnService({
    account: ACCOUNT,
    invokeTask: (payload, ctx) => {
      const c = { payload: payload as Call['payload'], ...ctx };
      calls.push(c);
      return behave(c);
    },
    retryIntervalScale: 0.001,
  });
  await service.createClusterStateMachines(topology);
});

const regions = () => [...new Set(Object.values(topology.vpcs).map((v) => v.region))];

describe('the synthesized failover workflow on local Step Functions', () => {
  it('creates vip-failover-<cluster> in every region of the topology', async () => {
    for (const region of regions()) {
      const { stateMachines } = await call('ListStateMachines', {}, region);
      const described = await call(
        'DescribeStateMachine',
        { stateMachineArn: stateMachineArn(topology.cluster, region, ACCOUNT) },
        region,
      );

      expect((stateMachines as Json[]).map((m) => m.name)).toEqual([`vip-failover-${topology.cluster}`]);
      expect(JSON.parse(described.definition as string).StartAt).toBe('LoadTopology');
    }
  });

  it('runs a failover through every step, retrying verification on NotConverged', async () => {
    const region = regions()[0]!;
    let verifications = 0;
    behave = async ({ payload }) => {
      if (payload.task === 'plan') return { converged: false, target: 'server-b' };
      if (payload.task === 'apply') return { step: payload.step, results: [] };
      verifications++;
      if (verifications === 1) throw new NotConvergedError('tgw-rtb still points at the old node');
      return { status: 'SUCCEEDED', target: 'server-b' };
    };
    calls.length = 0;

    const done = await runToEnd(region, 'server-b-20261125T120356123', {
      target: 'server-b',
      requestedAt: '2026-11-25T12:03:56.123Z',
    });
    const states = await enteredStates(done.executionArn as string, region);

    expect(done.status).toBe('SUCCEEDED');
    expect(JSON.parse(done.output as string)).toEqual({ status: 'SUCCEEDED', target: 'server-b' });
    expect(states).toEqual([
      'Plan',
      'UpdateLocalVpcRoutes',
      'UpdateTgwRouteTables',
      'UpdateRemoteVpcRoutes',
      'VerifyReachability',
    ]);
    expect(calls.map((c) => c.payload.task)).toEqual(['plan', 'apply', 'apply', 'apply', 'verify', 'verify']);
    expect(calls.map((c) => c.payload.step).filter(Boolean)).toEqual(['local-vpc', 'tgw', 'remote-vpc']);
    expect(calls[0]!.region).toBe(region);
    expect(calls[0]!.functionArn).toMatch(new RegExp(`^arn:aws:lambda:${region}:${ACCOUNT}:function:`));
    expect(calls[0]!.payload.execution).toEqual({
      id: done.executionArn,
      startTime: new Date((done.startDate as number) * 1000).toISOString(),
    });
  });

  it('ends in the Failed state with the task error when a newer run supersedes this one', async () => {
    const region = regions().at(-1)!;
    behave = async () => {
      throw new SupersededError('server-a-20261125T120400000 started later');
    };

    const done = await runToEnd(region, 'server-b-20261125T120356124', {
      target: 'server-b',
      requestedAt: '2026-11-25T12:03:56.124Z',
    });

    expect(done).toMatchObject({ status: 'FAILED', error: 'Superseded' });
    expect(JSON.parse(done.cause as string)).toEqual({
      errorType: 'Superseded',
      errorMessage: 'server-a-20261125T120400000 started later',
      trace: expect.arrayContaining([expect.stringContaining('started later')]),
    });
  });
});
