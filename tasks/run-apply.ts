/**
 * An update task: write one step's changes of the plan, wave by wave (destination first), each wave
 * concurrently. Idempotent: a re-run replaces routes with the same target, which is harmless.
 * Returns counts and failures, not a copy of every route (tasks/state-size.ts).
 */

import { executionSession, tableAccess } from './accounts';
import { alreadyRightResults } from './already-right';
import type { ApplyInput, ApplyOutput, GuardSkip } from './contracts';
import type { TaskDeps } from './deps';
import { ec2ActionOf, writeResourceArns } from './drill';
import { applyChanges, PacingReport } from './ec2/write-routes';
import { RouteUpdateFailedError } from './errors';
import { type ChangeResult, wavesOf } from './plan';
import { regionOfNode, STEPS, type Step } from './routing';
import { type FullPlan, fullPlan, recordKey, stepObjectName } from './run-records';
import { parseExecutionArn } from './sfn';
import { assertNotSuperseded, GUARD_WINDOW_MS, type GuardReport, reportSkipped } from './stale-run-guard';
import { clip, LISTED_IN_STATE, MESSAGE_LIMIT_CHARS } from './state-size';
import { recordMarker, type StoredRecord } from './stored-record';
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
  const { topology, step } = input;
  if (input.plan.mode === 'drill') return dryRunStep(input, deps, startedAt);
  const guard = new StepGuard(input, deps, time);
  // A listing younger than the guard's window (the plan's, or the one the step before sent with its
  // last wave) covers this step's first wave; otherwise the step lists now, together with the load of
  // a stored plan (both are reads, and the first write waits for both). A step whose plan (in the
  // state) has nothing for it writes no route, so it has nothing to guard and makes no listing.
  const nothingToWrite = input.plan.plan !== undefined && wavesOf(input.plan.plan.changes, step).length === 0;
  const [guarded, loaded] = await Promise.allSettled([
    nothingToWrite || (input.plan.plan !== undefined && guard.fresh()) ? Promise.resolve() : guard.list(),
    fullPlan(input.plan, deps.store),
  ]);
  if (guarded.status === 'rejected') throw guarded.reason;
  if (loaded.status === 'rejected') throw loaded.reason;
  const plan = loaded.value;

  const targetRegion = regionOfNode(topology, plan.target);
  const isFatal = (r: ChangeResult) =>
    r.result === 'failed' || (r.result === 'unreachable' && r.region === targetRegion);
  const waves = wavesOf(plan.plan.changes, step);
  // Only a later step that writes needs this step's listing.
  const laterWrites = STEPS.slice(STEPS.indexOf(step) + 1).some(
    (s) => wavesOf(plan.plan.changes, s).length > 0,
  );
  // An older run still RUNNING when this one planned may send writes until the window after this run's
  // start has passed (its last listing could not see this run): the first write waits that out, so none
  // of its writes can go out after one of this run's.
  if (waves.length > 0 && (plan.concurrentWith?.length ?? 0) > 0) await guard.outwaitOlderRuns();
  const access = tableAccess(topology, executionSession(input.execution));
  const results: ChangeResult[] = [];
  const report = new PacingReport();
  let nextGuard: Date | undefined;
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
    // Every wave goes out within the window of a listing that found no newer run.
    if (!guard.fresh()) await guard.list();
    guard.sending();
    const ahead = index === waves.length - 1 && laterWrites ? guard.lookAhead() : undefined;
    const written = await applyChanges(deps.ec2, wave, { report, access });
    nextGuard = await ahead;
    results.push(...written);
    const fatal = written.filter(isFatal);
    // Later waves point at the tables of this one; writing them now could close a loop.
    if (fatal.length > 0) {
      // The step's output is lost with the error: its record keeps every write it did make, so the
      // audit trail shows every route that changed however long the list.
      const record = deps.store
        ? await deps.store.put(recordKey(input.execution, stepObjectName(step, true)), { step, results })
        : undefined;
      deps.log?.({ message: 'route update failed', step, results, record });
      const { partition, account } = parseExecutionArn(input.execution.id);
      const arns = (r: ChangeResult) => writeResourceArns(r, partition, account);
      throw routeUpdateFailed(step, fatal, results, waves.length - index - 1, arns, record);
    }
  }

  const pacing = report.summaries(deps.ec2);
  const output = await stepOutput(input, deps, results, alreadyRightResults(topology, plan, step), startedAt);
  return {
    ...output,
    ...(pacing.length > 0 ? { pacing } : {}),
    ...guard.skippedReport(),
    ...(nextGuard ? { guardListedAt: nextGuard.toISOString() } : {}),
    ...guard.ageReport(),
  };
}

