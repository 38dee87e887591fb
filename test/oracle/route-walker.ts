/**
 * The reference checker of the test suite: a small route walker over local AWS's raw world state, the
 * JSON that `GET /_local/state` returns. It shares no code with the product (tasks/trace.ts,
 * routing.ts, plan.ts) and no types beyond plain JSON: it reads the topology file with the `yaml`
 * package itself and follows packets the way AWS forwards them, so a bug in the product's trace does
 * not hide itself.
 *
 * From every listed VPC route table and TGW route table it follows each VIP's route hop by hop:
 * - a VPC table's route to an ENI ends there (the ENI must be in that VPC); to a TGW, the packet
 *   enters the TGW through the VPC's attachment and is looked up in the TGW route table associated
 *   with that attachment;
 * - a TGW table's route to a VPC attachment leaves into that VPC and is looked up in the route table
 *   of each of the attachment's subnets (the VPC's main table for a subnet without one); to a peering
 *   attachment, it enters the TGW on the other side and is looked up in the table associated there;
 * - anything else (no route, a blackhole, a filtered or pending route, a gateway, a table seen before
 *   on the way) ends the walk.
 * The walk arrives when it ends at the expected node's ENI, that ENI is in use by the node's running
 * instance, and the instance's source/destination check is off.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

// --- plain JSON shapes: only the fields the walker reads --------------------------------------------

type Json = Record<string, unknown>;

/** `{ account, regions: { <region>: { routeTables, tgwRouteTables, tgwAttachments, ... } } }` */
export type RawWorld = { readonly regions: Record<string, object> };

export interface WalkTopology {
  readonly vips: string[];
  /** node name -> its ENI, instance and region */
  readonly nodes: Record<string, { eni: string; instance: string; region: string }>;
  /** Every listed table: VPC tables and TGW tables with their region. */
  readonly tables: { region: string; table: string; kind: 'vpc' | 'tgw' }[];
}

/** Reads the parts of a topology file the walker needs, with the `yaml` package alone. */
export function readTopologyFile(path: string): WalkTopology {
  return topologyFromJson(parse(readFileSync(path, 'utf8')) as Json);
}

export function topologyFromJson(doc: Json): WalkTopology {
  const entries = (value: unknown) => Object.values((value ?? {}) as Record<string, Json>);
  const tables: WalkTopology['tables'] = [];
  for (const vpc of entries(doc.vpcs))
    for (const table of vpc.routeTables as string[])
      tables.push({ region: String(vpc.region), table, kind: 'vpc' });
  for (const tgw of entries(doc.transitGateways))
    for (const table of tgw.routeTables as string[])
      tables.push({ region: String(tgw.region), table, kind: 'tgw' });
  const nodes: WalkTopology['nodes'] = {};
  const vpcs = (doc.vpcs ?? {}) as Record<string, Json>;
  for (const [name, node] of Object.entries((doc.nodes ?? {}) as Record<string, Json>)) {
    const region = String(vpcs[String(node.vpc)]?.region);
    nodes[name] = { eni: String(node.eni), instance: String(node.instance), region };
  }
  return { vips: (doc.vips as unknown[]).map(String), nodes, tables };
}

/** The raw world of a running local AWS, through its control endpoint. */
export async function fetchWorld(url: string): Promise<RawWorld> {
  const response = await fetch(`${url}/_local/state`);
  if (!response.ok) throw new Error(`GET ${url}/_local/state answered ${response.status}`);
  const state = (await response.json()) as { world: RawWorld };
  return state.world;
}

// --- destinations -----------------------------------------------------------------------------------

/**
 * One key per destination whatever its spelling: an IPv6 CIDR becomes its eight hextets as numbers
 * (`FD00:0::1/128` and `fd00::1/128` are the same /128), an IPv4 CIDR stays as written. Written here
 * rather than taken from the product, so that a canonicalization bug there cannot hide itself.
 */
export function destinationKey(cidr: string): string {
  const [address = '', prefix = ''] = cidr.split('/');
  if (!address.includes(':')) return cidr;
  const halves = address.toLowerCase().split('::');
  if (halves.length > 2) return cidr;
  const groups = (half: string | undefined) => (half ? half.split(':') : []);
  const head = groups(halves[0]);
  const tail = groups(halves[1]);
  const missing = 8 - head.length - tail.length;
  if (missing < 0 || (halves.length === 1 && missing !== 0)) return cidr;
  const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  if (all.some((g) => !/^[0-9a-f]{1,4}$/.test(g))) return cidr;
  return `${all.map((g) => Number.parseInt(g, 16)).join(':')}/${prefix}`;
}

