/**
 * The kernel state that local AWS's route tables stand for, per namespace: policy rules (which table
 * governs the traffic arriving on which interface) and the routes of each table. Pure: computed from
 * the world and the layout, compared with what was applied, and turned into `ip -batch` lines.
 *
 * - A VPC route table governs the traffic that leaves its associated subnets: `iif <host link> lookup
 *   <table>` in the VPC router. Traffic that the TGW delivers into the VPC is routed by the table of
 *   the attachment's (first) subnet, as AWS routes it from the attachment's network interface in that
 *   subnet (https://docs.aws.amazon.com/vpc/latest/tgw/tgw-vpc-attachments.html).
 * - A TGW route table governs the traffic that arrives on the attachments associated with it:
 *   `iif <attachment link> lookup <table>` in the TGW
 *   (https://docs.aws.amazon.com/vpc/latest/tgw/tgw-route-tables.html).
 * - `local` becomes a host route per host of the VPC plus a blackhole for the rest of its CIDR; a route
 *   to an ENI, a TGW or an attachment becomes a route over that link; a route that AWS would report as
 *   a blackhole (or that points at something not modelled: an internet gateway, a peering connection) is
 *   a kernel blackhole, which drops silently; a destination with no route is `unreachable`, which
 *   answers ICMP "destination unreachable".
 * - A TGW route `pending` does not forward yet and one `deleting` is gone, as the reference walker
 *   (test/oracle/route-walker.ts) reads them; AWS documents the states
 *   (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_TransitGatewayRoute.html) but not how a
 *   route forwards in each, so this is local AWS's assumption, not a documented fact.
 */
import { parseCidr } from '../../tasks/ip-cidr';
import type { LocalWorld, RegionWorld } from '../world';
import { type HostLink, type Layout, LINK_LOCAL, type RouterLink } from './layout';

/** The table of interfaces whose traffic must be dropped (an attachment that is not available). */
export const DROP_TABLE = 90;
/** Lower than any route the topology gives: what is left when no route matches. */
const LAST_RESORT_METRIC = 4294967295;
const RULE_PRIORITY = 100;

export interface NamespaceState {
  /** `ip rule` arguments (without add/del). */
  readonly rules: Set<string>;
  /** Kernel table number -> route key -> `ip route` arguments (without replace/del, without table). */
  readonly routes: Map<number, Map<string, string>>;
}

export type KernelState = Map<string, NamespaceState>;

const isIpv6 = (cidr: string) => cidr.includes(':');

/** Whether `address` lies in `cidr` (either family). */
function inCidr(address: string, cidr: string): boolean {
  const range = parseCidr(cidr);
  const host = parseCidr(`${address}/${isIpv6(address) ? 128 : 32}`);
  if (!range || !host || range.family !== host.family) return false;
  const width = range.family === 4 ? 32 : 128;
  return host.base >= range.base && host.base < range.base + (1n << BigInt(width - range.prefix));
}

/** The host's address of the destination's family, if it has one. */
const hostAddress = (host: HostLink, dest: string) => (isIpv6(dest) ? host.address6 : host.address);

/** The next hop toward a host over its link: its IPv4 address on link, or its link-local IPv6 address. */
const viaHost = (host: HostLink, dest: string) =>
  isIpv6(dest)
    ? `via ${LINK_LOCAL.b} dev ${host.routerIf}`
    : `via ${host.address} dev ${host.routerIf} onlink`;

/** The next hop toward the `peer` side of a router link. */
function viaPeer(link: RouterLink, self: RouterLink['a'], peer: RouterLink['a'], dest: string): string {
  if (!isIpv6(dest)) return `via ${peer.address} dev ${self.ifname} onlink`;
  return `via ${peer === link.a ? LINK_LOCAL.a : LINK_LOCAL.b} dev ${self.ifname}`;
}

function stateOf(state: KernelState, netns: string): NamespaceState {
  let ns = state.get(netns);
  if (!ns) {
    ns = { rules: new Set(), routes: new Map() };
    state.set(netns, ns);
  }
  return ns;
}

function put(ns: NamespaceState, table: number, key: string, spec: string): void {
  let routes = ns.routes.get(table);
  if (!routes) {
    routes = new Map();
    ns.routes.set(table, routes);
  }
  routes.set(key, spec);
}

