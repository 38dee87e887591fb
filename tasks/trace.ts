/**
 * Reachability, pure: from every listed VPC and TGW route table, follow the VIP route hop by hop
 * (VPC table -> TGW -> (peering -> TGW)* -> VPC attachment -> that VPC's table -> ENI) and check the
 * health of everything on the way. See DESIGN section 2.
 */
import { z } from 'zod';
import { tablesOf } from './routing';
import type { Topology } from './topology';
import type { Observation, ObservedRoute } from './world';
import { routeKey, TableKind } from './world';

export const Outcome = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('arrives'), node: z.string() }),
  z.strictObject({ kind: z.literal('loop'), cycle: z.array(z.string()) }),
  z.strictObject({ kind: z.literal('blackhole'), at: z.string() }),
  /** A VPC route AWS reports `filtered`: present, but it does not forward. */
  z.strictObject({ kind: z.literal('filtered'), at: z.string() }),
  /** A transit gateway route still `pending`: written, not yet in effect (not converged yet). */
  z.strictObject({ kind: z.literal('pending'), at: z.string() }),
  z.strictObject({ kind: z.literal('no-route'), at: z.string() }),
  /** The route sends the VIP to something the topology does not describe. */
  z.strictObject({ kind: z.literal('leaves'), at: z.string(), target: z.string() }),
  /** A table on the path sits in a region that could not be read. */
  z.strictObject({ kind: z.literal('unknown'), at: z.string(), region: z.string() }),
]);
export type Outcome = z.infer<typeof Outcome>;

export const TraceStart = z.strictObject({
  table: z.string(),
  kind: TableKind,
  region: z.string(),
  /** The topology key of the VPC or TGW that owns the starting table. */
  owner: z.string(),
  vip: z.string(),
  /** IDs visited, starting with the table itself, e.g. [rtb-…, tgw-…, tgw-rtb-…, tgw-attach-…, …, eni-…]. */
  hops: z.array(z.string()),
  outcome: Outcome,
});
export type TraceStart = z.infer<typeof TraceStart>;

export const HealthProblem = z.strictObject({
  resource: z.string(),
  problem: z.string(),
});
export type HealthProblem = z.infer<typeof HealthProblem>;

export const Trace = z.strictObject({
  /** The node the trace expects every start to arrive at. */
  node: z.string(),
  converged: z.boolean(),
  starts: z.array(TraceStart),
  health: z.array(HealthProblem),
});
export type Trace = z.infer<typeof Trace>;

/**
 * Traces every (listed table, VIP) and checks the health of the active node's path.
 * Converged only if every start arrives at `activeNode` and there is no health problem.
 */
export function trace(topology: Topology, observation: Observation, activeNode: string): Trace {
  const node = topology.nodes[activeNode];
  if (!node) throw new Error(`node ${activeNode} is not in the topology`);
  const graph = graphOf(topology);
  const routes = new Map(observation.routes.map((r) => [routeKey(r.table, r.vip), r]));
  const unreachable = new Set(observation.unreachable.map((f) => f.region));

  const starts = topology.vips.flatMap((vip) =>
    tablesOf(topology).map(({ table, kind, region, owner }) => {
      const { hops, outcome } = follow(table, (t) => routeOf(routes, unreachable, graph, t, vip));
      return { table, kind, region, owner, vip, hops, outcome };
    }),
  );
  const health = healthProblems(topology, observation, activeNode, unreachable);
  const converged =
    health.length === 0 && starts.every((s) => s.outcome.kind === 'arrives' && s.outcome.node === activeNode);
  return { node: activeNode, converged, starts, health };
}

/** What one table is, for following routes through it. */
interface TableInfo {
  readonly kind: TableKind;
  readonly region: string;
  /** Topology key of the owning VPC or TGW. */
  readonly owner: string;
}

/** The topology as lookup tables for the hop semantics. */
interface Graph {
  readonly tables: Map<string, TableInfo>;
  /** `eni-…` -> node name. */
  readonly enis: Map<string, string>;
  /** `tgw-…` -> the TGW's first route table. */
  readonly tgwEntry: Map<string, string>;
  /** VPC attachment `tgw-attach-…` -> the VPC's first route table. */
  readonly vpcAttachments: Map<string, string>;
  /** Peering attachment `tgw-attach-…` -> the two TGW keys it joins. */
  readonly peerings: Map<string, readonly [string, string]>;
  /** TGW key -> its first route table. */
  readonly tgwFirstTable: Map<string, string>;
}

