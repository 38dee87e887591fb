import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  type GetExecutionHistoryCommandOutput,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import 'aws-sdk-client-mock-vitest/extend';
import { ExitCode } from '../../cli/core/exit-codes';
import type { PlanOutput } from '../../tasks/contracts';
import { desiredRoutes } from '../../tasks/routing';
import { connectionRefused, EXEC, NOW, SM, topology, vipctl } from './harness';

const sfn = mockClient(SFNClient);
const at = (ms: number) => new Date(NOW.getTime() + ms);
const FAILED = 'server-b-20261125T120356123';
const FAILED_ARN = EXEC('ap-southeast-1', FAILED);

/** The Plan output of a run to server-b, taken while server-a was active. */
const planOutput: PlanOutput = {
  request: { target: 'server-b', requestedAt: NOW.toISOString() },
  mode: 'failover',
  target: 'server-b',
  converged: false,
  summary: { routes: 6, changes: { 'local-vpc': 0, tgw: 0, 'remote-vpc': 0 }, unchanged: 0, skipped: 0 },
  plan: {
    changes: [],
    unchanged: [],
    snapshot: desiredRoutes(topology, 'server-a').map((r) => ({
      table: r.table,
      kind: r.kind,
      region: r.region,
      vip: r.vip,
      target: r.target,
      state: 'active' as const,
    })),
  },
  skipped: [],
  unreachable: [],
  timing: { startedAt: NOW.toISOString(), finishedAt: at(120).toISOString() },
};

const failedHistory: Pick<GetExecutionHistoryCommandOutput, 'events'> = {
  events: [
    { id: 1, type: 'ExecutionStarted', timestamp: at(0) },
    { id: 2, type: 'TaskStateEntered', timestamp: at(1), stateEnteredEventDetails: { name: 'Plan' } },
    {
      id: 3,
      type: 'TaskStateExited',
      timestamp: at(121),
      stateExitedEventDetails: { name: 'Plan', output: JSON.stringify({ plan: planOutput, applied: {} }) },
    },
    {
      id: 4,
      type: 'TaskStateEntered',
      timestamp: at(122),
      stateEnteredEventDetails: { name: 'UpdateLocalVpcRoutes' },
    },
    {
      id: 5,
      type: 'TaskFailed',
      timestamp: at(400),
      taskFailedEventDetails: {
        resourceType: 'lambda',
        resource: 'invoke',
        error: 'RouteUpdateFailed',
        cause:
          '{"errorType":"RouteUpdateFailed","errorMessage":"replace in rtb-0b2e4a6c8d1f3b5e7: UnauthorizedOperation"}',
      },
    },
    {
      id: 6,
      type: 'ExecutionFailed',
      timestamp: at(410),
      executionFailedEventDetails: { error: 'RouteUpdateFailed' },
    },
  ],
};

beforeEach(() => {
  sfn.reset();
  sfn
    .on(DescribeExecutionCommand)
    .rejects(Object.assign(new Error('no such run'), { name: 'ExecutionDoesNotExist' }));
  sfn.on(DescribeExecutionCommand, { executionArn: FAILED_ARN }).resolves({
    executionArn: FAILED_ARN,
    name: FAILED,
    status: 'FAILED',
    startDate: NOW,
    stopDate: at(410),
    input: JSON.stringify({ target: 'server-b', requestedAt: NOW.toISOString(), reason: 'drill' }),
    error: 'RouteUpdateFailed',
  });
  sfn.on(GetExecutionHistoryCommand, { executionArn: FAILED_ARN }).resolves(failedHistory);
});

