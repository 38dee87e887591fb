/**
 * The topology file's schema (zod): every field of `cluster.yaml`, the ID and CIDR formats, and the
 * messages of single values. What holds between fields is checked in checks.ts. See DESIGN section 3.
 */
import { z } from 'zod';
import { canonicalCidr, parseCidr } from '../ip-cidr';

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
