/**
 * The workflow's state names and its retry of VerifyReachability, as plain data: the one source that
 * the state machine (workflow/state-machine.ts) and a direct run (cli/runs/direct-run.ts) both read, so that
 * a direct run's steps carry the workflow's names and it retries verification exactly as the workflow
 * does. No aws-cdk-lib here: vipctl imports this module on the node.
 */
import type { Step } from './routing';

/** The state names; the CLI's step timeline, direct runs and the tests read them. */
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
  Unverified: 'Unverified',
} as const;
export type StateName = (typeof StateName)[keyof typeof StateName];

/** The update state that writes each step's changes. */
export const UPDATE_STATE: Readonly<Record<Step, StateName>> = {
  'local-vpc': StateName.UpdateLocalVpcRoutes,
  tgw: StateName.UpdateTgwRouteTables,
  'remote-vpc': StateName.UpdateRemoteVpcRoutes,
};

/**
 * Verification retries while routes are still settling, for about 30 s: waits of 1, 2, 4, 8, 8 and
 * 8 s (31 s), plus the six reads. The EC2 API is eventually consistent, so a route just written may
 * not show in the next Describe, and AWS advises retrying reads with backoff for "a couple of
 * seconds ... up to a few minutes": https://docs.aws.amazon.com/ec2/latest/devguide/eventual-consistency.html
 * A TGW route also reports `pending` before `active`. Eight seconds in all (the old window) turned
 * slow propagation into a false NotConverged, which a cluster manager takes as a failed start; 30 s
 * still leaves most of the run budget (tasks/time-budget.ts) to the writes.
 *
 * The fields are those of a Retrier (IntervalSeconds, MaxAttempts: retries after the first attempt,
 * BackoffRate, MaxDelaySeconds): https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
 */
export const VERIFY_RETRY_POLICY = {
  intervalSeconds: 1,
  maxAttempts: 6,
  backoffRate: 2,
  maxDelaySeconds: 8,
} as const;

/** The wait before retry number `retry` (0 for the first retry), in milliseconds, as the Retrier computes it. */
export function verifyRetryDelayMs(retry: number): number {
  const { intervalSeconds, backoffRate, maxDelaySeconds } = VERIFY_RETRY_POLICY;
  return Math.min(intervalSeconds * backoffRate ** retry, maxDelaySeconds) * 1000;
}