describe('vipctl runs', () => {
  it('shows a DEGRADED run as DEGRADED although ListExecutions says SUCCEEDED', async () => {
    const name = 'server-b-20261125T140000000';
    const arn = EXEC('ap-southeast-1', name);
    sfn.on(ListExecutionsCommand).resolves({ executions: [] });
    sfn.on(ListExecutionsCommand, { stateMachineArn: SM('ap-southeast-1') }).resolves({
      executions: [
        {
          executionArn: arn,
          name,
          stateMachineArn: SM('ap-southeast-1'),
          status: 'SUCCEEDED',
          startDate: NOW,
        },
      ],
    });
    sfn.on(DescribeExecutionCommand, { executionArn: arn }).resolves({
      executionArn: arn,
      name,
      status: 'SUCCEEDED',
      startDate: NOW,
      stopDate: at(900),
      output: JSON.stringify({
        status: 'DEGRADED',
        mode: 'failover',
        target: 'server-b',
        request: { target: 'server-b', requestedAt: NOW.toISOString() },
        changes: [],
        snapshot: [],
        skipped: [],
        trace: { node: 'server-b', converged: false, starts: [], health: [] },
        unreached: [],
        timings: {},
      }),
    });

    const table = await vipctl(['runs']);
    const json = await vipctl(['runs', '--json']);

    expect(table.code).toBe(ExitCode.Ok);
    expect(table.stdout).toMatch(/server-b-20261125T140000000\s+server-b\s+DEGRADED/);
    expect(JSON.parse(json.stdout).runs[0]).toMatchObject({ name, status: 'SUCCEEDED', outcome: 'DEGRADED' });
  });

  it('merges the runs of every cluster region, newest first', async () => {
    sfn.on(ListExecutionsCommand, { stateMachineArn: SM('us-east-1') }).resolves({
      executions: [
        {
          executionArn: EXEC('us-east-1', 'server-a-20261125T130000000'),
          name: 'server-a-20261125T130000000',
          stateMachineArn: SM('us-east-1'),
          status: 'SUCCEEDED',
          startDate: new Date('2026-11-25T13:00:00Z'),
          stopDate: new Date('2026-11-25T13:00:02Z'),
        },
        {
          executionArn: EXEC('us-east-1', 'server-a-20261125T110000000'),
          name: 'server-a-20261125T110000000',
          stateMachineArn: SM('us-east-1'),
          status: 'FAILED',
          startDate: new Date('2026-11-25T11:00:00Z'),
          stopDate: new Date('2026-11-25T11:00:01Z'),
        },
      ],
    });
    sfn.on(ListExecutionsCommand, { stateMachineArn: SM('ap-southeast-1') }).resolves({
      executions: [
        {
          executionArn: FAILED_ARN,
          name: FAILED,
          stateMachineArn: SM('ap-southeast-1'),
          status: 'RUNNING',
          startDate: NOW,
        },
      ],
    });

    const result = await vipctl(['runs', '--json']);

    expect(result.code).toBe(ExitCode.Ok);
    const runs = JSON.parse(result.stdout).runs as {
      name: string;
      region: string;
      target: string;
      durationMs: number | null;
    }[];
    expect(runs.map((r) => r.name)).toEqual([
      'server-a-20261125T130000000',
      FAILED,
      'server-a-20261125T110000000',
    ]);
    expect(runs[0]).toMatchObject({ target: 'server-a', region: 'us-east-1', durationMs: 2000 });
    expect(runs[1]).toMatchObject({ target: 'server-b', region: 'ap-southeast-1', durationMs: null });
  });

  it('still lists the reachable regions when one region is unreachable, with a warning', async () => {
    sfn.on(ListExecutionsCommand, { stateMachineArn: SM('us-east-1') }).resolves({
      executions: [
        {
          executionArn: EXEC('us-east-1', 'server-a-20261125T130000000'),
          name: 'server-a-20261125T130000000',
          stateMachineArn: SM('us-east-1'),
          status: 'SUCCEEDED',
          startDate: NOW,
          stopDate: at(5),
        },
      ],
    });
    sfn.on(ListExecutionsCommand, { stateMachineArn: SM('ap-southeast-1') }).rejects(connectionRefused());

    const result = await vipctl(['runs']);

    expect(result.code).toBe(ExitCode.Ok);
    expect(result.stdout).toMatch(
      /server-a-20261125T130000000\s+server-a\s+SUCCEEDED\s+2026-11-25 12:03:56Z\s+5 ms\s+us-east-1/,
    );
    expect(result.stderr).toContain('runs in ap-southeast-1 could not be listed (ECONNREFUSED)');
  });
});

describe('vipctl show', () => {
  it('finds a run by name in any cluster region and shows its steps, snapshot and error', async () => {
    const result = await vipctl(['show', FAILED]);

    expect(result.code).toBe(ExitCode.Ok);
    expect(result.stdout).toMatch(/^Plan\s+\|█+\s*\|\s+120 ms$/m);
    expect(result.stdout).toContain('snapshot (VIP routes before the run):');
    expect(result.stdout).toMatch(
      /rtb-0a2d4f6b8c1e3a5d7\s+us-east-1\s+172\.16\.0\.1\/32\s+server-a \(eni-0a1f3c5e7b9d2f4a6\)\s+active/,
    );
    expect(result.stdout).toContain('error at UpdateLocalVpcRoutes: RouteUpdateFailed');
    expect(result.stdout).toContain('replace in rtb-0b2e4a6c8d1f3b5e7: UnauthorizedOperation');
  });

  it('gives steps with durations and the failure as JSON', async () => {
    const result = await vipctl(['show', FAILED_ARN, '--json']);

    const json = JSON.parse(result.stdout);
    expect(json.run).toMatchObject({
      name: FAILED,
      status: 'FAILED',
      target: 'server-b',
      reason: 'drill',
      durationMs: 410,
    });
    expect(
      json.steps.map((s: { name: string; durationMs: number | null }) => [s.name, s.durationMs]),
    ).toEqual([
      ['Plan', 120],
      ['UpdateLocalVpcRoutes', null],
    ]);
    expect(json.failure).toMatchObject({ step: 'UpdateLocalVpcRoutes', error: 'RouteUpdateFailed' });
    expect(json.snapshot).toHaveLength(6);
  });
});

describe('vipctl rollback', () => {
  it('starts a restore of the failed run from the snapshot in its history, targeting the node that was active', async () => {
    const restoreName = 'server-a-20261125T120356123';
    sfn.on(StartExecutionCommand).resolves({ executionArn: EXEC('us-east-1', restoreName), startDate: NOW });

    const result = await vipctl(['rollback', FAILED, '--no-wait']);

    expect(result.code).toBe(ExitCode.Ok);
    expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, {
      stateMachineArn: SM('us-east-1'),
      name: restoreName,
    });
    const input = JSON.parse(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input.input ?? '{}');
    expect(input).toEqual({
      target: 'server-a',
      requestedAt: NOW.toISOString(),
      requestedBy: 'test',
      reason: `rollback of ${FAILED}`,
      restore: { from: FAILED_ARN, routes: planOutput.plan?.snapshot },
    });
  });

  it('asks on a terminal and starts nothing when the answer is no', async () => {
    const questions: string[] = [];
    const result = await vipctl(['rollback', FAILED], {
      isTTY: true,
      confirm: async (q) => {
        questions.push(q);
        return false;
      },
    });

    expect(questions).toHaveLength(1);
    expect(result.code).toBe(ExitCode.Failed);
    expect(result.stderr).toContain('rollback cancelled');
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });
});
