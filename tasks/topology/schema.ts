/**
 * The topology file (`cluster.yaml`): the single description of a cluster's routing.
 * Schema (zod) + YAML loader + cross-reference validation. Pure apart from `loadTopology`, which reads
 * the file: no AWS, no clock, no env. See DESIGN section 3.
 */
import { readFile, stat } from 'node:fs/promises';
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import { z } from 'zod';
import { TopologyError, type TopologyProblem } from '../errors';
import { type Cidr, canonicalCidr, familyOf, overlaps, parseCidr } from '../ip-cidr';
import { partitionOf } from '../partition';

/** User-chosen key for a node, VPC or TGW; also used inside execution names. */
export const Name = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,47}$/, 'must be 1-48 letters, digits, - or _');

/** AWS ID prefixes, longest first so that `tgw-rtb-…` is not taken for `tgw-…`. */
const ID_KINDS: readonly (readonly [prefix: string, kind: string])[] = [
  ['tgw-attach', 'a transit gateway attachment'],
  ['tgw-rtb', 'a transit gateway route table'],
  ['tgw', 'a transit gateway'],
  ['rtb', 'a VPC route table'],
  ['vpc', 'a VPC'],
  ['eni', 'a network interface'],
  ['igw', 'an internet gateway'],
  ['pcx', 'a VPC peering connection'],
  ['subnet', 'a subnet'],
  ['i', 'an instance'],
];

/** What kind of AWS ID `value` looks like, e.g. `a VPC route table`; undefined when it looks like none. */
function kindOfId(value: string): string | undefined {
  return ID_KINDS.find(([prefix]) => new RegExp(`^${prefix}-[0-9a-f]+$`).test(value))?.[1];
}

const id = (prefix: string, kind: string) => {
  const example = `${prefix}-0123456789abcdef0`;
  return z.string().regex(new RegExp(`^${prefix}-[0-9a-f]{8,17}$`), {
    error: (issue) => {
      const given = typeof issue.input === 'string' ? kindOfId(issue.input) : undefined;
      // Naming the kind that was given catches the classic mix-up of rtb- and tgw-rtb- IDs.
      return given && given !== kind
        ? `${String(issue.input)} is ${given} ID, but ${kind} ID is due here, like ${example}`
        : `must be ${kind} ID like ${example} (8 or 17 lowercase hex digits)`;
    },
  });
};

export const VpcId = id('vpc', 'a VPC');
export const EniId = id('eni', 'a network interface');
export const InstanceId = id('i', 'an instance');
export const RouteTableId = id('rtb', 'a VPC route table');
export const TgwId = id('tgw', 'a transit gateway');
export const TgwRouteTableId = id('tgw-rtb', 'a transit gateway route table');
export const TgwAttachmentId = id('tgw-attach', 'a transit gateway attachment');

/**
 * AWS commercial, GovCloud and China region names, e.g. `us-east-1`, `ap-southeast-1`. A pattern, not
 * a list, so that a region AWS opens later is accepted; typos such as `us-esat-1` are still refused.
 */
export const Region = z
  .string()
  .regex(
    /^(us|eu|ap|sa|ca|me|af|il|mx|cn|us-gov)-(north|south|east|west|central|northeast|southeast|northwest|southwest)-[1-9]$/,
    'must be an AWS region name like us-east-1',
  );

const CIDR = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}\/(3[0-2]|[12]?\d)$/;

export const Ipv4Cidr = z.string().regex(CIDR, 'must be an IPv4 CIDR like 10.0.0.0/16');

/**
 * A VPC's IPv6 CIDR, e.g. `2600:1f18:abcd:1200::/56`. An Amazon-provided one is a /56
 * (CreateVpc, AmazonProvidedIpv6CidrBlock: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateVpc.html);
 * IPAM and BYOIP blocks have other sizes, so the length is not restricted here.
 */
export const Ipv6Cidr = z.string().refine((value) => value.includes(':') && parseCidr(value)?.family === 6, {
  message: 'must be an IPv6 CIDR like 2600:1f18:abcd:1200::/56',
});

