import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  type GetExecutionHistoryCommandOutput,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import 'aws-sdk-client-mock-vitest/extend';
import { ExitCode } from '../../cli/core/exit-codes';
import { awsError, connectionRefused, EXEC, NOW, runOutput, SM, vipctl } from './harness';

const sfn = mockClient(SFNClient);
const NAME = 'server-b-20261125T120356123';
const ARN = EXEC('ap-southeast-1', NAME);
const at = (ms: number) => new Date(NOW.getTime() + ms);

const historyOfFailure: Pick<GetExecutionHistoryCommandOutput, 'events'> = {
  events: [
    { id: 1, type: 'ExecutionStarted', timestamp: at(0) },
    { id: 2, type: 'PassStateEntered', timestamp: at(1), stateEnteredEventDetails: { name: 'LoadTopology' } },
    {
      id: 3,
      type: 'PassStateExited',
      timestamp: at(2),
      stateExitedEventDetails: { name: 'LoadTopology', output: '{}' },
    },
    {
      id: 4,
      type: 'TaskStateEntered',
      timestamp: at(3),
      stateEnteredEventDetails: { name: 'UpdateTgwRouteTables' },
    },
    {
      id: 5,
      type: 'TaskFailed',
      timestamp: at(300),
      taskFailedEventDetails: {
        resourceType: 'lambda',
        resource: 'invoke',
        error: 'RouteUpdateFailed',
        cause: JSON.stringify({
          errorType: 'RouteUpdateFailed',
          errorMessage: 'replace 172.16.0.1/32 in tgw-rtb-0a1b2c3d4e5f6a7b8: UnauthorizedOperation',
        }),
      },
    },
    {
      id: 6,
      type: 'ExecutionFailed',
      timestamp: at(310),
      executionFailedEventDetails: { error: 'RouteUpdateFailed' },
    },
  ],
};

beforeEach(() => {
  sfn.reset();
  sfn.on(StartExecutionCommand).resolves({ executionArn: ARN, startDate: NOW });
  sfn.on(GetExecutionHistoryCommand).resolves({ events: [] });
});

