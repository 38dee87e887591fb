/**
 * The failover workflow as an ASL chain (DESIGN section 5). The state data flows as described in
 * tasks/contracts.ts: LoadTopology -> $.plan -> $.applied.* -> $.verify, and any task failure lands
 * in $.error before the Failed state.
 */
import { Duration } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import {
  Chain,
  Choice,
  Condition,
  Errors,
  Fail,
  type IChainable,
  JitterType,
  JsonPath,
  Pass,
  type RetryProps,
  Succeed,
  TaskInput,
  Timeout,
} from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { ErrorName } from '../tasks/errors';
import type { Step } from '../tasks/routing';
import type { Topology } from '../tasks/topology';
import { StateName, UPDATE_STATE, VERIFY_RETRY_POLICY } from '../tasks/workflow-states';

export { StateName } from '../tasks/workflow-states';

/** The state machine's Retrier of VerifyReachability on NotConverged (tasks/workflow-states.ts). */
export const VERIFY_RETRY = {
  interval: Duration.seconds(VERIFY_RETRY_POLICY.intervalSeconds),
  maxAttempts: VERIFY_RETRY_POLICY.maxAttempts,
  backoffRate: VERIFY_RETRY_POLICY.backoffRate,
  maxDelay: Duration.seconds(VERIFY_RETRY_POLICY.maxDelaySeconds),
} as const;

/**
 * Every task retries a throttled invocation. When the account (or the function's reserved)
 * concurrency is used up, Lambda refuses the invoke and Step Functions reports
 * `Lambda.TooManyRequestsException`; LambdaInvoke's default retries do not include it:
 * https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html
 * Without this a burst of other functions fails the run midway, with some steps written and others
 * not. Full jitter spreads the retries of concurrent runs; the run budget bounds the total.
 */
export const THROTTLED_INVOKE_RETRY: RetryProps = {
  errors: ['Lambda.TooManyRequestsException'],
  interval: Duration.seconds(1),
  maxAttempts: 6,
  backoffRate: 2,
  maxDelay: Duration.seconds(8),
  jitterStrategy: JitterType.FULL,
};

export interface FailoverChainProps {
  /** The one function that serves every task, dispatching on the payload's `task` field. */
  readonly tasks: IFunction;
  /** The deployed topology; the first state injects it, so executions cannot bring their own. */
  readonly topology: Topology;
  /**
   * Each task's TimeoutSeconds: a backstop a little longer than the function's own timeout
   * (tasks/time-budget.ts), so a hung invocation cannot hold the run.
   */
  readonly taskTimeout: Duration;
}

const execution = { id: JsonPath.executionId, startTime: JsonPath.executionStartTime };

/** Builds the workflow's states in `scope` and returns the chain for `DefinitionBody.fromChainable`. */
export function failoverChain(scope: Construct, props: FailoverChainProps): IChainable {
  const failed = Fail.jsonPath(scope, StateName.Failed, {
    errorPath: '$.error.Error',
    causePath: '$.error.Cause',
  });

  // Every task: Lambda service retries come from LambdaInvoke itself, throttled invocations are
  // retried here; anything else ends the run.
  const task = (id: StateName, payload: Record<string, unknown>, resultPath: string) => {
    const state = LambdaInvoke.jsonPath(scope, id, {
      lambdaFunction: props.tasks,
      payload: TaskInput.fromObject(payload),
      payloadResponseOnly: true,
      resultPath,
      taskTimeout: Timeout.duration(props.taskTimeout),
    });
    state.addRetry(THROTTLED_INVOKE_RETRY);
    state.addCatch(failed, { errors: [Errors.ALL], resultPath: '$.error' });
    return state;
  };
  const apply = (id: StateName, step: Step, resultPath: string) =>
    task(
      id,
      {
        task: 'apply',
        step,
        topology: JsonPath.objectAt('$.topology'),
        plan: JsonPath.objectAt('$.plan'),
        // The earlier steps' outputs carry the latest guard listing (tasks/stale-run-guard.ts).
        applied: JsonPath.objectAt('$.applied'),
        execution,
      },
      resultPath,
    );

  const loadTopology = Pass.jsonPath(scope, StateName.LoadTopology, {
    parameters: { 'input.$': '$', topology: props.topology, applied: {} },
  });
  const plan = task(
    StateName.Plan,
    {
      task: 'plan',
      input: JsonPath.objectAt('$.input'),
      topology: JsonPath.objectAt('$.topology'),
      execution,
    },
    '$.plan',
  );
  const updateLocal = apply(UPDATE_STATE['local-vpc'], 'local-vpc', '$.applied.localVpc');
  const updateTgw = apply(UPDATE_STATE.tgw, 'tgw', '$.applied.tgw');
  const updateRemote = apply(UPDATE_STATE['remote-vpc'], 'remote-vpc', '$.applied.remoteVpc');
  const verify = task(
    StateName.VerifyReachability,
    {
      task: 'verify',
      topology: JsonPath.objectAt('$.topology'),
      plan: JsonPath.objectAt('$.plan'),
      applied: JsonPath.objectAt('$.applied'),
      execution,
    },
    '$.verify',
  );
  verify.addRetry({ errors: [ErrorName.NotConverged], ...VERIFY_RETRY });

  const outcome = Choice.jsonPath(scope, StateName.Outcome)
    .when(
      // READY: a drill (mode "drill") found that a failover to its target would work.
      Condition.or(
        Condition.stringEquals('$.verify.status', 'SUCCEEDED'),
        Condition.stringEquals('$.verify.status', 'READY'),
      ),
      Succeed.jsonPath(scope, StateName.Succeeded, { outputPath: '$.verify' }),
    )
    .when(
      Condition.stringEquals('$.verify.status', 'DEGRADED'),
      Succeed.jsonPath(scope, StateName.Degraded, { outputPath: '$.verify' }),
    )
    // Verify either returns one of the two statuses or throws; anything else is a contract breach, and
    // there is no $.error on this path for the Failed state to read.
    .otherwise(
      Fail.jsonPath(scope, StateName.Unverified, {
        error: ErrorName.NotConverged,
        cause: 'VerifyReachability returned a status other than SUCCEEDED or DEGRADED',
      }),
    );

  verify.next(outcome);
  updateLocal.next(updateTgw).next(updateRemote).next(verify);
  const converged = Choice.jsonPath(scope, 'Converged', { stateName: StateName.Converged })
    .when(Condition.booleanEquals('$.plan.converged', true), verify)
    .otherwise(updateLocal);

  return Chain.start(loadTopology).next(plan).next(converged);
}