function lastResort(ns: NamespaceState, table: number): void {
  put(ns, table, 'last-resort', `unreachable 0.0.0.0/0 metric ${LAST_RESORT_METRIC}`);
  put(ns, table, 'last-resort-6', `unreachable ::/0 metric ${LAST_RESORT_METRIC}`);
}

function regionOfNetns(world: LocalWorld, layout: Layout, netns: string): RegionWorld {
  const info = Object.values(layout.namespaces).find((n) => n.netns === netns);
  if (!info) throw new Error(`no namespace ${netns} in the layout`);
  return world.region(info.region);
}

/** The kernel state that `world` stands for. */
export function kernelStateOf(world: LocalWorld, layout: Layout): KernelState {
  const state: KernelState = new Map();
  const routerNamespaces = Object.values(layout.namespaces).filter(
    (n) => n.role === 'vpc' || n.role === 'tgw',
  );
  for (const router of routerNamespaces) {
    const ns = stateOf(state, router.netns);
    put(ns, DROP_TABLE, 'drop', 'blackhole 0.0.0.0/0');
    put(ns, DROP_TABLE, 'drop-6', 'blackhole ::/0');
  }
  const attachmentAvailable = (region: RegionWorld, id: string) =>
    region.tgwAttachments[id]?.state === 'available';

  // --- VPC routers ---------------------------------------------------------------------------------
  for (const [vpcId, netns] of Object.entries(layout.routerOf)) {
    const region = regionOfNetns(world, layout, netns);
    const vpc = region.vpcs[vpcId];
    if (!vpc) continue; // a TGW
    const ns = stateOf(state, netns);
    const tables = Object.values(region.routeTables)
      .filter((t) => t.vpcId === vpcId)
      .sort((a, b) => (layout.tableNumbers[a.id] ?? 0) - (layout.tableNumbers[b.id] ?? 0));
    const hosts = layout.hosts.filter((h) => h.router === netns);
    const link = layout.links.find((l) => l.kind === 'vpc' && l.a.netns === netns);
    const attachment = link ? region.tgwAttachments[link.attachment] : undefined;

    for (const table of tables) {
      const number = layout.tableNumbers[table.id];
      if (number === undefined) continue;
      lastResort(ns, number);
      for (const route of table.routes) {
        const dest = route.destination;
        const target = route.target;
        if (target.kind === 'local') {
          put(ns, number, `blackhole ${dest}`, `blackhole ${dest}`);
          for (const host of hosts) {
            const address = hostAddress(host, dest);
            const bits = isIpv6(dest) ? 128 : 32;
            if (address && inCidr(address, dest))
              put(ns, number, `${address}/${bits}`, `${address}/${bits} dev ${host.routerIf}`);
          }
          continue;
        }
        let spec = `blackhole ${dest}`;
        if (!route.filtered && target.kind === 'networkInterface') {
          const host = hosts.find((h) => h.eni === target.id);
          const eni = region.networkInterfaces[target.id];
          const instance = eni?.instanceId ? region.instances[eni.instanceId] : undefined;
          // AWS delivers to an instance only when it runs and, for an address that is not its own,
          // when source/destination checking is off
          // (https://docs.aws.amazon.com/vpc/latest/userguide/VPC_NAT_Instance.html#EIP_Disable_SrcDestCheck).
          if (host && eni?.status === 'in-use' && instance?.state === 'running' && !eni.sourceDestCheck)
            spec = `${dest} ${viaHost(host, dest)}`;
        } else if (!route.filtered && target.kind === 'transitGateway') {
          const tgwUp = region.transitGateways[target.id]?.state === 'available';
          if (
            link &&
            tgwUp &&
            attachment?.transitGatewayId === target.id &&
            attachmentAvailable(region, link.attachment)
          )
            spec = `${dest} ${viaPeer(link, link.a, link.b, dest)}`;
        }
        put(ns, number, dest, spec);
      }
    }

    const first = tables[0] ? layout.tableNumbers[tables[0].id] : undefined;
    for (const host of hosts) {
      const number = layout.tableNumbers[host.table];
      if (number !== undefined)
        ns.rules.add(`priority ${RULE_PRIORITY} iif ${host.routerIf} lookup ${number}`);
    }
    if (link) {
      const subnetTable = tables.find((t) =>
        t.associations.some((a) => a.subnetId !== undefined && a.subnetId === attachment?.subnetIds[0]),
      );
      const number = subnetTable ? layout.tableNumbers[subnetTable.id] : first;
      const available = attachmentAvailable(region, link.attachment);
      ns.rules.add(
        `priority ${RULE_PRIORITY} iif ${link.a.ifname} lookup ${available && number !== undefined ? number : DROP_TABLE}`,
      );
    }
    // What the router itself sends (ICMP errors) follows its first table.
    if (first !== undefined) ns.rules.add(`priority ${RULE_PRIORITY} iif lo lookup ${first}`);
  }

  // --- transit gateways ------------------------------------------------------------------------------
  for (const [tgwId, netns] of Object.entries(layout.routerOf)) {
    const region = regionOfNetns(world, layout, netns);
    if (!region.transitGateways[tgwId]) continue;
    const ns = stateOf(state, netns);
    const sides = layout.links.flatMap((l) => [
      { link: l, self: l.a, peer: l.b },
      { link: l, self: l.b, peer: l.a },
    ]);
    const mine = sides.filter((s) => s.self.netns === netns);
    /** Available on both sides: a peering's far side is another region's record of the same ID. */
    const usable = (attachmentId: string) => {
      const side = mine.find((s) => s.link.attachment === attachmentId);
      if (!side || !attachmentAvailable(region, attachmentId)) return undefined;
      if (side.link.kind === 'peering') {
        const far = regionOfNetns(world, layout, side.peer.netns);
        if (!attachmentAvailable(far, attachmentId)) return undefined;
      }
      return side;
    };
    const tables = Object.values(region.tgwRouteTables)
      .filter((t) => t.transitGatewayId === tgwId)
      .sort((a, b) => (layout.tableNumbers[a.id] ?? 0) - (layout.tableNumbers[b.id] ?? 0));
    for (const table of tables) {
      const number = layout.tableNumbers[table.id];
      if (number === undefined) continue;
      lastResort(ns, number);
      for (const route of table.routes) {
        const dest = route.destination;
        if (route.phase?.state === 'deleting') continue;
        const side =
          route.attachmentId && route.phase?.state !== 'pending' ? usable(route.attachmentId) : undefined;
        put(
          ns,
          number,
          dest,
          side ? `${dest} ${viaPeer(side.link, side.self, side.peer, dest)}` : `blackhole ${dest}`,
        );
      }
    }
    for (const side of mine) {
      const associated = region.tgwAttachments[side.link.attachment]?.associatedRouteTableId;
      const number = associated ? layout.tableNumbers[associated] : undefined;
      const lookup = usable(side.link.attachment) && number !== undefined ? number : DROP_TABLE;
      ns.rules.add(`priority ${RULE_PRIORITY} iif ${side.self.ifname} lookup ${lookup}`);
    }
    const first = tables[0] ? layout.tableNumbers[tables[0].id] : undefined;
    if (first !== undefined) ns.rules.add(`priority ${RULE_PRIORITY} iif lo lookup ${first}`);
  }
  return state;
}

