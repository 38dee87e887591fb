import { readFileSync } from 'node:fs';
import aslValidator from 'asl-validator';
import { beforeAll, describe, expect, it } from 'vitest';
import { DIRECT_STEP_NAMES } from '../../cli/runs/direct-steps';
import { ErrorName } from '../../tasks/errors';
import {
  CLI_WAIT_SECONDS,
  CLUSTER_SCRIPT_WAIT_SECONDS,
  RUN_BUDGET_SECONDS,
  runTimeouts,
} from '../../tasks/time-budget';
import { loadTopology, type Topology } from '../../tasks/topology';
import { VERIFY_RETRY_POLICY, verifyRetryDelayMs } from '../../tasks/workflow-states';
import { synthesizeAsl } from '../../workflow/asl';

interface AslState {
  Type: string;
  Next?: string;
  End?: boolean;
  Default?: string;
  Choices?: Array<Record<string, unknown> & { Next: string }>;
  Retry?: Array<{
    ErrorEquals: string[];
    IntervalSeconds?: number;
    MaxAttempts?: number;
    BackoffRate?: number;
    MaxDelaySeconds?: number;
    JitterStrategy?: string;
  }>;
  TimeoutSeconds?: number;
  Error?: string;
  Cause?: string;
  Catch?: Array<{ ErrorEquals: string[]; ResultPath?: string; Next: string }>;
  Parameters?: Record<string, unknown>;
  Resource?: string;
  ResultPath?: string;
  OutputPath?: string;
  ErrorPath?: string;
  CausePath?: string;
}
interface Asl {
  StartAt: string;
  TimeoutSeconds?: number;
  States: Record<string, AslState>;
}

const TASKS = [
  'Plan',
  'UpdateLocalVpcRoutes',
  'UpdateTgwRouteTables',
  'UpdateRemoteVpcRoutes',
  'VerifyReachability',
];
const LAMBDA_SERVICE_ERRORS = [
  'Lambda.ClientExecutionTimeoutException',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
];
const THROTTLED = 'Lambda.TooManyRequestsException';
const execution = { 'id.$': '$$.Execution.Id', 'startTime.$': '$$.Execution.StartTime' };

let topology: Topology;
let asls: Record<string, object>;
let asl: Asl;
const state = (name: string): AslState => {
  const found = asl.States[name];
  if (!found) throw new Error(`no state ${name}`);
  return found;
};

beforeAll(async () => {
  topology = await loadTopology('examples/two-region.yaml');
  asls = synthesizeAsl(topology);
  asl = asls['us-east-1'] as Asl;
});

describe('synthesizeAsl', () => {
  it('returns one runnable definition per region, calling that region’s task function', () => {
    expect(Object.keys(asls).sort()).toEqual(['ap-southeast-1', 'us-east-1']);
    for (const [region, definition] of Object.entries(asls)) {
      const text = JSON.stringify(definition);
      expect(text).not.toMatch(/Fn::|"Ref"/);
      const resources = TASKS.map((t) => (definition as Asl).States[t]?.Resource);
      expect(new Set(resources)).toEqual(
        new Set([`arn:aws:lambda:${region}:123456789012:function:vip-failover-orders-db-tasks`]),
      );
    }
  });

  it('uses the given account, else the local one, when the topology names none', () => {
    const { account: _, ...anonymous } = topology;
    const local = synthesizeAsl(anonymous)['us-east-1'] as Asl;
    expect(local.States.Plan?.Resource).toBe(
      'arn:aws:lambda:us-east-1:000000000000:function:vip-failover-orders-db-tasks',
    );
    const given = synthesizeAsl(anonymous, { account: '444455556666' })['us-east-1'] as Asl;
    expect(given.States.Plan?.Resource).toBe(
      'arn:aws:lambda:us-east-1:444455556666:function:vip-failover-orders-db-tasks',
    );
  });

  it('passes asl-validator', () => {
    for (const definition of Object.values(asls)) {
      // The validator fills in defaults (QueryLanguage) in place, so give it a copy.
      const result = aslValidator(structuredClone(definition));
      expect(result.errorsText()).toBe('');
      expect(result.isValid).toBe(true);
    }
  });
});

