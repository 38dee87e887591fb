/**
 * `vipctl rollback <run> | --last`: a restore execution from a run's snapshot. The snapshot comes
 * from the run's output when it succeeded, else from its Plan task's output in the history.
 */
import type { ExecutionInput } from '../../tasks/contracts';
import { isDrillName } from '../../tasks/execution-name';
import type { SnapshotRoute } from '../../tasks/plan';
import { encodeRestoreTargets } from '../../tasks/restore-targets';
import { INLINE_ROUTES } from '../../tasks/state-size';
import type { Topology } from '../../tasks/topology';
import { CliError, usageError } from '../core/cli-error';
import type { CommandContext } from '../core/context';
import { ExitCode } from '../core/exit-codes';
import { plural } from '../render/text';
import { type RunSelector, selectRecord } from '../runs/select';
import { openSession } from '../runs/session';

export interface RollbackOptions extends RunSelector {
  readonly yes?: boolean;
  readonly reason?: string;
  readonly wait: boolean;
  readonly timeout: number;
  /** False with --no-stop: leave the run running when --timeout expires. */
  readonly stop: boolean;
  /** Restore in this process (break-glass), without Step Functions. */
  readonly direct?: boolean;
  /** Start a restore run as usual; restore directly only when StartExecution fails in every region. */
  readonly directWhenUnavailable?: boolean;
}

/** The node whose ENI the snapshot's VPC routes pointed to: that node was active before the run. */
export function restoreTarget(topology: Topology, snapshot: readonly SnapshotRoute[]): string | undefined {
  for (const route of snapshot) {
    if (route.kind !== 'vpc' || !route.target?.startsWith('eni-')) continue;
    const node = Object.entries(topology.nodes).find(([, n]) => n.eni === route.target);
    if (node) return node[0];
  }
  return undefined;
}

/**
 * The restore input: the snapshot's routes as they are, or, when they would take a large part of
 * the execution input's 256 KiB (tasks/state-size.ts), in the compact form of tasks/restore-targets.ts.
 */
export function restoreOf(
  from: string,
  snapshot: readonly SnapshotRoute[],
): NonNullable<ExecutionInput['restore']> {
  return snapshot.length > INLINE_ROUTES
    ? { from, targets: encodeRestoreTargets(snapshot) }
    : { from, routes: [...snapshot] };
}

export async function rollbackCommand(ctx: CommandContext, options: RollbackOptions): Promise<number> {
  const { assertWaitsForDirect, startOrRunDirect } = await import('../runs/direct');
  assertWaitsForDirect(options);
  const session = await openSession(ctx);
  const run = await selectRecord(ctx, session, options, 'rollback');
  const { detail } = run;
  if (isDrillName(detail.name) || detail.input?.mode === 'drill') {
    const newest = await selectRecord(ctx, session, { args: [], last: true }, 'rollback').catch(
      () => undefined,
    );
    throw usageError(
      `run ${detail.name} is a drill: it wrote nothing, so there is nothing to roll back`,
      newest
        ? `the newest run that changed routes is ${newest.detail.name}: vipctl rollback ${newest.detail.name}`
        : 'no failover or restore run was found; vipctl runs lists the runs',
    );
  }
  if (!run.snapshot || run.snapshot.length === 0) {
    throw new CliError(
      `run ${detail.name} has no snapshot to restore: it stopped before its Plan step finished`,
      ExitCode.Failed,
      'nothing was written by that run; vipctl show it for details',
    );
  }
  const runTarget = detail.input?.target ?? detail.target;
  const target = restoreTarget(session.topology, run.snapshot) ?? runTarget;
  if (!target || !session.topology.nodes[target]) {
    throw new CliError(
      `cannot tell which node to restore for run ${detail.name}`,
      ExitCode.Usage,
      'fail over with vipctl failover --to <node> instead',
    );
  }

  ctx.print(
    `rollback of ${detail.name}: restore ${plural(run.snapshot.length, 'VIP route')} as they were before it, with ${target} active`,
  );
  if (ctx.io.isTTY && !options.yes && !ctx.globals.json) {
    const confirmed = (await ctx.io.confirm?.(`start the restore run?`)) ?? false;
    if (!confirmed) {
      ctx.note('rollback cancelled: nothing was started');
      return ExitCode.Failed;
    }
  }
  const input: ExecutionInput = {
    target,
    requestedAt: ctx.deps.now().toISOString(),
    requestedBy: ctx.deps.requestedBy,
    reason: options.reason ?? `rollback of ${detail.name}`,
    restore: restoreOf(detail.arn, run.snapshot),
  };
  const report = await startOrRunDirect(ctx, session, input, {
    ...options,
    timeoutMs: options.timeout * 1000,
    stop: options.stop,
  });
  ctx.printJson({ ...report, restoreFrom: detail.arn });
  return report.exitCode;
}
