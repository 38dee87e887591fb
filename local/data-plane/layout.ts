/**
 * Where every piece of a topology sits in the kernel: one network namespace per VPC router, per transit
 * gateway, per cluster node and per client, and the veth links between them. Pure: built from the
 * topology and local AWS's world, no kernel call.
 *
 * - A host (node or client) has `eth0` in its own namespace, linked to its VPC's router. A node's
 *   address is its ENI's private IP; a client's is a free address of its subnet.
 * - The router side of a host link holds the subnet's VPC router address (the subnet's network + 1,
 *   "Reserved by AWS for the VPC router":
 *   https://docs.aws.amazon.com/vpc/latest/userguide/subnet-sizing.html) and answers ARP for the rest
 *   of the VPC (proxy ARP), so that two hosts of one subnet still talk through the router and its table.
 * - A VPC attachment is a link between the VPC router and its TGW; a peering attachment, a link
 *   between two TGWs. Their point-to-point addresses come from 198.18.0.0/15 (RFC 2544's benchmark
 *   range), which a topology may not use (checked at start).
 */
import { parseCidr } from '../../tasks/ip-cidr';
import type { Topology } from '../../tasks/topology';
import type { LocalWorld } from '../world';

export type NamespaceRole = 'node' | 'client' | 'vpc' | 'tgw';

export interface NamespaceInfo {
  /** The key of `GET /_local/data-plane`: the node key, the VPC key, the TGW key, or `client-<vpc>[-<n>]`. */
  readonly key: string;
  readonly netns: string;
  readonly role: NamespaceRole;
  /** The VPC a node, client or router belongs to; a TGW's key for a TGW. */
  readonly vpc: string;
  readonly region: string;
  /** The host's address; a router's first gateway address; a TGW's first link address. */
  readonly address: string;
}

/** A host's link to its VPC router. */
export interface HostLink {
  readonly host: string;
  readonly router: string;
  /** The router side's interface name in the router namespace. */
  readonly routerIf: string;
  readonly address: string;
  readonly prefix: number;
  readonly gateway: string;
  /** The subnet's route table: it governs the traffic this host sends. */
  readonly table: string;
  readonly subnetId: string;
  /** The ENI for a node; absent for clients. */
  readonly eni?: string;
  /** The host's IPv6 address, in a VPC with an IPv6 CIDR (the subnet's /64, same host part as IPv4). */
  readonly address6?: string;
}

/** A point-to-point link between two routers (VPC attachment or peering attachment). */
export interface RouterLink {
  readonly attachment: string;
  readonly kind: 'vpc' | 'peering';
  readonly a: { readonly netns: string; readonly ifname: string; readonly address: string };
  readonly b: { readonly netns: string; readonly ifname: string; readonly address: string };
}

export interface Layout {
  readonly prefix: string;
  readonly namespaces: Record<string, NamespaceInfo>;
  readonly hosts: HostLink[];
  readonly links: RouterLink[];
  /** Route table ID -> kernel table number (one numbering for the whole layout). */
  readonly tableNumbers: Record<string, number>;
  /** Namespace of each VPC (by VPC ID) and TGW (by TGW ID). */
  readonly routerOf: Record<string, string>;
}

export interface LayoutOptions {
  /** Clients per VPC, spread over its subnets in order. @default 1 */
  readonly clients?: number;
}

const LINK_BASE = ipv4ToInt('198.18.0.0');
const LINK_SPACE = 2 ** 17; // 198.18.0.0/15

export function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}

