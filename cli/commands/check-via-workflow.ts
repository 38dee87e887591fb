/**
 * `check --via-workflow`: the verdict from a read-only drill (DESIGN section 5) to the active node,
 * started in that node's region. The task function reads every region and traces the routes; the
 * node needs only its own region's Step Functions endpoint. Converged when the drill ends READY and
 * every route already has its target; not converged when a route would change or it ends NotReady;
 * unknown (4) when the drill cannot be started or followed, or a region could not be read.
 */
import type { ExecutionInput } from '../../tasks/contracts';
import { ErrorName } from '../../tasks/errors';
import { regionOfNode } from '../../tasks/routing';
import { CliError } from '../core/cli-error';
import type { CommandContext } from '../core/context';
import { ExitCode } from '../core/exit-codes';
import { failureOf, parseCause } from '../runs/executions';
import type { Session } from '../runs/session';
import type { CheckFindings } from './check-findings';

export async function askWorkflow(
  ctx: CommandContext,
  session: Session,
  active: string,
  timeoutSeconds: number,
  notOnHost: readonly string[],
): Promise<Omit<CheckFindings, 'result'> & { result: Record<string, unknown> }> {
  const region = regionOfNode(session.topology, active);
  const input: ExecutionInput = {
    target: active,
    requestedAt: ctx.deps.now().toISOString(),
    requestedBy: ctx.deps.requestedBy,
    reason: 'vipctl check --via-workflow',
    mode: 'drill',
  };
  const vipMissing = notOnHost.length > 0;
  const findings = (verdict: 'converged' | 'not-converged' | 'unknown', extra: Record<string, unknown>) => {
    const notConverged = verdict === 'not-converged';
    const unknown = verdict === 'unknown';
    const exitCode =
      notConverged || vipMissing ? ExitCode.Failed : unknown ? ExitCode.Unreachable : ExitCode.Ok;
    if (exitCode === ExitCode.Ok)
      ctx.print(ctx.style.green(`converged: every VIP route leads to ${active} (drill in ${region})`));
    if (vipMissing && verdict === 'converged')
      ctx.print(ctx.style.red(`routes converged, VIP not on this host: ${notOnHost.join(', ')}`));
    return {
      exitCode,
      notConverged,
      unknown,
      notOnHost,
      result: { active, converged: exitCode === ExitCode.Ok, exitCode, via: 'workflow', ...extra },
    };
  };

  let started: Awaited<ReturnType<Session['executions']['start']>>;
  try {
    started = await session.executions.start(input, region);
  } catch (error) {
    if (error instanceof CliError && error.exitCode === ExitCode.Unreachable) {
      ctx.note(`the drill could not be started: ${error.message}`);
      ctx.print(ctx.style.yellow(`unknown: no cluster region's Step Functions answered`));
      return findings('unknown', { reason: error.message });
    }
    throw error;
  }
  for (const skip of started.skipped)
    ctx.note(
      `Step Functions in ${skip.region} is unreachable (${skip.code}); the drill ran in ${started.region}`,
    );
  const run = { arn: started.arn, name: started.name, region: started.region };
  const detail = await session.executions.wait(started.arn, { timeoutMs: timeoutSeconds * 1000 });

  if (detail.status === 'RUNNING') {
    ctx.print(ctx.style.yellow(`unknown: the drill ${run.name} did not finish within ${timeoutSeconds} s`));
    return findings('unknown', { run });
  }
  if (detail.status === 'SUCCEEDED' && detail.output?.status === 'READY') {
    // A drill sends every write with DryRun, even of a route that is already right (so that readiness
    // covers the permissions a failover would need): a change to the target a route already has is no
    // drift.
    const changes = detail.output.changes.filter(
      (c) => c.result !== 'already-right' && c.previous !== c.target,
    );
    const unreached = detail.output.unreached;
    if (changes.length > 0) {
      ctx.print(ctx.style.red(`not converged on ${active}: the drill ${run.name} would rewrite`));
      for (const c of changes)
        ctx.print(`  ${c.table} (${c.region}) ${c.vip}: ${c.previous ?? 'missing'}, should be ${c.target}`);
      return findings('not-converged', { run, wrong: changes });
    }
    if (unreached.length > 0) {
      ctx.print(ctx.style.yellow(`unknown: the drill ${run.name} could not read every region`));
      for (const u of unreached) ctx.print(`  not read: ${u.table} (${u.region}) ${u.vip}`);
      return findings('unknown', { run, unreached });
    }
    return findings('converged', { run, trace: detail.output.trace });
  }
  const failure = failureOf(await session.executions.history(run.arn), detail);
  const error = failure?.error ?? detail.status;
  const message = parseCause(failure?.cause).message;
  if (error === ErrorName.RegionUnreachable) {
    ctx.print(ctx.style.yellow(`unknown: the drill ${run.name} could not reach a region (${message})`));
    return findings('unknown', { run, error });
  }
  ctx.print(ctx.style.red(`not converged on ${active}: the drill ${run.name} ended ${error}`));
  for (const line of message.split('\n').filter((l) => l.trim())) ctx.print(`  ${line.trim()}`);
  return findings('not-converged', { run, error, reasons: message });
}
