/**
 * `vipctl check --active <node|self> [--repair] [--no-host-check]`: the cluster monitor's question.
 * EC2 reads only. 0 converged; 1 not converged (what is wrong is printed); 4 AWS unreachable, so the
 * answer is not known. An unreadable region is never reported as a wrong route. With `self`, run on
 * the node, every VIP must also be an address of this host: routes that lead to a node that does not
 * own the VIP end in dropped packets. `--via-workflow` asks a read-only drill in the active node's
 * region instead (check-via-workflow.ts), for nodes that reach only their own region.
 */
import type { ExecutionInput } from '../../tasks/contracts';
import { planChanges } from '../../tasks/plan';
import { desiredRoutes, tablesOf } from '../../tasks/routing';
import { trace } from '../../tasks/trace';
import { failoverWriteRateWarning } from '../../tasks/write-rate';
import type { CommandContext } from '../core/context';
import { ExitCode } from '../core/exit-codes';
import { vipsNotOnHost } from '../core/host-addresses';
import { describeOutcome, describeTarget } from '../render/names';
import { startAndFollow } from '../runs/follow';
import { openSession, type Session } from '../runs/session';
import type { CheckFindings } from './check-findings';
import { askWorkflow } from './check-via-workflow';

export interface CheckOptions {
  readonly active: string;
  readonly repair?: boolean;
  readonly timeout: number;
  /** `--no-host-check` sets false: for monitors that run somewhere other than the node. @default true */
  readonly hostCheck?: boolean;
  /** Ask a read-only drill in the active node's region instead of reading every region from here. */
  readonly viaWorkflow?: boolean;
}

export async function checkCommand(ctx: CommandContext, options: CheckOptions): Promise<number> {
  const session = await openSession(ctx);
  const { topology } = session;
  const active = await session.node(options.active, '--active');
  // Only `self` means "this host is the node"; a named node may be checked from anywhere.
  const hostChecked = options.hostCheck !== false && options.active === 'self' && !topology.nodes.self;
  const notOnHost = hostChecked ? vipsNotOnHost(topology.vips, ctx.deps.networkInterfaces) : [];
  if (options.viaWorkflow) {
    const findings = await askWorkflow(ctx, session, active, options.timeout, notOnHost);
    return concludeCheck(ctx, session, active, options, {
      ...findings,
      result: { ...findings.result, host: { checked: hostChecked, vipsMissing: notOnHost } },
    });
  }
  // A monitor runs often: the place to learn, before a node dies, that a failover cannot fit its budget.
  const rateWarning = failoverWriteRateWarning(topology);
  if (rateWarning) ctx.note(`warning: ${rateWarning}`);
  const observation = await session.readWorld();
  const owners = new Map(tablesOf(topology).map((t) => [t.table, t.owner]));
  const unreadable = new Set(observation.unreachable.map((u) => u.region));
  const plan = planChanges(desiredRoutes(topology, active), observation);
  // Tables of unreadable regions show up as `unknown` changes; they are not known to be wrong.
  const wrong = plan.changes.filter((c) => !unreadable.has(c.region) && c.previousState !== 'unknown');
  const verdict = trace(topology, observation, active);
  const broken = verdict.starts.filter((s) => s.outcome.kind !== 'arrives' && s.outcome.kind !== 'unknown');
  const notConverged = wrong.length > 0 || broken.length > 0 || verdict.health.length > 0;
  const unknown = !notConverged && observation.unreachable.length > 0;
  const vipMissing = notOnHost.length > 0;
  const exitCode =
    notConverged || vipMissing ? ExitCode.Failed : unknown ? ExitCode.Unreachable : ExitCode.Ok;

  for (const fault of observation.unreachable) {
    ctx.note(`EC2 in ${fault.region} could not be read (${fault.code}: ${fault.message})`);
  }
  if (observation.unreachable.length > 0 && session.clients.proxies.length > 0)
    ctx.note(
      `AWS calls go through the proxy ${session.clients.proxies.join(', ')}: check that it runs and lets them through, or list the endpoints in NO_PROXY`,
    );
  if (exitCode === ExitCode.Ok) ctx.print(ctx.style.green(`converged: every VIP route leads to ${active}`));
  if (vipMissing && !notConverged && !unknown)
    ctx.print(ctx.style.red(`routes converged, VIP not on this host: ${notOnHost.join(', ')}`));
  if (unknown)
    ctx.print(
      ctx.style.yellow(`unknown: the readable routes lead to ${active}, but not every region could be read`),
    );
  if (notConverged) {
    ctx.print(ctx.style.red(`not converged on ${active}:`));
    for (const c of wrong) {
      ctx.print(
        `  ${c.table} (${c.region}) ${c.vip}: ${c.previousState === 'missing' ? 'missing' : `${describeTarget(topology, c.previous, owners.get(c.table))} [${c.previousState}]`}, should be ${describeTarget(topology, c.target, owners.get(c.table))}`,
      );
    }
    for (const s of broken)
      ctx.print(`  from ${s.table} (${s.owner}) ${s.vip}: ${describeOutcome(s.outcome)}`);
    for (const h of verdict.health) ctx.print(`  ${h.resource}: ${h.problem}`);
  }
  return concludeCheck(ctx, session, active, options, {
    exitCode,
    notConverged,
    unknown,
    notOnHost,
    result: {
      active,
      converged: exitCode === ExitCode.Ok,
      exitCode,
      host: { checked: hostChecked, vipsMissing: notOnHost },
      wrong,
      trace: verdict,
      unreachable: observation.unreachable,
    },
  });
}

/** Says what is wrong with the host, prints the JSON result, and repairs wrong routes when asked. */
export async function concludeCheck(
  ctx: CommandContext,
  session: Session,
  active: string,
  options: CheckOptions,
  findings: CheckFindings,
): Promise<number> {
  const { exitCode, notConverged, unknown, notOnHost, result } = findings;
  if (notOnHost.length > 0) {
    if (notConverged || unknown) ctx.print(ctx.style.red(`VIP not on this host: ${notOnHost.join(', ')}`));
    ctx.print(
      `  no interface of this host carries ${notOnHost.join(', ')}: the cluster's address resource (EXPRESSCLUSTER's AWS Virtual IP resource, Pacemaker's IPaddr2) must add it before vipctl runs; --no-host-check skips this when the monitor runs elsewhere`,
    );
  }

  // A failover moves routes; it cannot put the VIP on this host, so repair only wrong routes.
  if (!options.repair || !notConverged) {
    ctx.printJson(result);
    return exitCode;
  }
  ctx.print(`repairing: starting a failover to ${active}`);
  const input: ExecutionInput = {
    target: active,
    requestedAt: ctx.deps.now().toISOString(),
    requestedBy: ctx.deps.requestedBy,
    reason: 'vipctl check --repair: routes not converged',
  };
  // Like failover: a repair still running when --timeout expires is stopped, so that it cannot write
  // after the monitor has given up on it.
  const repair = await startAndFollow(ctx, session, input, {
    wait: true,
    timeoutMs: options.timeout * 1000,
    stop: true,
  });
  ctx.printJson({ ...result, repair });
  return repair.exitCode;
}