const sameDestination = (a: unknown, b: string): boolean =>
  typeof a === 'string' && destinationKey(a) === destinationKey(b);

// --- the walk ---------------------------------------------------------------------------------------

export type WalkEnd =
  | { kind: 'arrives'; eni: string }
  | { kind: 'wrong-node'; eni: string }
  | { kind: 'unhealthy'; eni: string; why: string }
  | { kind: 'missing'; table: string }
  | { kind: 'blackhole'; table: string; why: string }
  | { kind: 'loop'; table: string }
  | { kind: 'leaves'; table: string; target: string };

export interface Walk {
  readonly region: string;
  readonly table: string;
  readonly vip: string;
  /** `region/table` hops, the start first. */
  readonly path: string[];
  readonly end: WalkEnd;
}

const MAX_HOPS = 64;

const get = (object: unknown, key: string): Json | undefined => {
  const value = (object as Json | undefined)?.[key];
  return typeof value === 'object' && value !== null ? (value as Json) : undefined;
};
const routesOf = (table: Json | undefined): Json[] => (table?.routes as Json[] | undefined) ?? [];

/** Walks every VIP from every listed table (or those of `regions`) towards `node`. */
export function walkAll(
  world: RawWorld,
  topology: WalkTopology,
  node: string,
  options: { regions?: readonly string[] } = {},
): Walk[] {
  const expected = topology.nodes[node];
  if (!expected) throw new Error(`node '${node}' is not in the topology`);
  const walks: Walk[] = [];
  for (const start of topology.tables) {
    if (options.regions && !options.regions.includes(start.region)) continue;
    for (const vip of topology.vips) walks.push(...walkFrom(world, start, vip, expected));
  }
  return walks;
}

interface Position {
  readonly region: string;
  readonly table: string;
  readonly kind: 'vpc' | 'tgw';
}

/** Every walk from `start` (a VPC entered through a multi-subnet attachment branches). */
function walkFrom(
  world: RawWorld,
  start: Position,
  vip: string,
  node: { eni: string; instance: string },
): Walk[] {
  const done: Walk[] = [];
  const pending: { at: Position; path: string[] }[] = [{ at: start, path: [] }];
  while (pending.length > 0) {
    const { at, path: before } = pending.pop()!;
    const hop = `${at.region}/${at.table}`;
    const finish = (end: WalkEnd) =>
      done.push({ region: start.region, table: start.table, vip, path: [...before, hop], end });
    if (before.includes(hop) || before.length >= MAX_HOPS) {
      finish({ kind: 'loop', table: at.table });
      continue;
    }
    const path = [...before, hop];
    const region = (world.regions[at.region] ?? {}) as Json;
    if (at.kind === 'vpc') {
      const table = get(get(region, 'routeTables'), at.table);
      const route = routesOf(table).find((r) => sameDestination(r.destination, vip));
      if (!table || !route) {
        finish({ kind: 'missing', table: at.table });
        continue;
      }
      if (route.filtered === true) {
        finish({ kind: 'blackhole', table: at.table, why: 'the VIP route is filtered' });
        continue;
      }
      const target = (route.target ?? {}) as Json;
      const id = String(target.id ?? target.kind);
      if (target.kind === 'networkInterface') {
        finish(atEni(region, String(table.vpcId), id, node));
        continue;
      }
      if (target.kind !== 'transitGateway') {
        finish({ kind: 'leaves', table: at.table, target: id });
        continue;
      }
      const tgw = get(get(region, 'transitGateways'), id);
      if (tgw?.state !== 'available') {
        finish({ kind: 'blackhole', table: at.table, why: `${id} is ${String(tgw?.state ?? 'absent')}` });
        continue;
      }
      // The packet enters the TGW through this VPC's attachment to it.
      const attachment = Object.values((get(region, 'tgwAttachments') ?? {}) as Record<string, Json>).find(
        (a) =>
          a.transitGatewayId === id &&
          a.resourceType === 'vpc' &&
          a.resourceId === table.vpcId &&
          a.state === 'available',
      );
      const next = attachment?.associatedRouteTableId;
      if (typeof next !== 'string') {
        finish({
          kind: 'blackhole',
          table: at.table,
          why: `${String(table.vpcId)} has no available attachment to ${id} associated with a route table`,
        });
        continue;
      }
      pending.push({ at: { region: at.region, table: next, kind: 'tgw' }, path });
      continue;
    }

    const table = get(get(region, 'tgwRouteTables'), at.table);
    // A route being deleted is on its way out of the table; a pending one does not forward yet.
    const route = routesOf(table).find(
      (r) => sameDestination(r.destination, vip) && get(r, 'phase')?.state !== 'deleting',
    );
    if (!table || !route) {
      finish({ kind: 'missing', table: at.table });
      continue;
    }
    if (get(route, 'phase')?.state === 'pending') {
      finish({ kind: 'blackhole', table: at.table, why: 'the VIP route is pending' });
      continue;
    }
    const attachmentId = route.attachmentId;
    const attachment =
      typeof attachmentId === 'string' ? get(get(region, 'tgwAttachments'), attachmentId) : undefined;
    if (attachment?.state !== 'available') {
      const why = attachment ? `${String(attachmentId)} is ${String(attachment.state)}` : 'no attachment';
      finish({ kind: 'blackhole', table: at.table, why });
      continue;
    }
    if (attachment.resourceType === 'vpc') {
      const vpcTables = tablesOfSubnets(region, String(attachment.resourceId), attachment.subnetIds);
      if (vpcTables.length === 0) {
        finish({ kind: 'blackhole', table: at.table, why: `no route table for ${String(attachmentId)}` });
        continue;
      }
      for (const next of vpcTables)
        pending.push({ at: { region: at.region, table: next, kind: 'vpc' }, path });
      continue;
    }
    // A peering: the same attachment ID on the other TGW, in the other region.
    const peering = get(attachment, 'peering');
    const sides = [get(peering, 'requester'), get(peering, 'accepter')];
    const other = sides.find((s) => s?.transitGatewayId !== attachment.transitGatewayId);
    const otherRegion = world.regions[String(other?.region)];
    const far = get(get(otherRegion, 'tgwAttachments'), String(attachmentId));
    if (!other || !far || far.state !== 'available' || typeof far.associatedRouteTableId !== 'string') {
      finish({
        kind: 'blackhole',
        table: at.table,
        why: `peering ${String(attachmentId)} has no available far side`,
      });
      continue;
    }
    pending.push({
      at: { region: String(other.region), table: far.associatedRouteTableId, kind: 'tgw' },
      path,
    });
  }
  return done;
}