/**
 * A VIP: an IPv4 /32 or an IPv6 /128, written in its canonical form (RFC 5952: lower case, zeros
 * compressed), so that the topology's spelling is the one compared with routes everywhere.
 */
export const Vip = z.string().superRefine((value, ctx) => {
  if (value.includes(':')) {
    const cidr = parseCidr(value);
    if (cidr?.family !== 6)
      ctx.addIssue({
        code: 'custom',
        message: 'an IPv6 VIP must be an IPv6 /128 like fd00:172:16::1/128',
      });
    else if (cidr.prefix !== 128)
      ctx.addIssue({
        code: 'custom',
        message: `an IPv6 VIP must be a /128 (one address), e.g. ${value.split('/')[0]}/128`,
      });
    else if (canonicalCidr(value) !== value)
      ctx.addIssue({
        code: 'custom',
        message: `write the IPv6 VIP in its canonical form ${canonicalCidr(value)} (lower case, zeros compressed), as AWS reports it`,
      });
    return;
  }
  if (!CIDR.test(value))
    ctx.addIssue({
      code: 'custom',
      message: 'a VIP must be an IPv4 /32 like 172.16.0.1/32 or an IPv6 /128 like fd00:172:16::1/128',
    });
  else if (!value.endsWith('/32'))
    ctx.addIssue({ code: 'custom', message: `a VIP must be a /32, e.g. ${value.split('/')[0]}/32` });
});

export const Node = z.strictObject({ vpc: Name, eni: EniId, instance: InstanceId });
export type Node = z.infer<typeof Node>;

export const Vpc = z.strictObject({
  id: VpcId,
  /** The key of the owning account under `accounts`; absent for the home account. */
  account: Name.optional(),
  region: Region,
  cidr: Ipv4Cidr,
  /** The VPC's IPv6 CIDR, when it has one: IPv6 VIPs must lie outside it. */
  ipv6Cidr: Ipv6Cidr.optional(),
  transitGateway: Name,
  attachment: TgwAttachmentId,
  routeTables: z
    .array(RouteTableId)
    .min(1, 'a VPC needs at least one route table: list the rtb- IDs of its subnets'),
});
export type Vpc = z.infer<typeof Vpc>;

export const TransitGateway = z.strictObject({
  id: TgwId,
  /** The key of the owning account under `accounts` (a RAM-shared TGW's owner); absent for the home account. */
  account: Name.optional(),
  region: Region,
  routeTables: z.array(TgwRouteTableId).min(1, 'a transit gateway needs at least one route table'),
});
export type TransitGateway = z.infer<typeof TransitGateway>;

export const Peering = z.strictObject({
  between: z.tuple([Name, Name], {
    error: 'between must name exactly two transit gateways, e.g. [tgw-a, tgw-b]',
  }),
  attachment: TgwAttachmentId,
});
export type Peering = z.infer<typeof Peering>;

/**
 * Scheduled drills and alarms (DESIGN section 9): every node is drilled `every` minutes (`30m`) or
 * hours (`1h`), and failures notify one SNS topic, with an email subscription when `notify` is given.
 */
export const Readiness = z.strictObject({
  every: z
    .string()
    .regex(/^[1-9]\d{0,3}[mh]$/, 'must be minutes or hours, e.g. 30m or 1h')
    .refine((v) => (v.endsWith('h') ? Number.parseInt(v, 10) * 60 : Number.parseInt(v, 10)) >= 5, {
      message: 'must be at least 5m: each drill costs a run of the state machine',
    })
    .default('30m'),
  notify: z.email('must be an email address, e.g. ops@example.com').optional(),
});
export type Readiness = z.infer<typeof Readiness>;

/** `30m` -> 30, `1h` -> 60. */
export const readinessMinutes = (every: string): number =>
  every.endsWith('h') ? Number.parseInt(every, 10) * 60 : Number.parseInt(every, 10);

const ACCOUNT_ID_MESSAGE = 'must be a 12-digit AWS account ID in quotes, e.g. "123456789012"';
export const AccountId = z
  .string({ error: ACCOUNT_ID_MESSAGE })
  .regex(/^\d{12}$/, 'must be a 12-digit AWS account ID (quote it in YAML)');