/**
 * The stale-run guard of one update step: which listing covers its next wave, the listing it makes
 * when none is younger than the window, and the look-ahead listing for the step after it.
 */
class StepGuard {
  /** When the latest listing that covers this step's waves was sent. */
  private listedAt: number | undefined;
  private readonly skipped: GuardSkip[] = [];
  /** The oldest listing a wave went out on, ms after it was sent. */
  private oldestMs: number | undefined;

  constructor(
    private readonly input: ApplyInput,
    private readonly deps: TaskDeps,
    private readonly time: ApplyTime,
  ) {
    const inherited = [
      input.plan.guardListedAt,
      ...Object.values(input.applied ?? {}).map((o) => o?.guardListedAt),
    ]
      .filter((at): at is string => at !== undefined)
      .map((at) => Date.parse(at));
    this.listedAt = inherited.length > 0 ? Math.max(...inherited) : undefined;
  }

  private now(): number {
    return this.deps.now().getTime();
  }

  /** Whether a wave sent now is within the window of the latest listing. */
  fresh(): boolean {
    return this.listedAt !== undefined && this.now() - this.listedAt <= GUARD_WINDOW_MS;
  }

  /** Records the age of the covering listing as a wave goes out. */
  sending(): void {
    if (this.listedAt === undefined) return;
    this.oldestMs = Math.max(this.oldestMs ?? 0, Math.round(this.now() - this.listedAt));
  }

  ageReport(): { guardAgeMs?: number } {
    return this.oldestMs === undefined ? {} : { guardAgeMs: this.oldestMs };
  }

  /** Lists now, waiting out throttling; throws SupersededError when a newer run exists. */
  async list(): Promise<void> {
    const at = this.now();
    const left = this.time.remainingMs?.();
    const clock = this.deps.guard?.now ?? Date.now;
    const report = await assertNotSuperseded(this.deps.sfn, this.input.topology, this.input.execution, {
      ...this.deps.guard,
      // Waiting out throttling must leave the step the time of one write wave.
      ...(left !== undefined ? { deadline: clock() + left - (this.deps.waveBudgetMs ?? 0) } : {}),
    });
    this.skipped.push(...report.skipped);
    this.listedAt = at;
  }

  /**
   * The listing for the next step, sent while this step's last wave is in flight: its send time when it
   * checked every region and found no newer run, else undefined (the next step then lists itself, and
   * reports what this one found). It waits out no throttling and no longer than the window: an answer
   * older than that would be of no use.
   */
  lookAhead(): Promise<Date | undefined> {
    const at = this.deps.now();
    return assertNotSuperseded(this.deps.sfn, this.input.topology, this.input.execution, {
      ...this.deps.guard,
      budgetMs: Math.min(this.deps.guard?.budgetMs ?? GUARD_WINDOW_MS, GUARD_WINDOW_MS),
      throttledBudgetMs: () => 0,
    }).then(
      (report) => (report.skipped.length === 0 ? at : undefined),
      () => undefined,
    );
  }

  /** Waits until the window after this run's start has passed. */
  async outwaitOlderRuns(): Promise<void> {
    const waitMs = Date.parse(this.input.execution.startTime) + GUARD_WINDOW_MS - this.now();
    if (waitMs <= 0) return;
    const sleep =
      this.deps.guard?.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
    await sleep(waitMs);
  }

  /** The skipped regions of this step's own listings, as the output carries them (and one log line). */
  skippedReport(): { guardSkipped?: GuardSkip[] } {
    const report: GuardReport = { checked: [], skipped: this.skipped, olderRunning: [] };
    return reportSkipped(
      report,
      { step: this.input.step, execution: this.input.execution.id },
      this.deps.log,
    );
  }
}

/**
 * Counts and failures of a step; a large run's step also keeps every result in its record, so the
 * state lists only the first failures.
 */