/** The route tables of `vpcId` that serve `subnetIds`: each subnet's own, else the main table. */
function tablesOfSubnets(region: Json, vpcId: string, subnetIds: unknown): string[] {
  const tables = Object.values((get(region, 'routeTables') ?? {}) as Record<string, Json>).filter(
    (t) => t.vpcId === vpcId,
  );
  const associations = (t: Json) => (t.associations as Json[] | undefined) ?? [];
  const main = tables.find((t) => associations(t).some((a) => a.main === true));
  const found = new Set<string>();
  for (const subnet of (subnetIds as string[] | undefined) ?? []) {
    const own = tables.find((t) => associations(t).some((a) => a.subnetId === subnet)) ?? main;
    if (own) found.add(String(own.id));
  }
  return [...found].sort();
}

function atEni(region: Json, vpcId: string, eniId: string, node: { eni: string; instance: string }): WalkEnd {
  if (eniId !== node.eni) return { kind: 'wrong-node', eni: eniId };
  const eni = get(get(region, 'networkInterfaces'), eniId);
  if (!eni) return { kind: 'unhealthy', eni: eniId, why: 'no such ENI in the region' };
  if (eni.vpcId !== vpcId) return { kind: 'unhealthy', eni: eniId, why: `ENI is in ${String(eni.vpcId)}` };
  if (eni.status !== 'in-use') return { kind: 'unhealthy', eni: eniId, why: `ENI is ${String(eni.status)}` };
  if (eni.instanceId !== node.instance)
    return { kind: 'unhealthy', eni: eniId, why: `ENI is attached to ${String(eni.instanceId)}` };
  const instance = get(get(region, 'instances'), node.instance);
  if (instance?.state !== 'running')
    return { kind: 'unhealthy', eni: eniId, why: `instance is ${String(instance?.state ?? 'absent')}` };
  if (instance.sourceDestCheck !== false || eni.sourceDestCheck !== false)
    return { kind: 'unhealthy', eni: eniId, why: 'source/destination check is on' };
  return { kind: 'arrives', eni: eniId };
}