/**
 * An IAM role ARN: `arn:<partition>:iam::<account>:role/<path/><name>`. The name is 1-64 of
 * `[\w+=,.@-]`, the path `/` or `/…/` of ASCII `!` to `~` (CreateRole's RoleName and Path):
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html and
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-arns
 */
export const ROLE_ARN = /^arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}):role\/(?:[!-~]*\/)?[\w+=,.@-]{1,64}$/;

/** The account ID inside a role ARN, or undefined when it is no role ARN. */
export const accountOfRole = (arn: string): string | undefined => ROLE_ARN.exec(arn)?.[2];

/**
 * Another account that owns tables of this topology, and the role the task function assumes to write
 * them. ExternalId is 2-1224 of `[\w+=,.@:/-]` (AssumeRole's ExternalId):
 * https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html
 */
export const Account = z.strictObject({
  id: AccountId,
  role: z
    .string()
    .regex(
      ROLE_ARN,
      'must be an IAM role ARN like arn:aws:iam::222222222222:role/vip-failover-orders-db (the access role the VipFailoverAccess stack creates in that account)',
    ),
  externalId: z
    .string()
    .regex(
      /^[\w+=,.@:/-]{2,1224}$/,
      'must be 2-1224 letters, digits or _+=,.@:/- (what AssumeRole accepts as ExternalId)',
    )
    .optional(),
});
export type Account = z.infer<typeof Account>;

export const Topology = z.strictObject({
  cluster: z.string().regex(/^[a-z0-9-]{1,32}$/, 'must be 1-32 lowercase letters, digits or -'),
  account: AccountId.optional(),
  /** Other accounts that own VPCs or TGWs of this topology, by key (DESIGN section 3). */
  accounts: z.record(Name, Account).optional(),
  vips: z.array(Vip).min(1, 'list at least one VIP'),
  nodes: z.record(
    Name.refine(
      (name) => !name.startsWith('drill-'),
      'must not start with drill- (drill executions are named drill-<node>-…; rename the node)',
    ),
    Node,
  ),
  vpcs: z.record(Name, Vpc),
  transitGateways: z.record(Name, TransitGateway),
  peerings: z.array(Peering).default([]),
  readiness: Readiness.optional(),
});
export type Topology = z.infer<typeof Topology>;

/** Largest topology file accepted; real ones are a few KiB. */
export const MAX_TOPOLOGY_BYTES = 1024 * 1024;
/** Deepest nesting accepted; a topology needs 4. Deeper input is refused before the YAML parser sees it. */
const MAX_DEPTH = 32;
/** Alias expansions accepted; this bounds "billion laughs" anchor bombs. */
const MAX_ALIAS_COUNT = 64;

const FIELDS: Record<string, readonly string[]> = {
  topology: Object.keys(Topology.shape),
  node: Object.keys(Node.shape),
  vpc: Object.keys(Vpc.shape),
  transitGateway: Object.keys(TransitGateway.shape),
  peering: Object.keys(Peering.shape),
  account: Object.keys(Account.shape),
};

/**
 * Parses and validates a topology file. Throws `TopologyError` listing every problem found, each with
 * its dotted path and line.
 */
