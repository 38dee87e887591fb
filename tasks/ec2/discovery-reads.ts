/**
 * Discovery (`vipctl discover`): what a topology file is made of, read from AWS. tasks/discover.ts
 * turns these facts into a topology.
 */
import {
  type EC2Client,
  paginateDescribeInstances,
  paginateDescribeRouteTables,
  paginateDescribeTransitGatewayPeeringAttachments,
  paginateDescribeTransitGatewayRouteTables,
  paginateDescribeTransitGateways,
  paginateDescribeTransitGatewayVpcAttachments,
  paginateDescribeVpcs,
} from '@aws-sdk/client-ec2';
import { z } from 'zod';

const Tags = z.array(z.object({ Key: z.string().optional(), Value: z.string().optional() })).default([]);
const nameTag = (tags: z.infer<typeof Tags>): string | undefined =>
  tags.find((t) => t.Key === 'Name')?.Value || undefined;

/** A cluster node's instance as discovery needs it. */
export interface DiscoveredInstance {
  readonly instanceId: string;
  readonly region: string;
  /** The `Name` tag, when set. */
  readonly name?: string;
  readonly state: string;
  readonly vpcId: string;
  /** The primary ENI (device index 0), the one the VIP routes point at. */
  readonly eniId: string;
  /** How many ENIs the instance has; more than one is worth a comment in the file. */
  readonly eniCount: number;
  /** The account that owns the instance's reservation. */
  readonly account?: string;
}

const DiscoveryInstances = z.array(
  z.object({
    InstanceId: z.string(),
    VpcId: z.string().optional(),
    State: z.object({ Name: z.string().default('unknown') }).default({ Name: 'unknown' }),
    Tags,
    NetworkInterfaces: z
      .array(
        z.object({
          NetworkInterfaceId: z.string(),
          Attachment: z.object({ DeviceIndex: z.number().optional() }).optional(),
        }),
      )
      .default([]),
  }),
);

/**
 * Reads one instance; undefined when the region does not know it. A filter rather than InstanceIds,
 * so an unknown ID is an empty answer instead of InvalidInstanceID.NotFound (or .Malformed).
 */
export async function discoverInstance(
  client: EC2Client,
  region: string,
  instanceId: string,
): Promise<DiscoveredInstance | undefined> {
  const pages = paginateDescribeInstances(
    { client },
    { Filters: [{ Name: 'instance-id', Values: [instanceId] }] },
  );
  for await (const page of pages) {
    for (const reservation of page.Reservations ?? []) {
      for (const instance of DiscoveryInstances.parse(reservation.Instances ?? [])) {
        if (instance.InstanceId !== instanceId) continue;
        const enis = instance.NetworkInterfaces;
        // Several ENIs: the VIP routes point at the primary one, device index 0, which is the
        // interface the instance's own private IP and its source/destination check belong to.
        const primary = enis.find((e) => e.Attachment?.DeviceIndex === 0) ?? enis[0];
        if (!instance.VpcId || !primary) return undefined;
        const name = nameTag(instance.Tags);
        return {
          instanceId,
          region,
          ...(name ? { name } : {}),
          state: instance.State.Name,
          vpcId: instance.VpcId,
          eniId: primary.NetworkInterfaceId,
          eniCount: enis.length,
          ...(reservation.OwnerId ? { account: reservation.OwnerId } : {}),
        };
      }
    }
  }
  return undefined;
}

/** A VPC with its route tables and its transit gateway attachments (any state). */
export interface DiscoveredVpc {
  readonly id: string;
  readonly region: string;
  readonly name?: string;
  readonly cidr: string;
  /** Its (first) associated IPv6 CIDR, when it has one. */
  readonly ipv6Cidr?: string;
  readonly routeTables: readonly {
    readonly id: string;
    readonly name?: string;
    /** Subnets explicitly associated with the table. */
    readonly subnets: number;
    /** The VPC's main table (serves every subnet without an explicit association). */
    readonly main: boolean;
  }[];
  readonly attachments: readonly {
    readonly id: string;
    readonly transitGatewayId: string;
    readonly state: string;
  }[];
}

/** A VPC's IPv6 CIDRs: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_VpcIpv6CidrBlockAssociation.html */
const Ipv6Associations = z
  .array(
    z.object({
      Ipv6CidrBlock: z.string().optional(),
      Ipv6CidrBlockState: z.object({ State: z.string().optional() }).optional(),
    }),
  )
  .default([]);
const DiscoveryVpcs = z.array(
  z.object({ VpcId: z.string(), CidrBlock: z.string(), Ipv6CidrBlockAssociationSet: Ipv6Associations, Tags }),
);
const DiscoveryRouteTables = z.array(
  z.object({
    RouteTableId: z.string(),
    Tags,
    Associations: z
      .array(z.object({ SubnetId: z.string().optional(), Main: z.boolean().optional() }))
      .default([]),
  }),
);
const DiscoveryVpcAttachments = z.array(
  z.object({
    TransitGatewayAttachmentId: z.string(),
    TransitGatewayId: z.string(),
    State: z.string().default('unknown'),
  }),
);

function ipv6CidrOf(associations: z.infer<typeof Ipv6Associations>): { ipv6Cidr?: string } {
  const cidr = associations.find((a) => a.Ipv6CidrBlockState?.State === 'associated')?.Ipv6CidrBlock;
  return cidr ? { ipv6Cidr: cidr } : {};
}

