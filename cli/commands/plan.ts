/** `vipctl plan --to <node>`: what a failover would change, from the routes as they are. Writes nothing. */
import { planChanges } from '../../tasks/plan';
import { desiredRoutes, regionsOf } from '../../tasks/routing';
import { writeRateBound, writeRateWarning } from '../../tasks/write-rate';
import { unreachableError } from '../core/cli-error';
import type { CommandContext } from '../core/context';
import { ExitCode } from '../core/exit-codes';
import { plural, table } from '../render/text';
import { openSession } from '../runs/session';

export interface PlanOptions {
  readonly to: string;
}

export async function planCommand(ctx: CommandContext, options: PlanOptions): Promise<number> {
  const session = await openSession(ctx);
  const target = await session.node(options.to, '--to');
  const observation = await session.readWorld();
  if (observation.unreachable.length >= regionsOf(session.topology).length) {
    throw unreachableError(
      `EC2 could not be read in any cluster region (${observation.unreachable.map((u) => `${u.region}: ${u.code}`).join(', ')})`,
      'check the network, --endpoint-url and AWS_ENDPOINT_URL',
    );
  }
  const plan = planChanges(desiredRoutes(session.topology, target), observation);
  const rate = writeRateBound(plan.changes);
  const warning = writeRateWarning(rate);

  ctx.printJson({
    target,
    converged: plan.changes.length === 0 && observation.unreachable.length === 0,
    changes: plan.changes,
    unchanged: plan.unchanged,
    unreachable: observation.unreachable,
    writeRate: { boundSeconds: Math.ceil(rate.boundMs / 1000), ...(warning ? { warning } : {}) },
  });
  if (warning) ctx.note(`warning: ${warning}`);
  for (const fault of observation.unreachable) {
    ctx.note(
      `warning: EC2 in ${fault.region} could not be read (${fault.code}); its tables are planned as replace`,
    );
  }
  if (plan.changes.length === 0) {
    ctx.print(`nothing to change: every VIP route already leads to ${target}`);
    return ExitCode.Ok;
  }
  ctx.print(
    table(
      ['TABLE', 'REGION', 'VIP', 'CURRENT -> DESIRED', 'ACTION'],
      plan.changes.map((c) => [
        c.table,
        c.region,
        c.vip,
        `${c.previous ?? `(${c.previousState})`} -> ${c.target}`,
        c.action,
      ]),
    ),
  );
  ctx.print();
  ctx.print(
    `${plural(plan.changes.length, 'change')}, ${plan.unchanged.length} already right. Nothing was written.`,
  );
  return ExitCode.Ok;
}