/** One line per walk that does not arrive: what a failed assertion should print. */
export function problemsOf(walks: readonly Walk[]): string[] {
  return walks
    .filter((w) => w.end.kind !== 'arrives')
    .map((w) => `${w.vip} from ${w.region}/${w.table}: ${JSON.stringify(w.end)} via ${w.path.join(' -> ')}`);
}

/** Problems of `world` for `node` active: an empty list when every VIP reaches it from every listed table. */
export function unreachedFrom(
  world: RawWorld,
  topology: WalkTopology,
  node: string,
  options: { regions?: readonly string[] } = {},
): string[] {
  return problemsOf(walkAll(world, topology, node, options));
}

// --- non-VIP routes -----------------------------------------------------------------------------------

/** Every route of every VPC and TGW table whose destination is not a VIP, as sorted JSON lines. */
function nonVipLines(world: RawWorld, vips: readonly string[]): string[] {
  const lines: string[] = [];
  for (const [name, region] of Object.entries(world.regions)) {
    for (const key of ['routeTables', 'tgwRouteTables']) {
      for (const [id, table] of Object.entries((get(region, key) ?? {}) as Record<string, Json>)) {
        for (const route of routesOf(table)) {
          if (vips.some((vip) => sameDestination(route.destination, vip))) continue;
          lines.push(`${name} ${id} ${JSON.stringify(route)}`);
        }
      }
    }
  }
  return lines.sort();
}

/** Non-VIP routes that differ between two worlds: `-` gone or changed before, `+` new or changed after. */
export function nonVipChanges(before: RawWorld, after: RawWorld, vips: readonly string[]): string[] {
  const was = nonVipLines(before, vips);
  const is = nonVipLines(after, vips);
  const isSet = new Set(is);
  const wasSet = new Set(was);
  return [
    ...was.filter((l) => !isSet.has(l)).map((l) => `- ${l}`),
    ...is.filter((l) => !wasSet.has(l)).map((l) => `+ ${l}`),
  ];
}

// --- accounts -----------------------------------------------------------------------------------------

/** One route of an account's own state, as `GET /_local/accounts/routes` lists it. */
export interface AccountRoute {
  readonly region: string;
  readonly table: string;
  readonly destination: string;
  readonly target: string | null;
}

/** Each account's own routes (the tables it owns), by account ID, read from local AWS. */
export async function fetchAccountRoutes(url: string): Promise<Record<string, AccountRoute[]>> {
  const response = await fetch(`${url}/_local/accounts/routes`);
  if (!response.ok) throw new Error(`GET ${url}/_local/accounts/routes answered ${response.status}`);
  return (await response.json()) as Record<string, AccountRoute[]>;
}

/** Table -> owner account ID, from a topology file read with `yaml` alone (no account key: the home account). */
export function readOwnersFile(path: string): Record<string, string> {
  const doc = parse(readFileSync(path, 'utf8')) as Json;
  const accounts = (doc.accounts ?? {}) as Record<string, Json>;
  const home = String(doc.account);
  const owners: Record<string, string> = {};
  const sections = [doc.vpcs, doc.transitGateways] as (Record<string, Json> | undefined)[];
  for (const section of sections)
    for (const item of Object.values(section ?? {})) {
      const key = item.account === undefined ? undefined : String(item.account);
      const owner = key === undefined ? home : String(accounts[key]?.id);
      for (const table of item.routeTables as string[]) owners[table] = owner;
    }
  return owners;
}

/**
 * Where each account's own state disagrees with the topology's owners: a listed table that is not in its
 * owner's state, or a VIP route that shows in the state of an account that does not own the table.
 */
export function misplacedRoutes(
  perAccount: Record<string, readonly AccountRoute[]>,
  owners: Record<string, string>,
  vips: readonly string[],
): string[] {
  const problems: string[] = [];
  for (const [account, routes] of Object.entries(perAccount))
    for (const route of routes)
      if (
        vips.includes(route.destination) &&
        owners[route.table] !== undefined &&
        owners[route.table] !== account
      )
        problems.push(
          `${route.table} ${route.destination} is in account ${account}'s state, owner ${owners[route.table]}`,
        );
  for (const [table, owner] of Object.entries(owners)) {
    const own = perAccount[owner] ?? [];
    for (const vip of vips)
      if (!own.some((r) => r.table === table && r.destination === vip))
        problems.push(`${table} has no ${vip} route in its owner ${owner}'s state`);
  }
  return problems;
}
