/** `vipctl show <run> | --last`: one run's steps to scale, every change, the snapshot, the trace and any error. */

import { isDrillName } from '../tasks/execution-name';
import { tablesOf } from '../tasks/routing';
import { type StoredRecord, s3Url } from '../tasks/stored-record';
import { usageError } from './cli-error';
import type { CommandContext } from './context';
import { parseCause } from './executions';
import { ExitCode } from './exit-codes';
import { journalToRead } from './journal';
import { describeOutcome, describeTarget } from './names';
import { duration, table, timestamp } from './render';
import { gantt } from './render-gantt';
import { stepDuration, stepSummary } from './render-steps';
import { loadSessionRun, type RunRecord, recordOfDirect } from './run-record';
import { openSession, type Session } from './session';

export interface RunSelector {
  readonly args: readonly string[];
  readonly last?: boolean;
}

/** The run named on the command line (`<run>` or `--last`) as an execution ARN. */
export async function selectRun(session: Session, options: RunSelector, command: string): Promise<string> {
  const id = options.args[0];
  if (id && options.last) throw usageError(`give either a run or --last to ${command}, not both`);
  if (options.last) return session.executions.last();
  if (!id)
    throw usageError(
      `${command} needs a run`,
      `pass an execution name or ARN (vipctl runs lists them), or --last`,
    );
  return session.executions.resolve(id);
}

/**
 * The record of the run named on the command line: a direct run from the journal (by name or ARN),
 * else an execution. `--last` is the newer of the newest execution and the newest direct run; when
 * Step Functions cannot be reached, the journal alone answers.
 */
export async function selectRecord(
  ctx: CommandContext,
  session: Session,
  options: RunSelector,
  command: string,
): Promise<RunRecord> {
  const journal = journalToRead(ctx.globals.journal, ctx.deps.now);
  const cluster = session.topology.cluster;
  const id = options.args[0];
  if (id && !options.last) {
    const direct = await journal.find(cluster, id);
    if (direct) return recordOfDirect(direct);
  }
  if (options.last && !id) {
    // --last: the newest run that changed or could change routes, never a drill (executions.last()).
    const [newestDirect] = (await journal.list(cluster)).filter((run) => run.input.mode !== 'drill');
    if (newestDirect) {
      const newestExecution = await session.executions.lastRouteRun().catch(() => undefined);
      if (!newestExecution || newestExecution.startedAt.toISOString() < newestDirect.startedAt) {
        return recordOfDirect(newestDirect);
      }
      return loadSessionRun(session, newestExecution.arn);
    }
  }
  return loadSessionRun(session, await selectRun(session, options, command));
}

/** The run's objects in the run bucket (large runs keep their plan and output there). */
function recordsOf(run: RunRecord): StoredRecord[] {
  return [run.plan?.record, run.detail.output?.record].filter((r): r is StoredRecord => r !== undefined);
}

