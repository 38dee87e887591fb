/**
 * An update task: write one step's changes of the plan, wave by wave (destination first), each wave
 * concurrently. Idempotent: a re-run replaces routes with the same target, which is harmless.
 */

import { alreadyRightResults } from './already-right';
import type { ApplyInput, ApplyOutput } from './contracts';
import type { TaskDeps } from './deps';
import { ec2ActionOf, writeResourceArns } from './drill';
import { applyChanges, PacingReport } from './ec2/write-routes';
import { RouteUpdateFailedError } from './errors';
import { type ChangeResult, wavesOf } from './plan';
import { regionOfNode, type Step } from './routing';
import { parseExecutionArn } from './sfn';
import { assertNotSuperseded, reportSkipped } from './stale-run-guard';
import { timingOf } from './timing';

export interface ApplyTime {
  /** Milliseconds the invocation has left (Lambda's context.getRemainingTimeInMillis). @default unlimited */
  readonly remainingMs?: () => number;
}

export async function runApply(
  input: ApplyInput,
  deps: TaskDeps,
  time: ApplyTime = {},
): Promise<ApplyOutput> {
  const startedAt = deps.now();
  const { topology, plan, step } = input;
  if (plan.mode === 'drill') return dryRunStep(input, deps, startedAt);
  const guard = await assertNotSuperseded(deps.sfn, topology, input.execution);
  const guardSkipped = reportSkipped(guard, { step, execution: input.execution.id }, deps.log);

  const targetRegion = regionOfNode(topology, plan.target);
  const isFatal = (r: ChangeResult) =>
    r.result === 'failed' || (r.result === 'unreachable' && r.region === targetRegion);
  const waves = wavesOf(plan.plan.changes, step);
  const results: ChangeResult[] = [];
  const report = new PacingReport();
  for (const [index, wave] of waves.entries()) {
    // A wave cut off by the function timeout (Sandbox.Timedout) loses the step's record of its writes;
    // a wave not started loses nothing, and the error lists what the earlier ones wrote.
    const left = time.remainingMs?.();
    if (left !== undefined && deps.waveBudgetMs !== undefined && left < deps.waveBudgetMs) {
      throw outOfTime(
        step,
        results.filter((r) => r.result === 'applied'),
        waves.length - index,
        left,
      );
    }
    const written = await applyChanges(deps.ec2, wave, { report });
    results.push(...written);
    const fatal = written.filter(isFatal);
    // Later waves point at the tables of this one; writing them now could close a loop.
    if (fatal.length > 0) {
      const written = results.filter((r) => r.result === 'applied');
      const { partition, account } = parseExecutionArn(input.execution.id);
      const arns = (r: ChangeResult) => writeResourceArns(r, partition, account);
      throw routeUpdateFailed(step, fatal, written, waves.length - index - 1, arns);
    }
  }

  const pacing = report.summaries(deps.ec2);
  return {
    step,
    results: [...results, ...alreadyRightResults(topology, plan, step)],
    ...(pacing.length > 0 ? { pacing } : {}),
    ...guardSkipped,
    timing: timingOf(startedAt, deps.now()),
  };
}

/**
 * A drill's update step: every write of the step at once, with DryRun. Nothing is written, so there is
 * no order to keep and no guard to ask; a refusal is a result for Verify to report, not an error.
 */
export async function dryRunStep(
  input: Pick<ApplyInput, 'plan' | 'step'>,
  deps: Pick<TaskDeps, 'ec2' | 'now'>,
  startedAt = deps.now(),
): Promise<ApplyOutput> {
  const changes = input.plan.plan.changes.filter((c) => c.step === input.step);
  const results = await applyChanges(deps.ec2, changes, { dryRun: true });
  return { step: input.step, results, timing: timingOf(startedAt, deps.now()) };
}

function routeUpdateFailed(
  step: Step,
  failed: readonly ChangeResult[],
  written: readonly ChangeResult[],
  skippedWaves: number,
  arnsOf: (r: ChangeResult) => string[],
): RouteUpdateFailedError {
  // A refused write names the action and the resources IAM checked, as a drill does: AWS's own message
  // is encoded and does not say which one was missing from the policy.
  const lines = failed.map(
    (r) =>
      `${r.action} ${r.vip} -> ${r.target} in ${r.table} (${r.region}): ${r.result === 'unreachable' ? 'region unreachable' : 'failed'} ` +
      `${r.code ?? ''}${r.code === 'UnauthorizedOperation' ? ` (${ec2ActionOf(r)} on ${arnsOf(r).join(', ')})` : ''} ${r.message ?? ''}`.trimEnd(),
  );
  const rest = skippedWaves > 0 ? `; ${skippedWaves} later wave(s) of ${step} were not written` : '';
  // The step's output is lost with the error, so the writes it did make are listed here: the audit
  // trail must show every route that changed.
  const done =
    written.length > 0
      ? `\nwritten before the failure (${written.length}):\n  ${written.map((r) => `${r.action} ${r.vip} -> ${r.target} in ${r.table} (${r.region})`).join('\n  ')}`
      : '';
  return new RouteUpdateFailedError(
    `${failed.length} route update(s) of step ${step} failed${rest}:\n  ${lines.join('\n  ')}${done}`,
  );
}

function outOfTime(
  step: Step,
  written: readonly ChangeResult[],
  notStarted: number,
  leftMs: number,
): RouteUpdateFailedError {
  const done =
    written.length > 0
      ? `\nwritten before it stopped (${written.length}):\n  ${written.map((r) => `${r.action} ${r.vip} -> ${r.target} in ${r.table} (${r.region})`).join('\n  ')}`
      : '';
  return new RouteUpdateFailedError(
    `step ${step} stopped with ${notStarted} wave(s) not started: ${Math.round(leftMs / 1000)} s of the task's time were left, ` +
      `less than one wave may need; run the failover again (it writes only what is still wrong), or raise the stack's runBudget${done}`,
  );
}