async function stepOutput(
  input: Pick<ApplyInput, 'plan' | 'step' | 'execution'>,
  deps: Pick<TaskDeps, 'store' | 'now'>,
  results: readonly ChangeResult[],
  alreadyRight: readonly ChangeResult[],
  startedAt: Date,
): Promise<ApplyOutput> {
  const { step } = input;
  const failures = results.filter((r) => r.result === 'failed' || r.result === 'unreachable');
  const record =
    input.plan.record && deps.store
      ? await deps.store.put(recordKey(input.execution, stepObjectName(step)), {
          step,
          results: [...results, ...alreadyRight],
        })
      : undefined;
  return {
    step,
    applied: results.filter((r) => r.result === 'applied').length,
    alreadyRight: alreadyRight.length,
    failures: record ? failures.slice(0, LISTED_IN_STATE) : failures,
    failureCount: failures.length,
    ...(record ? { record } : { attempts: results.map((r) => r.attempts ?? 1) }),
    timing: timingOf(startedAt, deps.now()),
  };
}

/**
 * A drill's update step: every write of the step at once, with DryRun. Nothing is written, so there is
 * no order to keep and no guard to ask; a refusal is a result for Verify to report, not an error.
 */
export async function dryRunStep(
  input: Pick<ApplyInput, 'plan' | 'step' | 'execution'> & { readonly topology?: ApplyInput['topology'] },
  deps: Pick<TaskDeps, 'ec2' | 'now' | 'store'>,
  startedAt = deps.now(),
): Promise<ApplyOutput> {
  const plan: FullPlan = await fullPlan(input.plan, deps.store);
  const changes = plan.plan.changes.filter((c) => c.step === input.step);
  const access = input.topology ? tableAccess(input.topology, executionSession(input.execution)) : undefined;
  const results = await applyChanges(deps.ec2, changes, { dryRun: true, ...(access ? { access } : {}) });
  return stepOutput(input, deps, results, [], startedAt);
}

const describeWrite = (r: ChangeResult) => `${r.action} ${r.vip} -> ${r.target} in ${r.table} (${r.region})`;

/**
 * The error of a step that stopped: the refused writes first, then the writes it made, as many as fit
 * MESSAGE_LIMIT_CHARS; the record's marker at the end names the object that lists them all.
 */
export function routeUpdateFailed(
  step: Step,
  failed: readonly ChangeResult[],
  results: readonly ChangeResult[],
  skippedWaves: number,
  arnsOf: (r: ChangeResult) => string[],
  record: StoredRecord | undefined,
): RouteUpdateFailedError {
  const written = results.filter((r) => r.result === 'applied');
  // A refused write names the action and the resources IAM checked, as a drill does: AWS's own message
  // is encoded and does not say which one was missing from the policy.
  const lines = failed.map(
    (r) =>
      `${describeWrite(r)}: ${r.result === 'unreachable' ? 'region unreachable' : 'failed'} ` +
      `${r.code ?? ''}${r.code === 'UnauthorizedOperation' ? ` (${ec2ActionOf(r)} on ${arnsOf(r).join(', ')})` : ''} ${r.message ?? ''}`.trimEnd(),
  );
  const rest = skippedWaves > 0 ? `; ${skippedWaves} later wave(s) of ${step} were not written` : '';
  const done =
    written.length > 0
      ? `\nwritten before the failure (${written.length}):\n  ${written.map(describeWrite).join('\n  ')}`
      : '';
  const text = `${failed.length} route update(s) of step ${step} failed${rest}:\n  ${lines.join('\n  ')}${done}`;
  const marker = record ? `\n${recordMarker(record)}` : '';
  return new RouteUpdateFailedError(`${clip(text, MESSAGE_LIMIT_CHARS - marker.length)}${marker}`);
}

/**
 * An update step that stopped before a wave because the time left could not cover it. Its name stays
 * RouteUpdateFailed (the state machine's contract); a direct run tells it apart by class and reports
 * the run as timed out, with the routes it had written.
 */
export class OutOfTimeError extends RouteUpdateFailedError {
  constructor(
    message: string,
    /** The routes this step wrote before it stopped. */
    readonly written: readonly ChangeResult[],
  ) {
    super(message);
  }
}

function outOfTime(
  step: Step,
  written: readonly ChangeResult[],
  notStarted: number,
  leftMs: number,
): OutOfTimeError {
  const done =
    written.length > 0
      ? `\nwritten before it stopped (${written.length}):\n  ${written.map((r) => `${r.action} ${r.vip} -> ${r.target} in ${r.table} (${r.region})`).join('\n  ')}`
      : '';
  return new OutOfTimeError(
    `step ${step} stopped with ${notStarted} wave(s) not started: ${Math.round(leftMs / 1000)} s of the task's time were left, ` +
      `less than one wave may need; run the failover again (it writes only what is still wrong), or raise the stack's runBudget${done}`,
    written,
  );
}