export async function showCommand(ctx: CommandContext, options: RunSelector): Promise<number> {
  const session = await openSession(ctx);
  const { topology } = session;
  const owners = new Map(tablesOf(topology).map((t) => [t.table, t.owner]));
  const run = await selectRecord(ctx, session, options, 'show');
  const { detail, output } = run;
  const took = detail.stoppedAt ? detail.stoppedAt.getTime() - detail.startedAt.getTime() : undefined;
  const status = output?.status ?? detail.status;
  const verdict = output?.trace;
  const cause = run.failure ? parseCause(run.failure.cause) : undefined;

  ctx.printJson({
    run: {
      arn: detail.arn,
      name: detail.name,
      region: detail.region,
      target: output?.target ?? detail.input?.target ?? detail.target ?? null,
      status,
      direct: run.direct === true,
      startedAt: detail.startedAt.toISOString(),
      stoppedAt: detail.stoppedAt?.toISOString() ?? null,
      durationMs: took ?? null,
      reason: detail.input?.reason ?? null,
      restoreFrom: detail.input?.restore?.from ?? null,
      drill: isDrillName(detail.name) || detail.input?.mode === 'drill',
    },
    steps: run.steps.map((s) => ({
      name: s.name,
      type: s.type,
      startedAt: s.enteredAt.toISOString(),
      durationMs: stepDuration(s) ?? null,
      summary: stepSummary(s),
      failure: s.failure ?? null,
    })),
    changes: run.changes,
    snapshot: run.snapshot ?? null,
    trace: verdict ?? null,
    record: recordsOf(run),
    failure: run.failure ? { ...run.failure, cause: cause?.message ?? '' } : null,
    guardSkipped: run.guardSkipped,
  });
  if (ctx.globals.json) return ExitCode.Ok;

  const drill = isDrillName(detail.name) || detail.input?.mode === 'drill';
  ctx.print(
    `${ctx.style.bold(detail.name)}  ${drill ? 'drill  ' : ''}${status}  ${detail.region}${run.direct ? '  direct run (no Step Functions)' : ''}`,
  );
  if (drill) ctx.print('a drill: every write was sent with DryRun, nothing was changed');
  ctx.print(
    `target ${detail.input?.target ?? detail.target ?? '?'}, started ${timestamp(detail.startedAt)}${took === undefined ? '' : `, took ${duration(took)}`}`,
  );
  if (detail.input?.reason) ctx.print(`reason: ${detail.input.reason}`);
  if (detail.input?.restore) ctx.print(`restores the snapshot of ${detail.input.restore.from}`);
  for (const stored of recordsOf(run)) ctx.print(`record: ${s3Url(stored)}`);
  ctx.print();
  if (run.steps.length > 0) ctx.print(gantt(run.steps, 40, ctx.deps.now()));
  if (run.guardSkipped.length > 0) {
    ctx.print();
    ctx.print(
      ctx.style.yellow('stale-run guard: regions not checked (their Step Functions API did not answer):'),
    );
    for (const { step, skipped } of run.guardSkipped)
      for (const s of skipped) ctx.print(`  ${step}: ${s.region} (${s.code}) ${s.message}`);
  }
  if (run.changes.length > 0) {
    ctx.print();
    ctx.print('changes:');
    ctx.print(
      table(
        ['STEP', 'TABLE', 'REGION', 'VIP', 'PREVIOUS -> NEW', 'RESULT'],
        run.changes.map((c) => [
          c.step,
          c.table,
          c.region,
          c.vip,
          `${describeTarget(topology, c.previous, owners.get(c.table))} -> ${describeTarget(topology, c.target, owners.get(c.table))}`,
          c.code ? `${c.result} (${c.code})` : c.result,
        ]),
      ),
    );
  }
  if (run.snapshot) {
    ctx.print();
    ctx.print('snapshot (VIP routes before the run):');
    ctx.print(
      table(
        ['TABLE', 'REGION', 'VIP', 'TARGET', 'STATE'],
        run.snapshot.map((r) => [
          r.table,
          r.region,
          r.vip,
          describeTarget(topology, r.target, owners.get(r.table)),
          r.state,
        ]),
      ),
    );
  }
  if (verdict) {
    ctx.print();
    ctx.print(
      verdict.converged ? `trace: converged on ${verdict.node}` : `trace: NOT converged on ${verdict.node}`,
    );
    for (const s of verdict.starts.filter((x) => x.outcome.kind !== 'arrives')) {
      ctx.print(`  from ${s.table} ${s.vip}: ${describeOutcome(s.outcome)}`);
    }
    for (const h of verdict.health) ctx.print(`  ${h.resource}: ${h.problem}`);
  }
  if (run.failure) {
    ctx.print();
    ctx.print(
      ctx.style.red(`error${run.failure.step ? ` at ${run.failure.step}` : ''}: ${run.failure.error}`),
    );
    if (cause?.message)
      ctx.print(
        `  ${cause.type && cause.type !== run.failure.error ? `${cause.type}: ` : ''}${cause.message}`,
      );
  }
  return ExitCode.Ok;
}
