/**
 * Each account's own routes as that account sees them through the EC2 API of local AWS, signed with
 * its own credentials (a 12-digit access key acts as that account, local/iam/principals.ts): the VPC
 * route tables whose OwnerId is the account, and the TGW route tables it can describe (a RAM-shared
 * transit gateway's route tables are not shared: https://docs.aws.amazon.com/vpc/latest/tgw/tgw-transit-gateways.html).
 * The accounts and regions come from the topology file, read with `yaml` alone; nothing of local
 * AWS's ownership map or of the product is used, so a route filed under the wrong account shows here.
 */
import { readFileSync } from 'node:fs';
import {
  DescribeRouteTablesCommand,
  DescribeTransitGatewayRouteTablesCommand,
  EC2Client,
  SearchTransitGatewayRoutesCommand,
} from '@aws-sdk/client-ec2';
import { parse } from 'yaml';
import type { AccountRoute } from '../oracle/route-walker';

interface TopologyFile {
  readonly account: string | number;
  readonly accounts?: Record<string, { readonly id: string | number }>;
  readonly vips: readonly string[];
  readonly vpcs: Record<string, { readonly region: string }>;
  readonly transitGateways: Record<string, { readonly region: string }>;
}

export async function readAccountRoutesAs(
  url: string,
  path: string,
): Promise<Record<string, AccountRoute[]>> {
  const doc = parse(readFileSync(path, 'utf8')) as TopologyFile;
  const accounts = [String(doc.account), ...Object.values(doc.accounts ?? {}).map((a) => String(a.id))];
  const regions = [
    ...new Set([...Object.values(doc.vpcs), ...Object.values(doc.transitGateways)].map((r) => r.region)),
  ];
  const perAccount: Record<string, AccountRoute[]> = {};
  for (const account of accounts) {
    const routes: AccountRoute[] = [];
    for (const region of regions) {
      const ec2 = new EC2Client({
        region,
        endpoint: url,
        credentials: { accessKeyId: account, secretAccessKey: 'test' },
        maxAttempts: 1,
      });
      try {
        const { RouteTables = [] } = await ec2.send(new DescribeRouteTablesCommand({}));
        for (const table of RouteTables.filter((t) => t.OwnerId === account))
          for (const route of table.Routes ?? [])
            routes.push({
              region,
              table: table.RouteTableId!,
              destination: route.DestinationCidrBlock ?? route.DestinationIpv6CidrBlock ?? '',
              target: route.TransitGatewayId ?? route.NetworkInterfaceId ?? route.GatewayId ?? null,
            });
        const { TransitGatewayRouteTables = [] } = await ec2.send(
          new DescribeTransitGatewayRouteTablesCommand({}),
        );
        for (const table of TransitGatewayRouteTables)
          for (const vip of doc.vips) {
            const { Routes = [] } = await ec2.send(
              new SearchTransitGatewayRoutesCommand({
                TransitGatewayRouteTableId: table.TransitGatewayRouteTableId!,
                Filters: [{ Name: 'route-search.exact-match', Values: [vip] }],
              }),
            );
            for (const route of Routes)
              routes.push({
                region,
                table: table.TransitGatewayRouteTableId!,
                destination: route.DestinationCidrBlock ?? vip,
                target: route.TransitGatewayAttachments?.[0]?.TransitGatewayAttachmentId ?? null,
              });
          }
      } finally {
        ec2.destroy();
      }
    }
    perAccount[account] = routes;
  }
  return perAccount;
}
