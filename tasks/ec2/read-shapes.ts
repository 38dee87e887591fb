/**
 * The SDK output the world read depends on, validated at the border (STYLE: zod at every boundary).
 */
import { z } from 'zod';

export const VpcRoute = z.object({
  DestinationCidrBlock: z.string().optional(),
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