export function parseTopology(text: string, source = 'cluster.yaml'): Topology {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_TOPOLOGY_BYTES)
    throw new TopologyError(source, [
      { path: '', message: `the file is ${bytes} bytes; a topology file may be at most 1 MiB` },
    ]);
  const deep = tooDeep(text);
  if (deep) throw new TopologyError(source, [deep]);

  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const lineAt = (offset: number) => lineCounter.linePos(offset).line;
  if (doc.errors.length > 0) {
    const keyPaths = keyPathsOf(doc.contents);
    throw new TopologyError(
      source,
      doc.errors.map((error) => {
        const offset = error.pos[0];
        if (error.code === 'DUPLICATE_KEY')
          return {
            path: keyPaths.get(offset) ?? '',
            line: lineAt(offset),
            message: 'this key appears twice in the same mapping; keep one of them or rename it',
          };
        return { path: '', line: lineAt(offset), message: `malformed YAML: ${error.message.split('\n')[0]}` };
      }),
    );
  }
  if (!isMap(doc.contents))
    throw new TopologyError(source, [
      {
        path: '',
        message: 'the file must be a YAML mapping with cluster, vips, nodes, vpcs and transitGateways',
      },
    ]);

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    throw new TopologyError(source, [
      { path: '', message: `refused: ${(error as Error).message}; write the values out instead of aliases` },
    ]);
  }

  const lineOf = (path: readonly PropertyKey[]) => {
    const offset = offsetOf(doc.contents as YamlNode, path);
    return offset === undefined ? undefined : lineAt(offset);
  };
  const withLine = (problem: { path: readonly PropertyKey[]; message: string }): TopologyProblem => {
    const line = lineOf(problem.path);
    return { path: problem.path.join('.'), message: problem.message, ...(line ? { line } : {}) };
  };

  const parsed = Topology.safeParse(data);
  const schemaProblems = parsed.success
    ? []
    : parsed.error.issues.flatMap((issue) => describeIssue(issue, data));
  const crossProblems = crossCheck(parsed.success ? fromTopology(parsed.data) : salvage(data));
  const problems = [...schemaProblems, ...crossProblems]
    .map(withLine)
    .sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  if (problems.length > 0 || !parsed.success) throw new TopologyError(source, problems);
  return parsed.data;
}

