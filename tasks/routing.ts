/**
 * The routing rule of DESIGN section 2, pure: for a chosen active node, where every listed table
 * must send each VIP, and in which step and wave that route is written.
 */
import { z } from 'zod';
import type { Topology } from './topology';
import { TableKind } from './world';

/** Workflow steps that write routes, in the order they run (destination first). */
export const Step = z.enum(['local-vpc', 'tgw', 'remote-vpc']);
export type Step = z.infer<typeof Step>;
export const STEPS: readonly Step[] = Step.options;

/** One route that the rule requires. */
export const DesiredRoute = z.strictObject({
  table: z.string(),
  kind: TableKind,
  region: z.string(),
  vip: z.string(),
  /** `eni-…` (local VPC), `tgw-attach-…` (TGW tables) or `tgw-…` (remote VPCs). */
  target: z.string(),
  step: Step,
  /** Order inside the step: 0 first. In `tgw`, the active VPC's TGW is wave 0, then by peering hops. */
  wave: z.number().int().nonnegative(),
});
export type DesiredRoute = z.infer<typeof DesiredRoute>;

/** A table listed in the topology, with what owns it. */
export interface TableRef {
  readonly table: string;
  readonly kind: TableKind;
  readonly region: string;
  /** The topology key of the VPC or TGW that owns the table. */
  readonly owner: string;
}

/** Every listed route table (VPC tables first, then TGW tables), in file order. */
export function tablesOf(topology: Topology): TableRef[] {
  const vpcTables = Object.entries(topology.vpcs).flatMap(([owner, vpc]) =>
    vpc.routeTables.map((table) => ({ table, kind: 'vpc' as const, region: vpc.region, owner })),
  );
  const tgwTables = Object.entries(topology.transitGateways).flatMap(([owner, tgw]) =>
    tgw.routeTables.map((table) => ({ table, kind: 'tgw' as const, region: tgw.region, owner })),
  );
  return [...vpcTables, ...tgwTables];
}

/** Every region the topology touches, sorted. */
export function regionsOf(topology: Topology): string[] {
  const regions = new Set<string>();
  for (const vpc of Object.values(topology.vpcs)) regions.add(vpc.region);
  for (const tgw of Object.values(topology.transitGateways)) regions.add(tgw.region);
  return [...regions].sort();
}

/** The region where `node` runs. */
export function regionOfNode(topology: Topology, node: string): string {
  const vpc = topology.vpcs[topology.nodes[node]?.vpc ?? ''];
  if (!vpc) throw new Error(`node ${node} is not in the topology`);
  return vpc.region;
}

/**
 * Plain code-unit order: unlike `localeCompare` it is the same in every runtime locale, so the Lambda and
 * the CLI always break ties between equally short peering paths the same way.
 */
const byCodeUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** For every TGW, the next hop towards `destination` over the peering graph, and the hop count. */
export function peeringNextHops(
  topology: Topology,
  destination: string,
): Map<string, { attachment: string; hops: number }> {
  const next = new Map<string, { attachment: string; hops: number }>();
  const seen = new Set([destination]);
  // Breadth-first from the destination; neighbours in a stable order make ties deterministic.
  let frontier = [destination];
  for (let hops = 1; frontier.length > 0; hops++) {
    const following: string[] = [];
    for (const tgw of frontier) {
      const links = topology.peerings
        .filter((p) => p.between.includes(tgw))
        .map((p) => ({ other: p.between[0] === tgw ? p.between[1] : p.between[0], attachment: p.attachment }))
        .sort((a, b) => byCodeUnits(a.other, b.other) || byCodeUnits(a.attachment, b.attachment));
      for (const { other, attachment } of links) {
        if (seen.has(other)) continue;
        seen.add(other);
        next.set(other, { attachment, hops });
        following.push(other);
      }
    }
    frontier = following;
  }
  return next;
}

/** The routes the rule requires with `activeNode` active, for every VIP and every listed table. */
export function desiredRoutes(topology: Topology, activeNode: string): DesiredRoute[] {
  const node = topology.nodes[activeNode];
  if (!node) throw new Error(`node ${activeNode} is not in the topology`);
  const localVpc = topology.vpcs[node.vpc];
  if (!localVpc) throw new Error(`VPC ${node.vpc} of node ${activeNode} is not in the topology`);
  const destinationTgw = localVpc.transitGateway;
  const nextHops = peeringNextHops(topology, destinationTgw);

  const routes: DesiredRoute[] = [];
  for (const vip of topology.vips) {
    for (const [name, vpc] of Object.entries(topology.vpcs)) {
      const local = name === node.vpc;
      const tgw = topology.transitGateways[vpc.transitGateway];
      if (!local && !tgw)
        throw new Error(`transit gateway ${vpc.transitGateway} of VPC ${name} is not in the topology`);
      for (const table of vpc.routeTables) {
        routes.push({
          table,
          kind: 'vpc',
          region: vpc.region,
          vip,
          target: local ? node.eni : (tgw?.id ?? ''),
          step: local ? 'local-vpc' : 'remote-vpc',
          wave: 0,
        });
      }
    }
    for (const [name, tgw] of Object.entries(topology.transitGateways)) {
      const hop = name === destinationTgw ? { attachment: localVpc.attachment, hops: 0 } : nextHops.get(name);
      if (!hop) throw new Error(`transit gateway ${name} has no peering path to ${destinationTgw}`);
      for (const table of tgw.routeTables) {
        routes.push({
          table,
          kind: 'tgw',
          region: tgw.region,
          vip,
          target: hop.attachment,
          step: 'tgw',
          wave: hop.hops,
        });
      }
    }
  }
  return routes;
}
