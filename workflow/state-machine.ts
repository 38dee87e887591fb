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
  JsonPath,
  Pass,
  Succeed,
  TaskInput,
} from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { ErrorName } from '../tasks/errors';
import type { Step } from '../tasks/routing';
import type { Topology } from '../tasks/topology';

/** The state names; the CLI's step timeline and the tests read them. */
export const StateName = {
  LoadTopology: 'LoadTopology',
  Plan: 'Plan',
  Converged: 'Converged?',
  UpdateLocalVpcRoutes: 'UpdateLocalVpcRoutes',
  UpdateTgwRouteTables: 'UpdateTgwRouteTables',
  UpdateRemoteVpcRoutes: 'UpdateRemoteVpcRoutes',
  VerifyReachability: 'VerifyReachability',
  Outcome: 'Outcome',
  Succeeded: 'Succeeded',
  Degraded: 'Degraded',
  Failed: 'Failed',
} as const;
export type StateName = (typeof StateName)[keyof typeof StateName];

/**
 * Verification retries only while routes are still settling (EC2 reads lag writes briefly):
 * 1 s, 1.5 s, 2.25 s, 3.4 s.
 */
export const VERIFY_RETRY = { interval: Duration.seconds(1), maxAttempts: 4, backoffRate: 1.5 } as const;

export interface FailoverChainProps {
  /** The one function that serves every task, dispatching on the payload's `task` field. */
  readonly tasks: IFunction;
  /** The deployed topology; the first state injects it, so executions cannot bring their own. */
  readonly topology: Topology;
}

const execution = { id: JsonPath.executionId, startTime: JsonPath.executionStartTime };

/** Builds the workflow's states in `scope` and returns the chain for `DefinitionBody.fromChainable`. */
export function failoverChain(scope: Construct, props: FailoverChainProps): IChainable {
  const failed = Fail.jsonPath(scope, StateName.Failed, {
    errorPath: '$.error.Error',
    causePath: '$.error.Cause',
  });

  // Every task: Lambda service retries come from LambdaInvoke itself; anything else ends the run.
  const task = (id: StateName, payload: Record<string, unknown>, resultPath: string) => {
    const state = LambdaInvoke.jsonPath(scope, id, {
      lambdaFunction: props.tasks,
      payload: TaskInput.fromObject(payload),
      payloadResponseOnly: true,
      resultPath,
    });
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
  const updateLocal = apply(StateName.UpdateLocalVpcRoutes, 'local-vpc', '$.applied.localVpc');
  const updateTgw = apply(StateName.UpdateTgwRouteTables, 'tgw', '$.applied.tgw');
  const updateRemote = apply(StateName.UpdateRemoteVpcRoutes, 'remote-vpc', '$.applied.remoteVpc');
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
      Condition.stringEquals('$.verify.status', 'SUCCEEDED'),
      Succeed.jsonPath(scope, StateName.Succeeded, { outputPath: '$.verify' }),
    )
    .when(
      Condition.stringEquals('$.verify.status', 'DEGRADED'),
      Succeed.jsonPath(scope, StateName.Degraded, { outputPath: '$.verify' }),
    )
    .otherwise(failed);

  verify.next(outcome);
  updateLocal.next(updateTgw).next(updateRemote).next(verify);
  const converged = Choice.jsonPath(scope, 'Converged', { stateName: StateName.Converged })
    .when(Condition.booleanEquals('$.plan.converged', true), verify)
    .otherwise(updateLocal);

  return Chain.start(loadTopology).next(plan).next(converged);
}
