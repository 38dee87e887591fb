/**
 * The Plan task: validate the request against the deployed topology, make sure no newer run exists,
 * read the whole world in one wave, check the target's preconditions and compute the changes.
 * Nothing is written.
 */

import { type AccountAccess, executionSession } from './accounts';
import type { PlanInput, PlanOutput, PlanSummary } from './contracts';
import type { TaskDeps } from './deps';
import { desiredState } from './desired-state';
import { accountAccessFailure } from './ec2/assume-role';
import { type ClassifiedError, classifyError } from './ec2/classify-error';
import { readWorld } from './ec2/read-world';
import {
  NotReadyError,
  PreconditionFailedError,
  RegionUnreachableError,
  RouteUpdateFailedError,
} from './errors';
import { type Plan, planChanges, reassertAll } from './plan';
import { assertPreconditions, preconditionProblems } from './preconditions';
import { regionOfNode, STEPS, type Step } from './routing';
import { type FullPlan, planForState } from './run-records';
import { assertNotSuperseded, reportSkipped } from './stale-run-guard';
import { timingOf } from './timing';
import type { Topology } from './topology';
import { validateRequest } from './validate-request';
import type { Observation } from './world';
import { writeRateBound, writeRateWarning } from './write-rate';

export async function runPlan(input: PlanInput, deps: TaskDeps): Promise<PlanOutput> {
  const startedAt = deps.now();
  const { topology } = input;
  const request = validateRequest(topology, input.input);
  const { mode, desired, skipped } = desiredState(topology, request);
  if (mode === 'drill') return planDrill(input, deps, request, desired, startedAt);

  // Plan writes nothing, so the guard and the read go out as one wave (each costs a cross-region
  // round trip with TLS setup on a cold start); a newer run still stops the plan, and takes precedence.
  // A listing that checked every region also serves the first update step, within the guard's window.
  const listedAt = deps.now();
  const [guard, read] = await Promise.allSettled([
    assertNotSuperseded(deps.sfn, topology, input.execution, deps.guard),
    observe(deps, topology, input.execution),
  ]);
  if (guard.status === 'rejected') throw guard.reason;
  if (read.status === 'rejected') throw read.reason;
  const observation = read.value;

  const targetRegion = regionOfNode(topology, request.target);
  const down = observation.unreachable.find((fault) => fault.region === targetRegion);
  if (down) {
    throw new RegionUnreachableError(
      targetRegion,
      `the EC2 API of ${targetRegion}, the region of target ${request.target}, could not be reached: ` +
        `${down.code} ${down.message}. Nothing was written; retry when the region answers.`,
    );
  }
  assertPreconditions(topology, observation, request.target);

  const observed = planChanges(desired, observation);
  const concurrent = guard.value.olderRunning.length > 0;
  const plan = concurrent ? reassertAll(desired, observed) : observed;
  const rateWarning = writeRateWarning(writeRateBound(plan.changes), deps.runBudgetSeconds);
  if (rateWarning)
    deps.log?.({ level: 'WARN', message: rateWarning, step: 'plan', execution: input.execution.id });
  const full: FullPlan = {
    request,
    mode,
    target: request.target,
    converged: plan.changes.length === 0,
    summary: summaryOf(plan, skipped.length),
    plan,
    skipped,
    unreachable: observation.unreachable,
    ...(concurrent ? { concurrentWith: guard.value.olderRunning.map((run) => run.arn) } : {}),
    ...reportSkipped(guard.value, { step: 'plan', execution: input.execution.id }, deps.log),
    ...(guard.value.skipped.length === 0 ? { guardListedAt: listedAt.toISOString() } : {}),
    ...(rateWarning ? { writeRateWarning: rateWarning } : {}),
    timing: timingOf(startedAt, deps.now()),
  };
  return planForState(full, deps.store, input.execution);
}

function summaryOf(plan: Plan, skipped: number): PlanSummary {
  const changes = Object.fromEntries(
    STEPS.map((step) => [step, plan.changes.filter((c) => c.step === step).length]),
  ) as Record<Step, number>;
  return { routes: plan.snapshot.length, changes, unchanged: plan.unchanged.length, skipped };
}

