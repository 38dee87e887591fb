/**
 * A mermaid flowchart of the cluster: VPCs, TGWs and nodes grouped by region, attachments and
 * peerings as dotted links, and every VIP route as a thick arrow, so the VIP's path can be read off.
 */
import { tablesOf } from '../../tasks/routing';
import type { Topology } from '../../tasks/topology';
import type { ObservedRoute } from '../../tasks/world';
import { resolveTarget } from './names';

const id = (kind: string, name: string) => `${kind}_${name.replace(/[^A-Za-z0-9_]/g, '_')}`;

export function mermaidDiagram(
  topology: Topology,
  routes: readonly ObservedRoute[],
  activeNode?: string,
): string {
  const lines = ['flowchart LR'];
  const regions = new Map<string, string[]>();
  const inRegion = (region: string, line: string) =>
    regions.set(region, [...(regions.get(region) ?? []), line]);
  for (const [name, vpc] of Object.entries(topology.vpcs)) {
    inRegion(vpc.region, `${id('vpc', name)}["${name}<br/>${vpc.cidr}"]`);
  }
  for (const [name, tgw] of Object.entries(topology.transitGateways)) {
    inRegion(tgw.region, `${id('tgw', name)}{{"${name}"}}`);
  }
  for (const [name, node] of Object.entries(topology.nodes)) {
    const region = topology.vpcs[node.vpc]?.region ?? 'unknown';
    inRegion(region, `${id('node', name)}(["${name}"])`);
  }
  for (const [region, members] of [...regions.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    lines.push(`  subgraph ${id('region', region)}["${region}"]`, ...members.map((m) => `    ${m}`), '  end');
  }
  for (const [name, node] of Object.entries(topology.nodes))
    lines.push(`  ${id('node', name)} -.- ${id('vpc', node.vpc)}`);
  for (const [name, vpc] of Object.entries(topology.vpcs))
    lines.push(`  ${id('vpc', name)} -.- ${id('tgw', vpc.transitGateway)}`);
  for (const peering of topology.peerings) {
    lines.push(`  ${id('tgw', peering.between[0])} -.-|peering| ${id('tgw', peering.between[1])}`);
  }

  const owners = new Map(tablesOf(topology).map((t) => [t.table, t]));
  const edges = new Set<string>();
  for (const route of routes) {
    const owner = owners.get(route.table);
    if (!owner || !route.target) continue;
    const to = resolveTarget(topology, route.target, owner.owner);
    const target = to.kind === 'other' ? id('other', to.name) : id(to.kind, to.name);
    if (to.kind === 'other') lines.push(`  ${target}["${to.name}"]`);
    // Only an active route carries traffic; blackhole, filtered and pending ones are drawn dotted, named.
    const arrow = route.state === 'active' ? `==>|${route.vip}|` : `-.->|${route.vip} ${route.state}|`;
    edges.add(`  ${id(owner.kind === 'vpc' ? 'vpc' : 'tgw', owner.owner)} ${arrow} ${target}`);
  }
  lines.push(...edges);
  if (activeNode) {
    lines.push(
      '  classDef active fill:#d4f7d4,stroke:#2a7a2a,stroke-width:2px',
      `  class ${id('node', activeNode)} active`,
    );
  }
  return `${lines.join('\n')}\n`;
}
