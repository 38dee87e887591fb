/** `vipctl status`: every VIP route in every table, and where each VPC's VIP traffic ends up. */
import { tablesOf } from '../../tasks/routing';
import { trace } from '../../tasks/trace';
import type { CommandContext } from '../core/context';
import { ExitCode } from '../core/exit-codes';
import { mermaidDiagram } from '../render/mermaid';
import { describeOutcome, describeTarget, nodeRoutesPointTo } from '../render/names';
import { table } from '../render/text';
import { openSession } from '../runs/session';

export interface StatusOptions {
  readonly format: 'table' | 'json' | 'mermaid';
}

export async function statusCommand(ctx: CommandContext, options: StatusOptions): Promise<number> {
  const session = await openSession(ctx);
  const { topology } = session;
  const observation = await session.readWorld();
  const owners = new Map(tablesOf(topology).map((t) => [t.table, t]));
  const routes = observation.routes.map((r) => {
    const owner = owners.get(r.table);
    return { ...r, kind: owner?.kind, region: owner?.region, owner: owner?.owner };
  });
  const vpcRoutes = routes.filter((r) => r.kind === 'vpc');
  const node = nodeRoutesPointTo(topology, vpcRoutes);
  const verdict = node ? trace(topology, observation, node) : undefined;
  const vpcs = (verdict?.starts ?? [])
    .filter((s) => s.kind === 'vpc')
    .map((s) => ({ vpc: s.owner, table: s.table, vip: s.vip, outcome: s.outcome, hops: s.hops }));

  if (ctx.globals.json || options.format === 'json') {
    const json = {
      cluster: topology.cluster,
      node: node ?? null,
      routes,
      vpcs,
      trace: verdict ?? null,
      unreachable: observation.unreachable,
    };
    ctx.io.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
    return ExitCode.Ok;
  }
  if (options.format === 'mermaid') {
    ctx.io.stdout.write(mermaidDiagram(topology, observation.routes, node));
    return ExitCode.Ok;
  }

  ctx.print(
    table(
      ['TABLE', 'OWNER', 'REGION', 'VIP', 'TARGET', 'STATE'],
      routes.map((r) => [
        r.table,
        r.owner ?? '?',
        r.region ?? '?',
        r.vip,
        describeTarget(topology, r.target, r.owner),
        colourState(ctx, r.state),
      ]),
    ),
  );
  ctx.print();
  if (!verdict || !node) {
    ctx.print(ctx.style.yellow('no VPC route sends the VIP to a node of the topology'));
  } else {
    ctx.print(
      table(
        ['VPC', 'TABLE', 'VIP', 'TRAFFIC'],
        vpcs.map((v) => [v.vpc, v.table, v.vip, describeOutcome(v.outcome)]),
      ),
    );
    ctx.print();
    ctx.print(
      verdict.converged
        ? ctx.style.green(`converged: every VIP route leads to ${node}`)
        : ctx.style.red(`not converged on ${node}`),
    );
    for (const problem of verdict.health) ctx.print(`  ${problem.resource}: ${problem.problem}`);
  }
  for (const fault of observation.unreachable) {
    ctx.note(`warning: EC2 in ${fault.region} could not be read (${fault.code}: ${fault.message})`);
  }
  return ExitCode.Ok;
}

function colourState(ctx: CommandContext, state: string): string {
  if (state === 'active') return ctx.style.green(state);
  if (state === 'unknown' || state === 'pending') return ctx.style.yellow(state);
  return ctx.style.red(state);
}