/** Reads and parses a topology file. Throws `TopologyError` with a hint when the file is missing. */
export async function loadTopology(path: string): Promise<Topology> {
  try {
    // Check the size before reading, so a huge file is never loaded into memory.
    const { size } = await stat(path);
    if (size > MAX_TOPOLOGY_BYTES)
      throw new TopologyError(path, [
        { path: '', message: `the file is ${size} bytes; a topology file may be at most 1 MiB` },
      ]);
    return parseTopology(await readFile(path, 'utf8'), path);
  } catch (error) {
    if (error instanceof TopologyError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const message =
      code === 'ENOENT'
        ? 'no such file; pass --config <file> or create cluster.yaml (see examples/two-region.yaml, or run vipctl discover)'
        : `cannot read the file (${code ?? (error as Error).message})`;
    throw new TopologyError(path, [{ path: '', message }]);
  }
}

/** Semantic checks of an already parsed topology: references, duplicates, regions, CIDRs, peering graph. */
export function validateTopology(topology: Topology): TopologyProblem[] {
  return crossCheck(fromTopology(topology)).map((p) => ({ path: p.path.join('.'), message: p.message }));
}

interface PathProblem {
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

function fromTopology(t: Topology): Checkable {
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
function salvage(data: unknown): Checkable {
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

function crossCheck(t: Checkable): PathProblem[] {
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

/** Turns one zod issue into problems with friendly messages (one per unknown key). */
function describeIssue(issue: z.core.$ZodIssue, data: unknown): PathProblem[] {
  const path = issue.path;
  const field = String(path.at(-1) ?? '');
  switch (issue.code) {
    case 'unrecognized_keys': {
      const allowed = FIELDS[kindAt(path)] ?? [];
      return issue.keys.map((key) => {
        const near = allowed.find((a) => editDistance(a.toLowerCase(), key.toLowerCase()) <= 2);
        return {
          path: [...path, key],
          message: `unknown field "${key}"; ${near ? `did you mean "${near}"?` : `allowed fields: ${allowed.join(', ')}`}`,
        };
      });
    }
    case 'invalid_key':
      if (String(field).startsWith('drill-')) {
        return [
          {
            path,
            message: `"${field}" must not start with drill- (drill executions are named drill-<node>-…; rename the node)`,
          },
        ];
      }
      return [{ path, message: `"${field}" is not a valid name: must be 1-48 letters, digits, - or _` }];
    case 'invalid_type': {
      const value = valueAt(data, path);
      if (value === undefined) return [{ path, message: `missing required field "${field}"; add it` }];
      // Custom messages (such as the account's) already say what to do.
      if (!issue.message.startsWith('Invalid input')) return [{ path, message: issue.message }];
      return [{ path, message: `expected ${describeExpected(issue.expected)}, got ${describeValue(value)}` }];
    }
    default:
      return [{ path, message: issue.message }];
  }
}

/** The kind of object at `path` (for the list of allowed fields). */
function kindAt(path: readonly PropertyKey[]): string {
  if (path.length === 0) return 'topology';
  const section = {
    nodes: 'node',
    vpcs: 'vpc',
    transitGateways: 'transitGateway',
    peerings: 'peering',
    accounts: 'account',
  };
  return path.length === 2 ? (section[String(path[0]) as keyof typeof section] ?? '') : '';
}

function describeExpected(expected: string): string {
  const names: Record<string, string> = {
    object: 'a mapping',
    record: 'a mapping',
    array: 'a list',
    tuple: 'a list',
    string: 'a string',
  };
  return names[expected] ?? expected;
}

function describeValue(value: unknown): string {
  if (value === null) return 'nothing (null)';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `${typeof value} ${JSON.stringify(value)}`;
}

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let value = data;
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        (previous[j] ?? 0) + 1,
        (current[j - 1] ?? 0) + 1,
        (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** Source offset of the deepest node on `path` that exists (a key's own offset for mapping entries). */
function offsetOf(root: YamlNode | null, path: readonly PropertyKey[]): number | undefined {
  let node: unknown = root;
  let offset = isMap(root) || isSeq(root) ? undefined : root?.range?.[0];
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
      if (!pair) break;
      offset = (isScalar(pair.key) ? pair.key.range?.[0] : undefined) ?? offset;
      node = pair.value;
    } else if (isSeq(node)) {
      const item = node.items[Number(segment)];
      if (!item) break;
      offset = (item as YamlNode).range?.[0] ?? offset;
      node = item;
    } else break;
    if (isAlias(node)) break;
  }
  return offset;
}

/** Dotted paths of every mapping key by source offset, so a parser error on a key can name it. */
function keyPathsOf(root: unknown): Map<number, string> {
  const paths = new Map<number, string>();
  const stack: { node: unknown; path: string[] }[] = [{ node: root, path: [] }];
  for (let entry = stack.pop(); entry; entry = stack.pop()) {
    const { node, path } = entry;
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isScalar(pair.key)) continue;
        const keyPath = [...path, String(pair.key.value)];
        const offset = pair.key.range?.[0];
        if (offset !== undefined) paths.set(offset, keyPath.join('.'));
        stack.push({ node: pair.value, path: keyPath });
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        stack.push({ node: item, path: [...path, String(i)] });
      });
    }
  }
  return paths;
}

/**
 * Estimates the nesting depth line by line (indentation levels, `- ` indicators, open flow brackets)
 * in linear time, so deeply nested input is refused before the recursive YAML composer runs.
 */
function tooDeep(text: string): TopologyProblem | undefined {
  const indents: number[] = [];
  let flow = 0;
  const lines = text.split('\n');
  for (const [index, line] of lines.entries()) {
    const content = line.trimStart();
    if (content === '' || content.startsWith('#')) continue;
    const indent = line.length - content.length;
    if (flow === 0) {
      while (indents.length > 0 && (indents.at(-1) ?? 0) >= indent) indents.pop();
      indents.push(indent);
    }
    let dashes = 0;
    while (content.startsWith('- ', dashes * 2)) dashes++;
    let quote = '';
    for (let i = 0; i < content.length; i++) {
      const c = content[i] as string;
      if (quote) {
        if (c === quote) quote = '';
      } else if ((c === '"' || c === "'") && (i === 0 || ' [{,:'.includes(content[i - 1] as string)))
        quote = c;
      else if (c === '#' && (i === 0 || content[i - 1] === ' ')) break;
      else if (c === '[' || c === '{') flow++;
      else if ((c === ']' || c === '}') && flow > 0) flow--;
      if (indents.length + dashes + flow > MAX_DEPTH)
        return {
          path: '',
          line: index + 1,
          message: `nesting deeper than ${MAX_DEPTH} levels; a topology needs 4`,
        };
    }
  }
  return undefined;
}