/**
 * A drill plans as a failover does, but a failed precondition is a reason it is not ready rather than
 * the end of the run, and the guard is skipped: a drill writes nothing, so it neither stops for a newer
 * run nor stops one. Every desired route is planned, already right or not, so that drilling the active
 * node still proves every write a failover to it could make (what a failover that overlaps an older
 * run writes, see reassertAll).
 */
async function planDrill(
  input: PlanInput,
  deps: TaskDeps,
  request: PlanOutput['request'],
  desired: ReturnType<typeof desiredState>['desired'],
  startedAt: Date,
): Promise<PlanOutput> {
  const { topology } = input;
  const observation = await observe(deps, topology, input.execution, request.target).catch(
    (error: unknown) => {
      if (error instanceof PreconditionFailedError) {
        throw new NotReadyError(
          `drill to ${request.target} is NOT READY:
  precondition: ${error.message}`,
          {
            cause: error,
          },
        );
      }
      throw error;
    },
  );
  const targetRegion = regionOfNode(topology, request.target);
  const down = observation.unreachable.find((fault) => fault.region === targetRegion);
  if (down) {
    throw new NotReadyError(
      `drill to ${request.target} is NOT READY:
  region: the EC2 API of ${targetRegion} could not be reached: ${down.code} ${down.message}`,
    );
  }
  const plan = reassertAll(desired, planChanges(desired, observation));
  const full: FullPlan = {
    request,
    mode: 'drill',
    target: request.target,
    converged: false,
    summary: summaryOf(plan, 0),
    plan,
    skipped: [],
    unreachable: observation.unreachable,
    notReady: preconditionProblems(topology, observation, request.target).map((p) => `precondition: ${p}`),
    timing: timingOf(startedAt, deps.now()),
  };
  return planForState(full, deps.store, input.execution);
}

/**
 * One read of the world. A permanent read error (a table AWS does not know, a role that may not
 * describe) means the deployment does not fit the account: a failed precondition, with AWS's code.
 */
async function observe(
  deps: TaskDeps,
  topology: Topology,
  execution: PlanInput['execution'],
  /** The target of a drill, whose refusals make it NOT READY; undefined for a failover. */
  drillTarget?: string,
): Promise<Observation> {
  try {
    return await readWorld(deps.ec2, topology, { sessionName: executionSession(execution) });
  } catch (error) {
    const classified = classifyError(error);
    if (classified.class !== 'permanent') throw error;
    const access = accountAccessFailure(error);
    if (access) throw accessRefused(topology, access, classified, drillTarget, error);
    const fix = /NotFound|Malformed/.test(classified.code)
      ? 'fix cluster.yaml (vipctl discover lists what exists) and redeploy'
      : 'grant the task role the read-only EC2 actions (vipctl policy --lambda)';
    throw new PreconditionFailedError(
      `cannot read the routes of cluster ${topology.cluster}: ${classified.message} (${fix})`,
      { cause: error },
    );
  }
}

/**
 * The access role of an account that owns tables of the topology could not be assumed: no route of that
 * account can be read or written. A failover stops before any write (RouteUpdateFailed, naming the
 * account and its tables); a drill is NOT READY for the same reason.
 */
function accessRefused(
  topology: Topology,
  access: AccountAccess,
  error: ClassifiedError,
  drillTarget: string | undefined,
  cause: unknown,
): Error {
  const tables = [
    ...Object.values(topology.vpcs)
      .filter((v) => v.account === access.key)
      .flatMap((v) => v.routeTables.map((t) => `${t} (${v.region})`)),
    ...Object.values(topology.transitGateways)
      .filter((t) => t.account === access.key)
      .flatMap((t) => t.routeTables.map((id) => `${id} (${t.region})`)),
  ];
  const reason =
    `account ${access.key} (${access.id}): AssumeRole of ${access.role} refused (${error.code}), so its tables ` +
    `${tables.join(', ')} cannot be written; deploy its VipFailoverAccess-${topology.cluster}-${access.key} stack ` +
    '(it trusts the task role) or fix accounts in cluster.yaml';
  if (drillTarget !== undefined)
    return new NotReadyError(`drill to ${drillTarget} is NOT READY:\n  access: ${reason}`, { cause });
  return new RouteUpdateFailedError(`${reason}. Nothing was written.`, { cause });
}