function graphOf(topology: Topology): Graph {
  const tables = new Map<string, TableInfo>(
    tablesOf(topology).map(({ table, kind, region, owner }) => [table, { kind, region, owner }]),
  );
  const enis = new Map(Object.entries(topology.nodes).map(([name, n]) => [n.eni, name]));
  const tgwFirstTable = new Map<string, string>();
  const tgwEntry = new Map<string, string>();
  for (const [name, tgw] of Object.entries(topology.transitGateways)) {
    const [first] = tgw.routeTables;
    if (first === undefined) continue;
    tgwFirstTable.set(name, first);
    tgwEntry.set(tgw.id, first);
  }
  const vpcAttachments = new Map<string, string>();
  for (const vpc of Object.values(topology.vpcs)) {
    const [first] = vpc.routeTables;
    if (first !== undefined) vpcAttachments.set(vpc.attachment, first);
  }
  const peerings = new Map(topology.peerings.map((p) => [p.attachment, p.between] as const));
  return { tables, enis, tgwEntry, vpcAttachments, peerings, tgwFirstTable };
}

/** Where a route leads: another table (with the IDs passed on the way), a node, or an end. */
type Hop =
  | { readonly kind: 'table'; readonly via: readonly string[]; readonly table: string }
  | { readonly kind: 'node'; readonly eni: string; readonly node: string }
  | { readonly kind: 'end'; readonly via: readonly string[]; readonly outcome: Outcome };

function routeOf(
  routes: Map<string, ObservedRoute>,
  unreachable: Set<string>,
  graph: Graph,
  table: string,
  vip: string,
): Hop {
  const info = graph.tables.get(table);
  if (!info) throw new Error(`table ${table} is not in the topology`);
  const route = routes.get(routeKey(table, vip));
  const end = (outcome: Outcome, via: string[] = []): Hop => ({ kind: 'end', via, outcome });
  // An absent observation means nothing was read for this table: unknown if its region was unreachable.
  if (!route)
    return unreachable.has(info.region)
      ? end({ kind: 'unknown', at: table, region: info.region })
      : end({ kind: 'no-route', at: table });
  if (route.state === 'unknown') return end({ kind: 'unknown', at: table, region: info.region });
  if (route.state === 'missing' || route.target === null) return end({ kind: 'no-route', at: table });
  if (route.state === 'blackhole') return end({ kind: 'blackhole', at: table }, [route.target]);
  if (route.state === 'filtered') return end({ kind: 'filtered', at: table }, [route.target]);
  if (route.state === 'pending') return end({ kind: 'pending', at: table }, [route.target]);
  const target = route.target;

  if (info.kind === 'vpc') {
    const node = graph.enis.get(target);
    if (node !== undefined) return { kind: 'node', eni: target, node };
    const next = graph.tgwEntry.get(target);
    if (next !== undefined) return { kind: 'table', via: [target], table: next };
    return end({ kind: 'leaves', at: table, target }, [target]);
  }
  const vpcTable = graph.vpcAttachments.get(target);
  if (vpcTable !== undefined) return { kind: 'table', via: [target], table: vpcTable };
  const between = graph.peerings.get(target);
  // A peering attachment leads to the peer of the TGW whose table holds the route.
  const peer =
    between?.[0] === info.owner ? between[1] : between?.[1] === info.owner ? between[0] : undefined;
  const next = peer === undefined ? undefined : graph.tgwFirstTable.get(peer);
  if (next !== undefined) return { kind: 'table', via: [target], table: next };
  return end({ kind: 'leaves', at: table, target }, [target]);
}

