/**
 * The topology file (`cluster.yaml`): the single description of a cluster's routing.
 * Schema (zod) + YAML loader + cross-reference validation. Pure: no AWS, no clock, no env.
 * See DESIGN section 3.
 */
import { z } from 'zod';

/** User-chosen key for a node, VPC or TGW; also used inside execution names. */
export const Name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,47}$/, 'must be 1-48 letters, digits, - or _');

const id = (prefix: string, kind: string) =>
  z.string().regex(new RegExp(`^${prefix}-[0-9a-f]{8,17}$`), `must be ${kind} ID like ${prefix}-0123456789abcdef0`);

export const VpcId = id('vpc', 'a VPC');
export const EniId = id('eni', 'a network interface');
export const InstanceId = id('i', 'an instance');
export const RouteTableId = id('rtb', 'a VPC route table');
export const TgwId = id('tgw', 'a transit gateway');
export const TgwRouteTableId = id('tgw-rtb', 'a transit gateway route table');
export const TgwAttachmentId = id('tgw-attach', 'a transit gateway attachment');

/** AWS commercial, GovCloud and China region names, e.g. `us-east-1`, `ap-southeast-1`. */
export const Region = z
  .string()
  .regex(
    /^(us|eu|ap|sa|ca|me|af|il|mx|cn|us-gov)-(north|south|east|west|central|northeast|southeast|northwest|southwest)-[1-9]$/,
    'must be an AWS region name like us-east-1',
  );

export const Ipv4Cidr = z
  .string()
  .regex(
    /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}\/(3[0-2]|[12]?\d)$/,
    'must be an IPv4 CIDR like 10.0.0.0/16',
  );

export const Vip = Ipv4Cidr.refine((c) => c.endsWith('/32'), 'a VIP must be a /32, e.g. 172.16.0.1/32');

export const Node = z.strictObject({ vpc: Name, eni: EniId, instance: InstanceId });
export type Node = z.infer<typeof Node>;

export const Vpc = z.strictObject({
  id: VpcId,
  region: Region,
  cidr: Ipv4Cidr,
  transitGateway: Name,
  attachment: TgwAttachmentId,
  routeTables: z.array(RouteTableId).min(1, 'a VPC needs at least one route table'),
});
export type Vpc = z.infer<typeof Vpc>;

export const TransitGateway = z.strictObject({
  id: TgwId,
  region: Region,
  routeTables: z.array(TgwRouteTableId).min(1, 'a transit gateway needs at least one route table'),
});
export type TransitGateway = z.infer<typeof TransitGateway>;

export const Peering = z.strictObject({
  between: z.tuple([Name, Name]),
  attachment: TgwAttachmentId,
});
export type Peering = z.infer<typeof Peering>;

export const Topology = z.strictObject({
  cluster: z.string().regex(/^[a-z0-9-]{1,32}$/, 'must be 1-32 lowercase letters, digits or -'),
  account: z
    .string()
    .regex(/^\d{12}$/, 'must be a 12-digit AWS account ID (quote it in YAML)')
    .optional(),
  vips: z.array(Vip).min(1, 'list at least one VIP'),
  nodes: z.record(Name, Node),
  vpcs: z.record(Name, Vpc),
  transitGateways: z.record(Name, TransitGateway),
  peerings: z.array(Peering).default([]),
});
export type Topology = z.infer<typeof Topology>;
