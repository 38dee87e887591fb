/**
 * What holds between the fields of a topology: references resolve, names and IDs are unique, regions,
 * CIDRs and accounts agree, and the peering graph joins every TGW. Also run on the valid parts of a
 * file that failed the schema, so every problem is reported at once.
 */
import { z } from 'zod';
import type { TopologyProblem } from '../errors';
import { type Cidr, familyOf, overlaps, parseCidr } from '../ip-cidr';
import { partitionOf } from '../partition';
import {
  Account,
  AccountId,
  accountOfRole,
  Name,
  Node,
  Peering,
  type Topology,
  TransitGateway,
  Vip,
  Vpc,
} from './schema';

export interface PathProblem {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

/**
 * The parts of a topology that passed the schema, with their original keys and indexes, plus the names
 * that exist in the file at all (valid or not), so a reference to an entry with its own schema problem
 * is not reported a second time as dangling.
 */
interface Checkable {
  /** The home account's ID, when the file gives one. */
  readonly home: string | undefined;
  readonly accounts: readonly (readonly [string, Account])[];
  readonly vips: readonly (readonly [number, string])[];
  readonly nodes: readonly (readonly [string, Node])[];
  readonly vpcs: readonly (readonly [string, Vpc])[];
  readonly transitGateways: readonly (readonly [string, TransitGateway])[];
  readonly peerings: readonly (readonly [number, Peering])[];
  readonly names: {
    /** How many nodes the file lists; undefined when `nodes` is not a mapping (the schema says so). */
    readonly nodes: number | undefined;
    readonly vpcs: Set<string>;
    readonly transitGateways: Set<string>;
    readonly accounts: Set<string>;
  };
  /** False when some TGW or peering failed the schema: the peering graph cannot be judged then. */
  readonly graphComplete: boolean;
}

export function fromTopology(t: Topology): Checkable {
  return {
    home: t.account,
    accounts: Object.entries(t.accounts ?? {}),
    vips: t.vips.map((v, i) => [i, v] as const),
    nodes: Object.entries(t.nodes),
    vpcs: Object.entries(t.vpcs),
    transitGateways: Object.entries(t.transitGateways),
    peerings: t.peerings.map((p, i) => [i, p] as const),
    names: {
      nodes: Object.keys(t.nodes).length,
      vpcs: new Set(Object.keys(t.vpcs)),
      transitGateways: new Set(Object.keys(t.transitGateways)),
      accounts: new Set(Object.keys(t.accounts ?? {})),
    },
    graphComplete: true,
  };
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The valid parts of a document that failed the schema, so cross-checks still report their problems. */
export function salvage(data: unknown): Checkable {
  const root = isRecord(data) ? data : {};
  const entries = (section: unknown) => (isRecord(section) ? Object.entries(section) : []);
  const valid = <T>(section: unknown, schema: z.ZodType<T>) =>
    entries(section).flatMap(([key, value]) => {
      const parsed = schema.safeParse(value);
      return Name.safeParse(key).success && parsed.success ? [[key, parsed.data] as const] : [];
    });
  const items = <T>(section: unknown, schema: z.ZodType<T>) =>
    (Array.isArray(section) ? section : []).flatMap((value, i) => {
      const parsed = schema.safeParse(value);
      return parsed.success ? [[i, parsed.data] as const] : [];
    });
  // Unknown fields are reported by the schema already; ignore them here so the rest is still checked.
  const transitGateways = valid(root.transitGateways, z.object(TransitGateway.shape));
  const peerings = items(root.peerings ?? [], z.object(Peering.shape));
  return {
    home: AccountId.safeParse(root.account).data,
    accounts: valid(root.accounts, z.object(Account.shape)),
    vips: items(root.vips, Vip),
    nodes: valid(root.nodes, z.object(Node.shape)),
    vpcs: valid(root.vpcs, z.object(Vpc.shape)),
    transitGateways,
    peerings,
    names: {
      nodes: isRecord(root.nodes) ? entries(root.nodes).length : undefined,
      vpcs: new Set(entries(root.vpcs).map(([key]) => key)),
      transitGateways: new Set(entries(root.transitGateways).map(([key]) => key)),
      accounts: new Set(entries(root.accounts).map(([key]) => key)),
    },
    graphComplete:
      isRecord(root.transitGateways) &&
      transitGateways.length === Object.keys(root.transitGateways).length &&
      (root.peerings === undefined ||
        (Array.isArray(root.peerings) && peerings.length === (root.peerings as unknown[]).length)),
  };
}

const listOf = (names: Iterable<string>) => [...names].join(', ') || 'none';

export function crossCheck(t: Checkable): PathProblem[] {
  const problems: PathProblem[] = [];
  const add = (path: PropertyKey[], message: string) => problems.push({ path, message });
  const vpcs = new Map(t.vpcs);
  const tgws = new Map(t.transitGateways);

  if (t.names.nodes === 0)
    add(
      ['nodes'],
      'no nodes: list the cluster nodes, e.g. server-a: { vpc: vpc-a, eni: eni-…, instance: i-… }',
    );

  // Every AWS ID names one thing: a repeated ID is a copy-paste slip that would make two routes collide.
  const seen = new Map<string, PropertyKey[]>();
  const claim = (value: string, path: PropertyKey[]) => {
    const first = seen.get(value);
    if (first) add(path, `${value} is already used at ${first.join('.')}; every AWS ID may appear only once`);
    else seen.set(value, path);
  };
  for (const [name, node] of t.nodes) {
    claim(node.eni, ['nodes', name, 'eni']);
    claim(node.instance, ['nodes', name, 'instance']);
  }
  for (const [name, vpc] of t.vpcs) {
    claim(vpc.id, ['vpcs', name, 'id']);
    claim(vpc.attachment, ['vpcs', name, 'attachment']);
    for (const [i, table] of vpc.routeTables.entries()) claim(table, ['vpcs', name, 'routeTables', i]);
  }
  for (const [name, tgw] of t.transitGateways) {
    claim(tgw.id, ['transitGateways', name, 'id']);
    for (const [i, table] of tgw.routeTables.entries())
      claim(table, ['transitGateways', name, 'routeTables', i]);
  }
  for (const [i, peering] of t.peerings) claim(peering.attachment, ['peerings', i, 'attachment']);
  for (const [key, account] of t.accounts) claim(account.id, ['accounts', key, 'id']);

  checkAccounts(t, add);

  // One account lives in one partition, and TGW peering stays inside it: a topology that mixes, say,
  // cn-north-1 with us-east-1 cannot be one cluster.
  // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html
  const regions: [PropertyKey[], string][] = [
    ...t.vpcs.map(([name, vpc]): [PropertyKey[], string] => [['vpcs', name, 'region'], vpc.region]),
    ...t.transitGateways.map(([name, tgw]): [PropertyKey[], string] => [
      ['transitGateways', name, 'region'],
      tgw.region,
    ]),
  ];
  const firstRegion = regions[0];
  for (const [path, region] of regions) {
    if (firstRegion && partitionOf(region) !== partitionOf(firstRegion[1]))
      add(
        path,
        `${region} is in partition ${partitionOf(region)}, but ${firstRegion[0].join('.')} (${firstRegion[1]}) is in ${partitionOf(firstRegion[1])}; all regions of a cluster must be in one partition`,
      );
  }

  for (const [name, node] of t.nodes) {
    if (!t.names.vpcs.has(node.vpc))
      add(
        ['nodes', name, 'vpc'],
        `VPC "${node.vpc}" is not defined under vpcs (defined: ${listOf(vpcs.keys())})`,
      );
  }

  for (const [name, vpc] of t.vpcs) {
    const tgw = tgws.get(vpc.transitGateway);
    if (!t.names.transitGateways.has(vpc.transitGateway))
      add(
        ['vpcs', name, 'transitGateway'],
        `transit gateway "${vpc.transitGateway}" is not defined under transitGateways (defined: ${listOf(tgws.keys())})`,
      );
    else if (tgw && tgw.region !== vpc.region)
      add(
        ['vpcs', name, 'region'],
        `VPC ${name} is in ${vpc.region} but its transit gateway ${vpc.transitGateway} is in ${tgw.region}; ` +
          'a VPC attaches to a transit gateway in its own region: fix the region or the transitGateway',
      );
    const cidr = ipv4(vpc.cidr);
    if (cidr.prefix < 16 || cidr.prefix > 28)
      add(['vpcs', name, 'cidr'], `a VPC CIDR is /16 to /28 in AWS; ${vpc.cidr} is not`);
    else if (cidr.hostBits)
      add(
        ['vpcs', name, 'cidr'],
        `${vpc.cidr} has host bits set; did you mean ${cidr.network}/${cidr.prefix}?`,
      );
    const v6 = vpc.ipv6Cidr === undefined ? undefined : parseCidr(vpc.ipv6Cidr);
    if (v6?.hostBits)
      add(
        ['vpcs', name, 'ipv6Cidr'],
        `${vpc.ipv6Cidr} has host bits set; did you mean ${v6.network}/${v6.prefix}?`,
      );
  }

  t.vpcs.forEach(([name, vpc], i) => {
    for (const [other, earlier] of t.vpcs.slice(0, i)) {
      if (overlaps(ipv4(vpc.cidr), ipv4(earlier.cidr)))
        add(
          ['vpcs', name, 'cidr'],
          `${vpc.cidr} overlaps ${earlier.cidr} of VPC ${other}; VPCs joined by transit gateways need distinct CIDRs`,
        );
      const mine = vpc.ipv6Cidr === undefined ? undefined : parseCidr(vpc.ipv6Cidr);
      const theirs = earlier.ipv6Cidr === undefined ? undefined : parseCidr(earlier.ipv6Cidr);
      if (mine && theirs && overlaps(mine, theirs))
        add(
          ['vpcs', name, 'ipv6Cidr'],
          `${vpc.ipv6Cidr} overlaps ${earlier.ipv6Cidr} of VPC ${other}; VPCs joined by transit gateways need distinct CIDRs`,
        );
    }
  });

  const firstVip = new Map<string, number>();
  for (const [i, vip] of t.vips) {
    const first = firstVip.get(vip);
    if (first !== undefined)
      add(['vips', i], `${vip} is listed twice (also vips.${first}); list each VIP once`);
    else firstVip.set(vip, i);
    const address = parseCidr(vip);
    for (const [name, vpc] of t.vpcs) {
      // Each family against the VPC CIDR of that family: an IPv6 VIP may share no VPC's ipv6Cidr.
      const own = familyOf(vip) === 6 ? vpc.ipv6Cidr : vpc.cidr;
      const range = own === undefined ? undefined : parseCidr(own);
      if (address && range && overlaps(address, range))
        add(
          ['vips', i],
          `${vip} lies inside ${own} of VPC ${name}; a VIP must be outside every VPC CIDR, ` +
            'or the VPC local route would carry it: pick an address from an unused range such as ' +
            (familyOf(vip) === 6 ? 'fd00::/8 (unique local)' : '172.16.0.0/12'),
        );
    }
  }

  for (const [i, peering] of t.peerings) {
    peering.between.forEach((side, j) => {
      if (!t.names.transitGateways.has(side))
        add(
          ['peerings', i, 'between', j],
          `transit gateway "${side}" is not defined under transitGateways (defined: ${listOf(tgws.keys())})`,
        );
    });
    if (peering.between[0] === peering.between[1])
      add(
        ['peerings', i, 'between'],
        `peers ${peering.between[0]} with itself; a peering joins two different transit gateways`,
      );
  }

  if (t.graphComplete) {
    const [first] = tgws.keys();
    const reached = first === undefined ? new Set<string>() : connected(first, t.peerings);
    for (const name of tgws.keys()) {
      if (!reached.has(name))
        add(
          ['transitGateways', name],
          `${name} has no peering path to ${first}; add a peering under peerings that connects it, or remove it`,
        );
    }
  }
  return problems;
}

/**
 * The accounts map and the `account:` keys: every key is defined, each access role lives in its own
 * account, and the nodes are in the home account (where the state machines and the task function run).
 */
function checkAccounts(t: Checkable, add: (path: PropertyKey[], message: string) => void): void {
  const accounts = new Map(t.accounts);
  for (const [key, account] of t.accounts) {
    const owner = accountOfRole(account.role);
    if (owner !== undefined && owner !== account.id)
      add(
        ['accounts', key, 'role'],
        `the role is in account ${owner}, but accounts.${key}.id is ${account.id}; ` +
          `the access role must live in the account it opens: fix the id or the role ARN`,
      );
    if (t.home !== undefined && account.id === t.home)
      add(
        ['accounts', key, 'id'],
        `${account.id} is the home account (account:), which needs no role; remove ${key} from accounts ` +
          `and its account: keys (VPCs and TGWs without account: belong to the home account)`,
      );
  }
  const owned: [PropertyKey[], string | undefined][] = [
    ...t.vpcs.map(([name, vpc]): [PropertyKey[], string | undefined] => [
      ['vpcs', name, 'account'],
      vpc.account,
    ]),
    ...t.transitGateways.map(([name, tgw]): [PropertyKey[], string | undefined] => [
      ['transitGateways', name, 'account'],
      tgw.account,
    ]),
  ];
  for (const [path, key] of owned) {
    if (key !== undefined && !t.names.accounts.has(key))
      add(
        path,
        `account "${key}" is not defined under accounts (defined: ${listOf(accounts.keys())}); ` +
          'add it there with its id and role, or drop account: for the home account',
      );
  }
  const vpcs = new Map(t.vpcs);
  for (const [name, node] of t.nodes) {
    const key = vpcs.get(node.vpc)?.account;
    if (key === undefined) continue;
    const id = accounts.get(key)?.id;
    add(
      ['nodes', name, 'vpc'],
      `${name} is in VPC ${node.vpc} of account ${key}${id ? ` (${id})` : ''}, but nodes must be in the home ` +
        'account, where the state machines and the task function run: make that account the home one ' +
        `(account:${id ? ` "${id}"` : ''}) and list the others under accounts`,
    );
  }
}

/** Transit gateways reachable from `start` over the peerings. */
function connected(start: string, peerings: Checkable['peerings']): Set<string> {
  const reached = new Set([start]);
  const queue = [start];
  for (let tgw = queue.shift(); tgw !== undefined; tgw = queue.shift()) {
    for (const [, { between }] of peerings) {
      const other = between[0] === tgw ? between[1] : between[1] === tgw ? between[0] : undefined;
      if (other !== undefined && !reached.has(other)) {
        reached.add(other);
        queue.push(other);
      }
    }
  }
  return reached;
}

/** An IPv4 CIDR the schema accepted (the regex guarantees that it parses). */
function ipv4(cidr: string): Cidr {
  const parsed = parseCidr(cidr);
  if (!parsed) throw new Error(`not a CIDR: ${cidr}`);
  return parsed;
}

/** Semantic checks of an already parsed topology: references, duplicates, regions, CIDRs, peering graph. */
export function validateTopology(topology: Topology): TopologyProblem[] {
  return crossCheck(fromTopology(topology)).map((p) => ({ path: p.path.join('.'), message: p.message }));
}
