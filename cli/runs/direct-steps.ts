/**
 * The steps of a direct run under the workflow's state names, and as the step records that the live
 * step list and `show` render for executions. Type imports only, so show and runs stay light.
 */
import { STEPS, type Step } from '../../tasks/routing';
import { StateName, UPDATE_STATE } from '../../tasks/workflow-states';
import type { StepRecord } from './executions';
import type { DirectRun } from './journal';

/** The workflow's state names for the same tasks: one source (tasks/workflow-states.ts) for both. */
export const DIRECT_STEP_NAMES = {
  plan: StateName.Plan,
  ...UPDATE_STATE,
  verify: StateName.VerifyReachability,
} as const;

/**
 * The record's steps as the step list and `show` read executions' steps: each with the state data it
 * passed on (`{plan}`, `{applied}`, `{verify}`), so that one renderer serves both.
 */
export function stepRecordsOf(run: DirectRun): StepRecord[] {
  const outputOf = (name: string): unknown => {
    if (name === DIRECT_STEP_NAMES.plan) return run.plan ? { plan: run.plan } : undefined;
    if (name === DIRECT_STEP_NAMES.verify) return run.output ? { verify: run.output } : undefined;
    const step = (STEPS as readonly Step[]).find((s) => DIRECT_STEP_NAMES[s] === name);
    return step ? { applied: run.applied } : undefined;
  };
  return run.steps.map((s) => ({
    name: s.name,
    type: s.type,
    enteredAt: new Date(s.enteredAt),
    exitedAt: s.exitedAt ? new Date(s.exitedAt) : undefined,
    output: s.exitedAt && !s.failure ? outputOf(s.name) : undefined,
    failure: s.failure,
  }));
}