describe('the workflow', () => {
  it('has exactly the designed states', () => {
    expect(asl.StartAt).toBe('LoadTopology');
    expect(Object.fromEntries(Object.entries(asl.States).map(([name, s]) => [name, s.Type]))).toEqual({
      LoadTopology: 'Pass',
      Plan: 'Task',
      'Converged?': 'Choice',
      UpdateLocalVpcRoutes: 'Task',
      UpdateTgwRouteTables: 'Task',
      UpdateRemoteVpcRoutes: 'Task',
      VerifyReachability: 'Task',
      Outcome: 'Choice',
      Succeeded: 'Succeed',
      Degraded: 'Succeed',
      Failed: 'Fail',
      Unverified: 'Fail',
    });
  });

  it('injects the deployed topology, not one from the input', () => {
    expect(state('LoadTopology').Parameters).toEqual({ 'input.$': '$', topology, applied: {} });
    expect(state('LoadTopology').Next).toBe('Plan');
  });

  it('runs the steps destination first and skips them when converged', () => {
    expect(state('Plan').Next).toBe('Converged?');
    expect(state('Converged?').Choices).toEqual([
      { Variable: '$.plan.converged', BooleanEquals: true, Next: 'VerifyReachability' },
    ]);
    expect(state('Converged?').Default).toBe('UpdateLocalVpcRoutes');
    expect(state('UpdateLocalVpcRoutes').Next).toBe('UpdateTgwRouteTables');
    expect(state('UpdateTgwRouteTables').Next).toBe('UpdateRemoteVpcRoutes');
    expect(state('UpdateRemoteVpcRoutes').Next).toBe('VerifyReachability');
    expect(state('VerifyReachability').Next).toBe('Outcome');
  });

  it('ends in Succeeded (a failover, or a READY drill), Degraded or Failed by the verified status', () => {
    expect(state('Outcome').Choices).toEqual([
      {
        Or: [
          { Variable: '$.verify.status', StringEquals: 'SUCCEEDED' },
          { Variable: '$.verify.status', StringEquals: 'READY' },
        ],
        Next: 'Succeeded',
      },
      { Variable: '$.verify.status', StringEquals: 'DEGRADED', Next: 'Degraded' },
    ]);
    expect(state('Succeeded').OutputPath).toBe('$.verify');
    expect(state('Degraded').OutputPath).toBe('$.verify');
    expect(state('Failed')).toEqual({ Type: 'Fail', ErrorPath: '$.error.Error', CausePath: '$.error.Cause' });
  });

  it('ends any other verified status in a plain Fail with an error name, reading no $.error', () => {
    expect(state('Outcome').Default).toBe('Unverified');
    expect(state('Unverified')).toEqual({
      Type: 'Fail',
      Error: ErrorName.NotConverged,
      Cause: 'VerifyReachability returned a status other than SUCCEEDED or DEGRADED',
    });
  });

  it('passes each task its contract payload and stores the result where the next one reads it', () => {
    expect(state('Plan').Parameters).toEqual({
      task: 'plan',
      'input.$': '$.input',
      'topology.$': '$.topology',
      execution,
    });
    expect(state('Plan').ResultPath).toBe('$.plan');
    const applies = [
      ['UpdateLocalVpcRoutes', 'local-vpc', '$.applied.localVpc'],
      ['UpdateTgwRouteTables', 'tgw', '$.applied.tgw'],
      ['UpdateRemoteVpcRoutes', 'remote-vpc', '$.applied.remoteVpc'],
    ];
    for (const [name, step, resultPath] of applies) {
      expect(state(name!).Parameters).toEqual({
        task: 'apply',
        step,
        'topology.$': '$.topology',
        'plan.$': '$.plan',
        // The earlier steps' outputs: the next step writes on the listing the one before it made.
        'applied.$': '$.applied',
        execution,
      });
      expect(state(name!).ResultPath).toBe(resultPath);
    }
    expect(state('VerifyReachability').Parameters).toEqual({
      task: 'verify',
      'topology.$': '$.topology',
      'plan.$': '$.plan',
      'applied.$': '$.applied',
      execution,
    });
    expect(state('VerifyReachability').ResultPath).toBe('$.verify');
  });

  it.each(TASKS)('catches every error of %s into $.error and fails', (name) => {
    expect(state(name).Catch).toEqual([
      { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Failed' },
    ]);
  });

  it('retries only NotConverged on VerifyReachability, for about 30 s, besides the invoke retries', () => {
    for (const name of TASKS) {
      const own = (state(name).Retry ?? []).filter(
        (r) => !r.ErrorEquals.every((e) => [...LAMBDA_SERVICE_ERRORS, THROTTLED].includes(e)),
      );
      const service = (state(name).Retry ?? []).filter((r) =>
        r.ErrorEquals.every((e) => LAMBDA_SERVICE_ERRORS.includes(e)),
      );
      expect(service).toHaveLength(1);
      expect(own).toEqual(
        name === 'VerifyReachability'
          ? [
              {
                ErrorEquals: [ErrorName.NotConverged],
                IntervalSeconds: 1,
                MaxAttempts: 6,
                BackoffRate: 2,
                MaxDelaySeconds: 8,
              },
            ]
          : [],
      );
    }
    const [verify] = state('VerifyReachability').Retry!.filter((r) =>
      r.ErrorEquals.includes(ErrorName.NotConverged),
    );
    // The waits before each retry: 1, 2, 4, then capped at 8.
    const waits = Array.from({ length: verify!.MaxAttempts! }, (_, i) =>
      Math.min(verify!.MaxDelaySeconds!, verify!.IntervalSeconds! * verify!.BackoffRate! ** i),
    );
    const window = waits.reduce((a, b) => a + b, 0);
    expect(window).toBeGreaterThanOrEqual(25);
    expect(window).toBeLessThanOrEqual(35);
  });

  it('gives a direct run the synthesized state names and the same verification waits', () => {
    for (const name of Object.values(DIRECT_STEP_NAMES)) expect(state(name).Type).toBe('Task');
    const [verify] = state('VerifyReachability').Retry!.filter((r) =>
      r.ErrorEquals.includes(ErrorName.NotConverged),
    );
    const synthesized = Array.from(
      { length: verify!.MaxAttempts! },
      (_, i) =>
        1000 * Math.min(verify!.MaxDelaySeconds!, verify!.IntervalSeconds! * verify!.BackoffRate! ** i),
    );
    expect(VERIFY_RETRY_POLICY.maxAttempts).toBe(verify!.MaxAttempts);
    expect(synthesized.map((_, i) => verifyRetryDelayMs(i))).toEqual(synthesized);
  });

  it.each(TASKS)('retries a throttled invocation of %s with jittered backoff', (name) => {
    const throttled = (state(name).Retry ?? []).filter((r) => r.ErrorEquals.includes(THROTTLED));
    expect(throttled).toEqual([
      {
        ErrorEquals: [THROTTLED],
        IntervalSeconds: 1,
        MaxAttempts: 6,
        BackoffRate: 2,
        MaxDelaySeconds: 8,
        JitterStrategy: 'FULL',
      },
    ]);
    // Not merged into the service retries that LambdaInvoke adds, nor added twice.
    const service = (state(name).Retry ?? []).filter((r) =>
      r.ErrorEquals.includes(LAMBDA_SERVICE_ERRORS[0]!),
    );
    expect(service).toHaveLength(1);
    expect(service[0]!.ErrorEquals).not.toContain(THROTTLED);
  });
});

describe('time', () => {
  it('bounds the run by the run budget, below vipctl’s wait and the cluster scripts’ waits', () => {
    expect(asl.TimeoutSeconds).toBe(RUN_BUDGET_SECONDS);
    expect(RUN_BUDGET_SECONDS).toBeLessThan(CLI_WAIT_SECONDS);
    expect(CLI_WAIT_SECONDS).toBeLessThan(CLUSTER_SCRIPT_WAIT_SECONDS);
  });

  it.each(TASKS)('bounds %s with TimeoutSeconds, after the function’s own timeout', (name) => {
    const { taskSeconds, functionSeconds, runSeconds } = runTimeouts();
    expect(state(name).TimeoutSeconds).toBe(taskSeconds);
    expect(taskSeconds).toBeGreaterThan(functionSeconds);
    expect(taskSeconds).toBeLessThan(runSeconds);
  });

  it('uses the waits the cluster scripts and vipctl actually have', () => {
    const start = readFileSync('examples/expresscluster/start.sh', 'utf8');
    const agent = readFileSync('examples/pacemaker/vipctl', 'utf8');
    expect(start).toContain(`VIPCTL_TIMEOUT:-${CLUSTER_SCRIPT_WAIT_SECONDS}}`);
    expect(agent).toContain(`OCF_RESKEY_timeout_default="${CLUSTER_SCRIPT_WAIT_SECONDS}"`);
    const program = readFileSync('cli/program.ts', 'utf8');
    expect(program).toContain('default(CLI_WAIT_SECONDS)');
  });
});
