/**
 * Drives the task handler the way the state machine does (DESIGN section 5): Plan, then the three
 * update steps unless converged, then VerifyReachability.
 */
import type { ApplyOutput, PlanOutput, RunOutput } from '../../../tasks/contracts';
import { createTaskHandler } from '../../../tasks/handlers/main';
import type { Topology } from '../../../tasks/topology';
import { type FakeAws, OWN_EXECUTION } from './fake-aws';

export const execution = OWN_EXECUTION;

export function tasks(aws: FakeAws, topology: Topology) {
  const handle = createTaskHandler(aws.deps);
  return {
    plan: (input: unknown) => handle({ task: 'plan', input, topology, execution }) as Promise<PlanOutput>,
    apply: (
      plan: PlanOutput,
      step: 'local-vpc' | 'tgw' | 'remote-vpc',
      applied?: Record<string, ApplyOutput>,
    ) =>
      handle({
        task: 'apply',
        step,
        topology,
        plan,
        ...(applied ? { applied } : {}),
        execution,
      }) as Promise<ApplyOutput>,
    verify: (plan: PlanOutput, applied: Record<string, ApplyOutput>) =>
      handle({ task: 'verify', topology, plan, applied, execution }) as Promise<RunOutput>,
    handle,
  };
}

/** A whole run; returns the output of VerifyReachability. */
export async function runWorkflow(aws: FakeAws, topology: Topology, input: unknown): Promise<RunOutput> {
  const t = tasks(aws, topology);
  const plan = await t.plan(input);
  const applied: Record<string, ApplyOutput> = {};
  if (!plan.converged) {
    applied.localVpc = await t.apply(plan, 'local-vpc', applied);
    applied.tgw = await t.apply(plan, 'tgw', applied);
    applied.remoteVpc = await t.apply(plan, 'remote-vpc', applied);
  }
  return t.verify(plan, applied);
}
