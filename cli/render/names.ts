/** Reads AWS IDs back as the user's own topology names: `eni-0bbb…` is `server-b`. */
import type { Topology } from '../../tasks/topology';
import type { Outcome } from '../../tasks/trace';

export type Resolved =
  | { readonly kind: 'node'; readonly name: string }
  | { readonly kind: 'tgw'; readonly name: string }
  | { readonly kind: 'vpc'; readonly name: string }
  | { readonly kind: 'other'; readonly name: string };

/**
 * What a route target ID stands for, seen from the table's owner. A peering attachment leads to
 * the TGW at the other end, so `owner` (a TGW key) decides which end that is.
 */
export function resolveTarget(topology: Topology, target: string, owner?: string): Resolved {
  const node = Object.entries(topology.nodes).find(([, n]) => n.eni === target || n.instance === target);
  if (node) return { kind: 'node', name: node[0] };
  const tgw = Object.entries(topology.transitGateways).find(([, t]) => t.id === target);
  if (tgw) return { kind: 'tgw', name: tgw[0] };
  const vpc = Object.entries(topology.vpcs).find(([, v]) => v.attachment === target);
  if (vpc) return { kind: 'vpc', name: vpc[0] };
  const peering = topology.peerings.find((p) => p.attachment === target);
  if (peering) {
    const [a, b] = peering.between;
    return { kind: 'tgw', name: owner === a ? b : owner === b ? a : `${a}|${b}` };
  }
  return { kind: 'other', name: target };
}

/** `server-b (eni-0bbb…)`, or the bare ID when the topology does not describe it. */
export function describeTarget(topology: Topology, target: string | null, owner?: string): string {
  if (target === null) return '-';
  const resolved = resolveTarget(topology, target, owner);
  return resolved.kind === 'other' ? target : `${resolved.name} (${target})`;
}

/** Where a traced path ends, in words. */
export function describeOutcome(outcome: Outcome): string {
  switch (outcome.kind) {
    case 'arrives':
      return `arrives at ${outcome.node}`;
    case 'loop':
      return `loop: ${outcome.cycle.join(' -> ')}`;
    case 'blackhole':
      return `blackhole at ${outcome.at}`;
    case 'filtered':
      return `filtered at ${outcome.at}`;
    case 'pending':
      return `pending at ${outcome.at} (not active yet)`;
    case 'no-route':
      return `no VIP route at ${outcome.at}`;
    case 'leaves':
      return `leaves the topology at ${outcome.at} to ${outcome.target}`;
    case 'unknown':
      return `unknown: ${outcome.region} could not be read (at ${outcome.at})`;
  }
}

/** The node most VPC routes point to (by ENI), if any: the node the routes currently serve. */
export function nodeRoutesPointTo(
  topology: Topology,
  routes: readonly { readonly target: string | null }[],
): string | undefined {
  const counts = new Map<string, number>();
  for (const route of routes) {
    if (!route.target) continue;
    const resolved = resolveTarget(topology, route.target);
    if (resolved.kind === 'node') counts.set(resolved.name, (counts.get(resolved.name) ?? 0) + 1);
  }
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]?.[0];
}
