/**
 * The SDK output the world read depends on, validated at the border (STYLE: zod at every boundary).
 */
import { z } from 'zod';
import { canonicalCidr } from '../ip-cidr';
import type { RouteState } from '../world';

/**
 * A VPC route names its destination in DestinationCidrBlock (IPv4) or DestinationIpv6CidrBlock (IPv6)
 * (Route: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_Route.html).
 */
export const VpcRoute = z.object({
  DestinationCidrBlock: z.string().optional(),
  DestinationIpv6CidrBlock: z.string().optional(),
  State: z.string().optional(),
  NetworkInterfaceId: z.string().optional(),
  TransitGatewayId: z.string().optional(),
  GatewayId: z.string().optional(),
  InstanceId: z.string().optional(),
  VpcPeeringConnectionId: z.string().optional(),
  NatGatewayId: z.string().optional(),
  LocalGatewayId: z.string().optional(),
  CarrierGatewayId: z.string().optional(),
  EgressOnlyInternetGatewayId: z.string().optional(),
  CoreNetworkArn: z.string().optional(),
});
export type VpcRoute = z.infer<typeof VpcRoute>;
export const RouteTables = z.array(
  z.object({ RouteTableId: z.string(), Routes: z.array(VpcRoute).default([]) }),
);
/**
 * A transit gateway route's DestinationCidrBlock holds IPv4 and IPv6 CIDRs alike
 * (TransitGatewayRoute: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_TransitGatewayRoute.html).
 */
export const TgwRoutes = z.array(
  z.object({
    DestinationCidrBlock: z.string().optional(),
    State: z.string().optional(),
    TransitGatewayAttachments: z
      .array(z.object({ TransitGatewayAttachmentId: z.string().optional() }))
      .default([]),
  }),
);
export const Attachments = z.array(
  z.object({ TransitGatewayAttachmentId: z.string(), State: z.string().default('unknown') }),
);
export const NetworkInterfaces = z.array(
  z.object({
    NetworkInterfaceId: z.string(),
    Status: z.string().default('unknown'),
    Attachment: z.object({ InstanceId: z.string().optional() }).optional(),
  }),
);
export const Instances = z.array(
  z.object({
    InstanceId: z.string(),
    State: z.object({ Name: z.string().default('unknown') }).default({ Name: 'unknown' }),
    SourceDestCheck: z.boolean().default(true),
  }),
);

/**
 * The target of a VPC route. An instance route carries both InstanceId and NetworkInterfaceId; the
 * routing rule speaks ENIs, so the ENI wins.
 */
export function vpcTarget(route: VpcRoute): string | null {
  return (
    route.NetworkInterfaceId ??
    route.TransitGatewayId ??
    route.GatewayId ??
    route.InstanceId ??
    route.VpcPeeringConnectionId ??
    route.NatGatewayId ??
    route.LocalGatewayId ??
    route.CarrierGatewayId ??
    route.EgressOnlyInternetGatewayId ??
    route.CoreNetworkArn ??
    null
  );
}

/**
 * A VPC route's state: `active`, `blackhole` or `filtered`
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_Route.html); a route without one is active.
 */
export function vpcRouteState(state: string | undefined): RouteState {
  return state === 'blackhole' || state === 'filtered' ? state : 'active';
}

/**
 * A transit gateway route's state: `pending` after a write until it is in effect, then `active`, or
 * `blackhole`; undefined for `deleting` and `deleted`, which no longer route
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_TransitGatewayRoute.html).
 */
export function tgwRouteState(state: string | undefined): RouteState | undefined {
  if (state === 'deleting' || state === 'deleted') return undefined;
  return state === 'pending' || state === 'blackhole' ? state : 'active';
}

/**
 * Whether a route's destination is `vip` (a topology VIP, canonical). IPv6 destinations are compared
 * in their canonical spelling: the EC2 API Reference does not say in which spelling it reports them.
 */
export function isVipDestination(destination: string | undefined, vip: string): boolean {
  return destination !== undefined && canonicalCidr(destination) === vip;
}

/** The destination of a VPC route, whichever family it is. */
export const vpcDestination = (route: VpcRoute): string | undefined =>
  route.DestinationCidrBlock ?? route.DestinationIpv6CidrBlock;