describe('vipctl failover', () => {
  it('joins a failover to the same node that another process started moments ago, instead of starting a second', async () => {
    const other = 'server-b-20261125T120355900';
    const otherArn = EXEC('ap-southeast-1', other);
    sfn
      .on(ListExecutionsCommand, { stateMachineArn: SM('ap-southeast-1'), statusFilter: 'RUNNING' })
      .resolves({
        executions: [
          {
            executionArn: otherArn,
            name: other,
            stateMachineArn: SM('ap-southeast-1'),
            status: 'RUNNING',
            startDate: at(-223),
          },
        ],
      });
    sfn
      .on(DescribeExecutionCommand, { executionArn: otherArn })
      .resolvesOnce({
        executionArn: otherArn,
        name: other,
        status: 'RUNNING',
        startDate: at(-223),
        input: JSON.stringify({ target: 'server-b', requestedAt: at(-223).toISOString() }),
      })
      .resolves({
        executionArn: otherArn,
        name: other,
        status: 'SUCCEEDED',
        startDate: at(-223),
        stopDate: at(800),
        input: JSON.stringify({ target: 'server-b', requestedAt: at(-223).toISOString() }),
        output: JSON.stringify(runOutput('server-b')),
      });

    const result = await vipctl(['failover', '--to', 'server-b', '--json']);

    expect(result.code).toBe(ExitCode.Ok);
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
    expect(JSON.parse(result.stdout)).toMatchObject({
      run: { name: other, reused: true },
      status: 'SUCCEEDED',
    });
  });

  it('reports the outcome of the newer run to the same node that superseded its own run', async () => {
    const newer = 'server-b-20261125T120356500';
    const newerArn = EXEC('ap-southeast-1', newer);
    sfn.on(DescribeExecutionCommand, { executionArn: ARN }).resolves({
      executionArn: ARN,
      name: NAME,
      status: 'FAILED',
      startDate: NOW,
      stopDate: at(300),
      error: 'Superseded',
      cause: JSON.stringify({
        errorType: 'Superseded',
        errorMessage: `a newer run of cluster orders-db exists: ${newerArn} (RUNNING, started ...)`,
      }),
    });
    sfn.on(DescribeExecutionCommand, { executionArn: newerArn }).resolves({
      executionArn: newerArn,
      name: newer,
      status: 'SUCCEEDED',
      startDate: at(377),
      stopDate: at(1500),
      input: JSON.stringify({ target: 'server-b', requestedAt: at(377).toISOString() }),
      output: JSON.stringify(runOutput('server-b')),
    });

    const result = await vipctl(['failover', '--to', 'server-b']);

    expect(result.code).toBe(ExitCode.Ok);
    expect(result.stdout).toContain(
      `${NAME} was superseded by ${newer}, a run to the same node: following it`,
    );
    expect(result.stdout).toMatch(/SUCCEEDED in 1\.1 s: VIP routes lead to server-b/);
  });

  it('reports Superseded as a failure when the newer run goes to another node', async () => {
    const newer = 'server-a-20261125T120356500';
    const newerArn = EXEC('us-east-1', newer);
    sfn.on(DescribeExecutionCommand, { executionArn: ARN }).resolves({
      executionArn: ARN,
      name: NAME,
      status: 'FAILED',
      startDate: NOW,
      stopDate: at(300),
      error: 'Superseded',
      cause: JSON.stringify({ errorType: 'Superseded', errorMessage: `a newer run exists: ${newerArn}` }),
    });
    sfn.on(DescribeExecutionCommand, { executionArn: newerArn }).resolves({
      executionArn: newerArn,
      name: newer,
      status: 'RUNNING',
      startDate: at(377),
      input: JSON.stringify({ target: 'server-a', requestedAt: at(377).toISOString() }),
    });

    const result = await vipctl(['failover', '--to', 'server-b']);

    expect(result.code).toBe(ExitCode.Failed);
    expect(result.stdout).toContain('Superseded');
    expect(result.stdout).not.toContain('following it');
  });

  it('starts a run named after the target and the request time, in the target region, and exits 0 when it succeeds', async () => {
    sfn.on(DescribeExecutionCommand).resolves({
      executionArn: ARN,
      name: NAME,
      status: 'SUCCEEDED',
      startDate: NOW,
      stopDate: at(1200),
      output: JSON.stringify(runOutput('server-b')),
    });

    const result = await vipctl(['failover', '--to', 'server-b', '--reason', 'maintenance']);

    expect(result.code).toBe(ExitCode.Ok);
    expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, {
      stateMachineArn: SM('ap-southeast-1'),
      name: NAME,
    });
    const input = JSON.parse(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input.input ?? '{}');
    expect(input).toEqual({
      target: 'server-b',
      requestedAt: NOW.toISOString(),
      requestedBy: 'test',
      reason: 'maintenance',
    });
    expect(result.stdout).toContain(`started ${NAME} in ap-southeast-1`);
    expect(result.stdout).toMatch(/SUCCEEDED in 1\.2 s: VIP routes lead to server-b \(1 route changed\)/);
  });

  it('exits 3 and lists the tables it could not write when the run ends DEGRADED', async () => {
    sfn.on(DescribeExecutionCommand).resolves({
      name: NAME,
      status: 'SUCCEEDED',
      startDate: NOW,
      stopDate: at(900),
      output: JSON.stringify(runOutput('server-b', 'DEGRADED')),
    });

    const result = await vipctl(['failover', '--to', 'server-b']);

    expect(result.code).toBe(ExitCode.Degraded);
    expect(result.stdout).toContain('DEGRADED');
    expect(result.stdout).toContain('not written: rtb-0a1c3e5f7b9d2a4c6 (us-east-1) 172.16.0.1/32');
  });

  it('exits 1 and shows the failing step and the AWS error when the run fails', async () => {
    sfn.on(DescribeExecutionCommand).resolves({
      name: NAME,
      status: 'FAILED',
      startDate: NOW,
      stopDate: at(310),
      error: 'RouteUpdateFailed',
      cause: 'see history',
    });
    sfn.on(GetExecutionHistoryCommand).resolves(historyOfFailure);

    const result = await vipctl(['failover', '--to', 'server-b']);

    expect(result.code).toBe(ExitCode.Failed);
    expect(result.stdout).toContain('FAILED in 310 ms at UpdateTgwRouteTables: RouteUpdateFailed');
    expect(result.stdout).toContain('tgw-rtb-0a1b2c3d4e5f6a7b8: UnauthorizedOperation');
  });

  it('returns right after the start with --no-wait, without following the run', async () => {
    const result = await vipctl(['failover', '--to', 'server-a', '--no-wait', '--json']);

    expect(result.code).toBe(ExitCode.Ok);
    expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, { stateMachineArn: SM('us-east-1') });
    expect(sfn).not.toHaveReceivedCommand(DescribeExecutionCommand);
    expect(JSON.parse(result.stdout)).toMatchObject({ status: 'STARTED', target: 'server-a', exitCode: 0 });
  });

  it("starts in another cluster region when the target region's Step Functions API is unreachable, and says so", async () => {
    sfn.on(StartExecutionCommand, { stateMachineArn: SM('ap-southeast-1') }).rejects(connectionRefused());
    sfn
      .on(StartExecutionCommand, { stateMachineArn: SM('us-east-1') })
      .resolves({ executionArn: EXEC('us-east-1', NAME), startDate: NOW });

    const result = await vipctl(['failover', '--to', 'server-b', '--no-wait']);

    expect(result.code).toBe(ExitCode.Ok);
    expect(result.stderr).toContain('Step Functions in ap-southeast-1 is unreachable (ECONNREFUSED)');
    expect(result.stderr).toContain('started in us-east-1 instead of ap-southeast-1');
    expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, {
      stateMachineArn: SM('us-east-1'),
      name: NAME,
    });
  });

  it('follows the existing run when a run with the same name already exists', async () => {
    sfn.on(StartExecutionCommand).rejects(awsError('ExecutionAlreadyExists'));
    sfn.on(DescribeExecutionCommand, { executionArn: ARN }).resolves({
      name: NAME,
      status: 'SUCCEEDED',
      startDate: NOW,
      stopDate: at(50),
      output: JSON.stringify(runOutput('server-b')),
    });

    const result = await vipctl(['failover', '--to', 'server-b']);

    expect(result.code).toBe(ExitCode.Ok);
    expect(result.stdout).toContain(`run ${NAME} already exists in ap-southeast-1: following it`);
  });

  it('exits 4 when no cluster region accepts the start', async () => {
    sfn.on(StartExecutionCommand).rejects(connectionRefused());

    const result = await vipctl(['failover', '--to', 'server-b']);

    expect(result.code).toBe(ExitCode.Unreachable);
    expect(result.stderr).toContain(
      'Step Functions API was unavailable in ap-southeast-1 (ECONNREFUSED), us-east-1 (ECONNREFUSED)',
    );
  });

  it('gives up after --timeout with exit 1 and says how to follow the run', async () => {
    sfn.on(DescribeExecutionCommand).resolves({ name: NAME, status: 'RUNNING', startDate: NOW });

    const result = await vipctl(['failover', '--to', 'server-b', '--timeout', '5', '--no-stop'], {
      tickMs: 1000,
    });

    expect(result.code).toBe(ExitCode.Failed);
    expect(result.stdout).toContain('still RUNNING after 5.0 s');
    expect(result.stderr).toContain(`follow it with vipctl show ${NAME}`);
    expect(sfn).not.toHaveReceivedCommand(StopExecutionCommand);
  });

  it('stops the run when --timeout expires, and reports the routes its finished steps wrote', async () => {
    const change = runOutput('server-b').changes[0]!;
    const timing = { startedAt: NOW.toISOString(), finishedAt: NOW.toISOString() };
    const plan = {
      request: { target: 'server-b', requestedAt: NOW.toISOString() },
      mode: 'failover',
      target: 'server-b',
      converged: false,
      plan: {
        changes: [
          {
            table: change.table,
            kind: change.kind,
            region: change.region,
            vip: change.vip,
            step: change.step,
            wave: 0,
            action: 'replace',
            previous: change.previous,
            previousState: 'active',
            target: change.target,
          },
        ],
        unchanged: [],
        snapshot: [],
      },
      skipped: [],
      unreachable: [],
      timing,
    };
    // The update step reports a count; the route comes from the plan, its attempts from the step.
    const localVpc = {
      step: 'local-vpc',
      applied: 1,
      alreadyRight: 0,
      failures: [],
      failureCount: 0,
      attempts: [1],
      timing,
    };
    let stopped = false;
    sfn.on(StopExecutionCommand).callsFake(() => {
      stopped = true;
      return { stopDate: at(5000) };
    });
    sfn.on(DescribeExecutionCommand).callsFake(() => ({
      name: NAME,
      status: stopped ? 'ABORTED' : 'RUNNING',
      startDate: NOW,
      ...(stopped ? { stopDate: at(5000) } : {}),
    }));
    sfn.on(GetExecutionHistoryCommand).resolves({
      events: [
        { id: 1, type: 'TaskStateEntered', timestamp: at(0), stateEnteredEventDetails: { name: 'Plan' } },
        {
          id: 2,
          type: 'TaskStateExited',
          timestamp: at(100),
          stateExitedEventDetails: { name: 'Plan', output: JSON.stringify({ plan, applied: {} }) },
        },
        {
          id: 3,
          type: 'TaskStateEntered',
          timestamp: at(101),
          stateEnteredEventDetails: { name: 'UpdateLocalVpcRoutes' },
        },
        {
          id: 4,
          type: 'TaskStateExited',
          timestamp: at(301),
          stateExitedEventDetails: {
            name: 'UpdateLocalVpcRoutes',
            output: JSON.stringify({ plan, applied: { localVpc } }),
          },
        },
        {
          id: 5,
          type: 'TaskStateEntered',
          timestamp: at(302),
          stateEnteredEventDetails: { name: 'UpdateTgwRouteTables' },
        },
        { id: 6, type: 'ExecutionAborted', timestamp: at(5000) },
      ],
    });

    const result = await vipctl(['failover', '--to', 'server-b', '--timeout', '5', '--json'], {
      tickMs: 1000,
    });

    expect(result.code).toBe(ExitCode.Failed);
    expect(sfn).toHaveReceivedCommandWith(StopExecutionCommand, {
      executionArn: ARN,
      error: 'vipctl.Timeout',
    });
    const report = JSON.parse(result.stdout);
    expect(report.status).toBe('ABORTED');
    expect(report.stopped).toEqual({ written: [change], inFlight: 'UpdateTgwRouteTables' });
  });

  it('says so in words when it stops a run', async () => {
    let stopped = false;
    sfn.on(StopExecutionCommand).callsFake(() => {
      stopped = true;
      return {};
    });
    sfn
      .on(DescribeExecutionCommand)
      .callsFake(() => ({ name: NAME, status: stopped ? 'ABORTED' : 'RUNNING', startDate: NOW }));

    const result = await vipctl(['failover', '--to', 'server-b', '--timeout', '5'], { tickMs: 1000 });

    expect(result.code).toBe(ExitCode.Failed);
    expect(result.stdout).toContain('ABORTED: still running after 5.0 s, so vipctl stopped it');
    expect(result.stdout).toContain('0 routes written by its finished steps');
  });

  it('reports the outcome of a run that ended just before vipctl could stop it', async () => {
    let stopCalled = false;
    sfn.on(StopExecutionCommand).callsFake(() => {
      stopCalled = true;
      return {};
    });
    sfn.on(DescribeExecutionCommand).callsFake(() =>
      stopCalled
        ? {
            name: NAME,
            status: 'SUCCEEDED',
            startDate: NOW,
            stopDate: at(4900),
            output: JSON.stringify(runOutput('server-b')),
          }
        : { name: NAME, status: 'RUNNING', startDate: NOW },
    );

    const result = await vipctl(['failover', '--to', 'server-b', '--timeout', '5', '--json'], {
      tickMs: 1000,
    });

    expect(JSON.parse(result.stdout).status).toBe('SUCCEEDED');
    expect(result.code).toBe(ExitCode.Ok);
  });

  it('keeps waiting through throttled polls, backing off instead of failing', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), {
      name: 'ThrottlingException',
      $metadata: { httpStatusCode: 400 },
    });
    const sleeps: number[] = [];
    sfn
      .on(DescribeExecutionCommand)
      .rejectsOnce(throttled)
      .rejectsOnce(throttled)
      .resolves({
        name: NAME,
        status: 'SUCCEEDED',
        startDate: NOW,
        stopDate: at(400),
        output: JSON.stringify(runOutput('server-b')),
      });

    const result = await vipctl(['failover', '--to', 'server-b', '--json'], { sleeps });

    expect(result.code).toBe(ExitCode.Ok);
    expect(JSON.parse(result.stdout).status).toBe('SUCCEEDED');
    expect(sleeps).toEqual([200, 600]);
  });

  it('prints each finished step with what it did and how long it took', async () => {
    sfn.on(DescribeExecutionCommand).resolves({
      name: NAME,
      status: 'SUCCEEDED',
      startDate: NOW,
      stopDate: at(400),
      output: JSON.stringify(runOutput('server-b')),
    });
    const tgw = { step: 'tgw', applied: 2, alreadyRight: 1, failures: [], failureCount: 0 };
    sfn.on(GetExecutionHistoryCommand).resolves({
      events: [
        {
          id: 1,
          type: 'TaskStateEntered',
          timestamp: at(0),
          stateEnteredEventDetails: { name: 'UpdateTgwRouteTables' },
        },
        {
          id: 2,
          type: 'TaskStateExited',
          timestamp: at(312),
          stateExitedEventDetails: {
            name: 'UpdateTgwRouteTables',
            output: JSON.stringify({ applied: { tgw } }),
          },
        },
      ],
    });

    const result = await vipctl(['failover', '--to', 'server-b']);

    expect(result.stdout).toMatch(/^UpdateTgwRouteTables\s+2 changed, 1 unchanged\s+312 ms$/m);
  });
});