export function intToIpv4(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

/** [network, prefix length] of an IPv4 CIDR. */
export function parseIpv4Cidr(cidr: string): [number, number] {
  const [base = '', bits = '32'] = cidr.split('/');
  const prefix = Number(bits);
  const size = 2 ** (32 - prefix);
  return [Math.floor(ipv4ToInt(base) / size) * size, prefix];
}

export function ipv4InCidr(ip: string, cidr: string): boolean {
  const [network, prefix] = parseIpv4Cidr(cidr);
  const size = 2 ** (32 - prefix);
  const n = ipv4ToInt(ip);
  return n >= network && n < network + size;
}

const isIpv4Cidr = (cidr: string): boolean => !cidr.includes(':');

/**
 * Every link's IPv6 next hops are link-local: the side named first holds fe80::1, the other fe80::2
 * (a host link: the router fe80::1, the host fe80::2). Link-local addresses are per interface, so one
 * pair serves every link.
 */
export const LINK_LOCAL = { a: 'fe80::1', b: 'fe80::2' } as const;

/** The IPv6 address of host `host` (an offset) in the `subnet`-th /64 of `cidr` (uncompressed text). */
export function ipv6HostIn(cidr: string, subnet: number, host: number): string {
  const parsed = parseCidr(cidr);
  if (parsed?.family !== 6) throw new Error(`${cidr} is not an IPv6 CIDR`);
  const value = parsed.base + (BigInt(subnet) << 64n) + BigInt(host);
  const groups = Array.from({ length: 8 }, (_, i) =>
    ((value >> BigInt((7 - i) * 16)) & 0xffffn).toString(16),
  );
  return groups.join(':');
}

/** Every namespace and link of `topology` as seeded in `world`, named under `prefix`. */
export function layoutOf(
  topology: Topology,
  world: LocalWorld,
  prefix: string,
  options: LayoutOptions = {},
): Layout {
  const clients = options.clients ?? 1;
  const namespaces: Record<string, NamespaceInfo> = {};
  const hosts: HostLink[] = [];
  const links: RouterLink[] = [];
  const tableNumbers: Record<string, number> = {};
  const routerOf: Record<string, string> = {};
  const ifCounters = new Map<string, number>();
  const ifname = (netns: string, letter: string) => {
    const n = ifCounters.get(netns) ?? 0;
    ifCounters.set(netns, n + 1);
    return `${letter}${n}`;
  };
  let nextTable = 100;
  let nextLink = 0;
  const linkPair = (): [string, string] => {
    const base = LINK_BASE + nextLink * 4;
    nextLink += 1;
    if (nextLink * 4 > LINK_SPACE)
      throw new Error('the data plane ran out of link addresses in 198.18.0.0/15');
    return [intToIpv4(base + 1), intToIpv4(base + 2)];
  };
  const add = (info: NamespaceInfo) => {
    if (namespaces[info.key])
      throw new Error(
        `the data plane names two namespaces '${info.key}' (a ${namespaces[info.key]!.role} and a ${info.role}): rename one key of the topology`,
      );
    namespaces[info.key] = info;
  };
  const nsName = (kind: string, key: string) => `${prefix}${kind}-${key}`;

  checkLinkRange(topology);

  for (const [key, tgw] of Object.entries(topology.transitGateways)) {
    const netns = nsName('t', key);
    routerOf[tgw.id] = netns;
    for (const table of tgw.routeTables) tableNumbers[table] = nextTable++;
    add({ key, netns, role: 'tgw', vpc: key, region: tgw.region, address: '' });
  }

  for (const [vpcKey, vpc] of Object.entries(topology.vpcs)) {
    const router = nsName('v', vpcKey);
    routerOf[vpc.id] = router;
    const region = world.region(vpc.region);
    for (const table of vpc.routeTables) tableNumbers[table] = nextTable++;
    const subnets = Object.values(region.subnets)
      .filter((s) => s.vpcId === vpc.id && isIpv4Cidr(s.cidr))
      .sort((a, b) => ipv4ToInt(a.cidr.split('/')[0]!) - ipv4ToInt(b.cidr.split('/')[0]!));
    const tableOfSubnet = (subnetId: string): string => {
      const tables = Object.values(region.routeTables).filter((t) => t.vpcId === vpc.id);
      const own = tables.find((t) => t.associations.some((a) => a.subnetId === subnetId));
      const main = tables.find((t) => t.associations.some((a) => a.main));
      const table = own ?? main;
      if (!table) throw new Error(`subnet ${subnetId} of ${vpc.id} has no route table`);
      return table.id;
    };
    const gatewayOf = (cidr: string) => intToIpv4(parseIpv4Cidr(cidr)[0] + 1);
    const subnetIndex = (cidr: string) => subnets.findIndex((s) => s.cidr === cidr);
    const address6Of = (cidr: string, address: string) =>
      vpc.ipv6Cidr
        ? {
            address6: ipv6HostIn(
              vpc.ipv6Cidr,
              subnetIndex(cidr),
              ipv4ToInt(address) - parseIpv4Cidr(cidr)[0],
            ),
          }
        : {};
    add({
      key: vpcKey,
      netns: router,
      role: 'vpc',
      vpc: vpcKey,
      region: vpc.region,
      address: subnets[0] ? gatewayOf(subnets[0].cidr) : '',
    });

    for (const [nodeKey, node] of Object.entries(topology.nodes)) {
      if (node.vpc !== vpcKey) continue;
      const eni = region.networkInterfaces[node.eni];
      if (!eni) throw new Error(`node ${nodeKey}: ENI ${node.eni} is not in local AWS's ${vpc.region}`);
      const subnet = region.subnets[eni.subnetId];
      if (!subnet) throw new Error(`node ${nodeKey}: subnet ${eni.subnetId} is not in local AWS`);
      const netns = nsName('n', nodeKey);
      add({ key: nodeKey, netns, role: 'node', vpc: vpcKey, region: vpc.region, address: eni.privateIp });
      hosts.push({
        host: netns,
        router,
        routerIf: ifname(router, 'h'),
        address: eni.privateIp,
        prefix: parseIpv4Cidr(subnet.cidr)[1],
        gateway: gatewayOf(subnet.cidr),
        table: tableOfSubnet(subnet.id),
        subnetId: subnet.id,
        eni: eni.id,
        ...address6Of(subnet.cidr, eni.privateIp),
      });
    }

    for (let i = 0; i < clients; i += 1) {
      const subnet = subnets[i % Math.max(subnets.length, 1)];
      if (!subnet) throw new Error(`${vpcKey} has no IPv4 subnet for its clients`);
      const [network, bits] = parseIpv4Cidr(subnet.cidr);
      // Clients take addresses from the top of their subnet, below AWS's reserved last address.
      const address = intToIpv4(network + 2 ** (32 - bits) - 2 - Math.floor(i / subnets.length));
      const key = i === 0 ? `client-${vpcKey}` : `client-${vpcKey}-${i + 1}`;
      const netns = nsName('c', `${vpcKey}-${i + 1}`);
      add({ key, netns, role: 'client', vpc: vpcKey, region: vpc.region, address });
      hosts.push({
        host: netns,
        router,
        routerIf: ifname(router, 'h'),
        address,
        prefix: bits,
        gateway: gatewayOf(subnet.cidr),
        table: tableOfSubnet(subnet.id),
        subnetId: subnet.id,
        ...address6Of(subnet.cidr, address),
      });
    }

    const tgwNetns = nsName('t', vpc.transitGateway);
    const [routerSide, tgwSide] = linkPair();
    links.push({
      attachment: vpc.attachment,
      kind: 'vpc',
      a: { netns: router, ifname: ifname(router, 'a'), address: routerSide },
      b: { netns: tgwNetns, ifname: ifname(tgwNetns, 'a'), address: tgwSide },
    });
  }

  for (const peering of topology.peerings) {
    const [left, right] = peering.between;
    const [leftAddress, rightAddress] = linkPair();
    const a = nsName('t', left);
    const b = nsName('t', right);
    links.push({
      attachment: peering.attachment,
      kind: 'peering',
      a: { netns: a, ifname: ifname(a, 'p'), address: leftAddress },
      b: { netns: b, ifname: ifname(b, 'p'), address: rightAddress },
    });
  }

  // A TGW's address is its first link's.
  for (const [key, info] of Object.entries(namespaces)) {
    if (info.role !== 'tgw') continue;
    const side = links.flatMap((l) => [l.a, l.b]).find((s) => s.netns === info.netns);
    namespaces[key] = { ...info, address: side?.address ?? '' };
  }
  return { prefix, namespaces, hosts, links, tableNumbers, routerOf };
}

function checkLinkRange(topology: Topology): void {
  const clashes = [
    ...Object.entries(topology.vpcs)
      .filter(([, v]) => overlapsLinkRange(v.cidr))
      .map(([k, v]) => `vpcs.${k}.cidr ${v.cidr}`),
    ...topology.vips.filter((vip) => isIpv4Cidr(vip) && ipv4InCidr(vip.split('/')[0]!, '198.18.0.0/15')),
  ];
  if (clashes.length > 0)
    throw new Error(
      `the data plane links routers with 198.18.0.0/15, which the topology uses (${clashes.join(', ')}): use other addresses for a data-plane run`,
    );
}

function overlapsLinkRange(cidr: string): boolean {
  if (!isIpv4Cidr(cidr)) return false;
  const [network, prefix] = parseIpv4Cidr(cidr);
  const end = network + 2 ** (32 - prefix);
  return network < LINK_BASE + LINK_SPACE && end > LINK_BASE;
}