/** Reads a VPC, every route table of it, and its transit gateway attachments; undefined when unknown. */
export async function discoverVpc(
  client: EC2Client,
  region: string,
  vpcId: string,
): Promise<DiscoveredVpc | undefined> {
  const byVpc = [{ Name: 'vpc-id', Values: [vpcId] }];
  const [vpcs, tables, attachments] = await Promise.all([
    collect(paginateDescribeVpcs({ client }, { Filters: byVpc }), (p) => DiscoveryVpcs.parse(p.Vpcs ?? [])),
    collect(paginateDescribeRouteTables({ client }, { Filters: byVpc }), (p) =>
      DiscoveryRouteTables.parse(p.RouteTables ?? []),
    ),
    collect(paginateDescribeTransitGatewayVpcAttachments({ client }, { Filters: byVpc }), (p) =>
      DiscoveryVpcAttachments.parse(p.TransitGatewayVpcAttachments ?? []),
    ),
  ]);
  const vpc = vpcs.find((v) => v.VpcId === vpcId);
  if (!vpc) return undefined;
  const name = nameTag(vpc.Tags);
  return {
    id: vpcId,
    region,
    ...(name ? { name } : {}),
    cidr: vpc.CidrBlock,
    // The first associated IPv6 CIDR; a topology lists one per VPC.
    ...ipv6CidrOf(vpc.Ipv6CidrBlockAssociationSet),
    routeTables: tables.map((t) => {
      const tableName = nameTag(t.Tags);
      return {
        id: t.RouteTableId,
        ...(tableName ? { name: tableName } : {}),
        subnets: t.Associations.filter((a) => a.SubnetId).length,
        main: t.Associations.some((a) => a.Main === true),
      };
    }),
    attachments: attachments.map((a) => ({
      id: a.TransitGatewayAttachmentId,
      transitGatewayId: a.TransitGatewayId,
      state: a.State,
    })),
  };
}

/** A transit gateway's route tables and the peering attachments it is a side of. */
export interface DiscoveredTransitGateway {
  readonly id: string;
  readonly region: string;
  readonly routeTables: readonly { readonly id: string; readonly default: boolean }[];
  readonly peerings: readonly DiscoveredPeering[];
}

export interface DiscoveredPeering {
  readonly id: string;
  readonly state: string;
  readonly sides: ReadonlyArray<{ readonly transitGatewayId: string; readonly region?: string }>;
}

const DiscoveryTgwRouteTables = z.array(
  z.object({
    TransitGatewayRouteTableId: z.string(),
    State: z.string().default('available'),
    DefaultAssociationRouteTable: z.boolean().default(false),
  }),
);
const TgwInfo = z.object({ TransitGatewayId: z.string(), Region: z.string().optional() });
const DiscoveryPeerings = z.array(
  z.object({
    TransitGatewayAttachmentId: z.string(),
    State: z.string().default('unknown'),
    RequesterTgwInfo: TgwInfo,
    AccepterTgwInfo: TgwInfo,
  }),
);

/** Reads a transit gateway's route tables (deleted ones left out) and its peering attachments. */
export async function discoverTransitGateway(
  client: EC2Client,
  region: string,
  transitGatewayId: string,
): Promise<DiscoveredTransitGateway> {
  const byTgw = [{ Name: 'transit-gateway-id', Values: [transitGatewayId] }];
  const [tables, peerings] = await Promise.all([
    collect(paginateDescribeTransitGatewayRouteTables({ client }, { Filters: byTgw }), (p) =>
      DiscoveryTgwRouteTables.parse(p.TransitGatewayRouteTables ?? []),
    ),
    collect(paginateDescribeTransitGatewayPeeringAttachments({ client }, { Filters: byTgw }), (p) =>
      DiscoveryPeerings.parse(p.TransitGatewayPeeringAttachments ?? []),
    ),
  ]);
  return {
    id: transitGatewayId,
    region,
    routeTables: tables
      .filter((t) => t.State !== 'deleted' && t.State !== 'deleting')
      .map((t) => ({ id: t.TransitGatewayRouteTableId, default: t.DefaultAssociationRouteTable })),
    peerings: peerings.map((p) => ({
      id: p.TransitGatewayAttachmentId,
      state: p.State,
      sides: [
        { transitGatewayId: p.RequesterTgwInfo.TransitGatewayId, region: p.RequesterTgwInfo.Region },
        { transitGatewayId: p.AccepterTgwInfo.TransitGatewayId, region: p.AccepterTgwInfo.Region },
      ],
    })),
  };
}

const DiscoveryTgws = z.array(z.object({ TransitGatewayId: z.string(), OwnerId: z.string().optional() }));

/**
 * The account that owns a transit gateway, as the caller sees it; undefined when the caller does not see
 * it. A TGW shared through AWS RAM names its owner in `OwnerId`, not the caller
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_TransitGateway.html), and only that owner
 * may change it ("You cannot modify a transit gateway that has been shared with you",
 * https://docs.aws.amazon.com/vpc/latest/tgw/tgw-modifying.html), so its route tables are read there.
 */
export async function discoverTransitGatewayOwner(
  client: EC2Client,
  transitGatewayId: string,
): Promise<string | undefined> {
  const byTgw = [{ Name: 'transit-gateway-id', Values: [transitGatewayId] }];
  const tgws = await collect(paginateDescribeTransitGateways({ client }, { Filters: byTgw }), (p) =>
    DiscoveryTgws.parse(p.TransitGateways ?? []),
  );
  return tgws.find((t) => t.TransitGatewayId === transitGatewayId)?.OwnerId;
}

/** Every item of every page. */
async function collect<P, T>(pages: AsyncIterable<P>, items: (page: P) => T[]): Promise<T[]> {
  const all: T[] = [];
  for await (const page of pages) all.push(...items(page));
  return all;
}