/** Follows routes from `start` until a node, an end, or a table already visited. */
function follow(start: string, routeAt: (table: string) => Hop): { hops: string[]; outcome: Outcome } {
  const hops = [start];
  const visited = new Map([[start, 0]]);
  let table = start;
  // Each table is visited at most once, so this ends after at most |tables| + 1 steps.
  for (;;) {
    const step = routeAt(table);
    if (step.kind === 'node')
      return { hops: [...hops, step.eni], outcome: { kind: 'arrives', node: step.node } };
    if (step.kind === 'end') return { hops: [...hops, ...step.via], outcome: step.outcome };
    hops.push(...step.via);
    const first = visited.get(step.table);
    if (first !== undefined)
      return { hops: [...hops, step.table], outcome: { kind: 'loop', cycle: hops.slice(first) } };
    visited.set(step.table, hops.length);
    hops.push(step.table);
    table = step.table;
  }
}

/**
 * Health of what the active node's traffic depends on: every VPC and peering attachment, and the active
 * node's ENI and instance. Resources of unreachable regions are skipped: the trace reports them as unknown.
 */
function healthProblems(
  topology: Topology,
  observation: Observation,
  activeNode: string,
  unreachable: Set<string>,
): HealthProblem[] {
  const problems: HealthProblem[] = [];
  const { attachments, networkInterfaces, instances } = observation.health;
  const checkAttachment = (attachment: string, what: string, regions: readonly (string | undefined)[]) => {
    if (regions.some((r) => r === undefined || unreachable.has(r))) return;
    const state = attachments[attachment];
    if (state === undefined)
      problems.push({ resource: attachment, problem: `${what}: state was not observed` });
    else if (state !== 'available')
      problems.push({ resource: attachment, problem: `${what} is ${state}, expected available` });
  };
  for (const [name, vpc] of Object.entries(topology.vpcs))
    checkAttachment(vpc.attachment, `VPC attachment of ${name}`, [vpc.region]);
  for (const peering of topology.peerings) {
    const [a, b] = peering.between;
    checkAttachment(peering.attachment, `peering between ${a} and ${b}`, [
      topology.transitGateways[a]?.region,
      topology.transitGateways[b]?.region,
    ]);
  }

  const node = topology.nodes[activeNode];
  const region = node ? topology.vpcs[node.vpc]?.region : undefined;
  if (!node || region === undefined || unreachable.has(region)) return problems;
  const eni = networkInterfaces[node.eni];
  if (!eni) problems.push({ resource: node.eni, problem: `ENI of ${activeNode}: state was not observed` });
  else if (eni.status !== 'in-use')
    problems.push({ resource: node.eni, problem: `ENI of ${activeNode} is ${eni.status}, expected in-use` });
  else if (eni.instance !== node.instance)
    problems.push({
      resource: node.eni,
      problem: `ENI of ${activeNode} is attached to ${eni.instance ?? 'no instance'}, expected ${node.instance}`,
    });
  const instance = instances[node.instance];
  if (!instance)
    problems.push({ resource: node.instance, problem: `instance of ${activeNode}: state was not observed` });
  else {
    if (instance.state !== 'running')
      problems.push({
        resource: node.instance,
        problem: `instance of ${activeNode} is ${instance.state}, expected running`,
      });
    // A router instance must forward packets addressed to the VIP, which is not its own address.
    if (instance.sourceDestCheck)
      problems.push({
        resource: node.instance,
        problem: `source/destination check is on for ${activeNode}; turn it off so the instance accepts VIP traffic`,
      });
  }
  return problems;
}

/** Where a traced path that missed the target ends, in words: the reason Verify and drills give. */
export function failedOutcomeText(outcome: TraceStart['outcome']): string {
  switch (outcome.kind) {
    case 'arrives':
      return `arrives at ${outcome.node}, not the target`;
    case 'loop':
      return `loop ${outcome.cycle.join(' -> ')}`;
    case 'blackhole':
      return `blackhole at ${outcome.at}`;
    case 'filtered':
      return `filtered at ${outcome.at}`;
    case 'pending':
      return `pending at ${outcome.at} (not active yet)`;
    case 'no-route':
      return `no route at ${outcome.at}`;
    case 'leaves':
      return `leaves the topology at ${outcome.at} towards ${outcome.target}`;
    case 'unknown':
      return `unknown beyond ${outcome.at} (${outcome.region} unreachable)`;
  }
}