/**
 * The `ip -batch` lines that take a namespace from `applied` to `wanted` (routes replaced in place,
 * never flushed): `routes` (each line's family follows its destination) and `rules`, which apply to
 * IPv4 and, run again with `ip -6`, to IPv6.
 */
export function batchLines(
  applied: NamespaceState | undefined,
  wanted: NamespaceState,
): { routes: string[]; rules: string[] } {
  const lines: string[] = [];
  const rules: string[] = [];
  for (const [table, routes] of wanted.routes) {
    const before = applied?.routes.get(table);
    for (const [key, spec] of routes)
      if (before?.get(key) !== spec) lines.push(`route replace ${spec} table ${table}`);
    for (const [key, spec] of before ?? [])
      if (!routes.has(key)) lines.push(`route del ${spec} table ${table}`);
  }
  for (const [table, routes] of applied?.routes ?? [])
    if (!wanted.routes.has(table))
      for (const spec of routes.values()) lines.push(`route del ${spec} table ${table}`);
  // New rules before old ones go, so that an interface is never without its table.
  for (const rule of wanted.rules) if (!applied?.rules.has(rule)) rules.push(`rule add ${rule}`);
  for (const rule of applied?.rules ?? []) if (!wanted.rules.has(rule)) rules.push(`rule del ${rule}`);
  return { routes: lines, rules };
}
