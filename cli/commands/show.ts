/** `vipctl show <run> | --last`: one run's steps to scale, every change, the snapshot, the trace and any error. */

import { isDrillName } from '../../tasks/execution-name';
import { tablesOf } from '../../tasks/routing';
import { type StoredRecord, s3Url } from '../../tasks/stored-record';
import type { CommandContext } from '../core/context';
import { ExitCode } from '../core/exit-codes';
import { gantt } from '../render/gantt';
import { describeOutcome, describeTarget } from '../render/names';
import { stepDuration, stepSummary } from '../render/steps';
import { duration, table, timestamp } from '../render/text';
import { parseCause } from '../runs/executions';
import type { RunRecord } from '../runs/run-record';
import { type RunSelector, selectRecord } from '../runs/select';
import { openSession } from '../runs/session';

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
