/**
 * Generated topologies for the scale benchmark: `regions` regions, each with one TGW (one route
 * table) and one VPC holding `tablesPerRegion` route tables, TGWs peered in a chain, `vips` VIPs.
 * Node 0 (server-0) is in the first region, node 1 (server-1) in the second.
 */
import { stringify } from 'yaml';
import { Topology } from '../tasks/topology';

export const BENCH_REGIONS = ['us-east-1', 'ap-southeast-1', 'eu-west-1'] as const;

export interface ScaleShape {
  readonly tablesPerRegion: number;
  readonly vips: number;
  readonly regions: 2 | 3;
}

/** A hex ID of `digits` digits built from the numbers given, so every generated ID is unique. */
const hex = (digits: number, ...parts: number[]): string =>
  parts
    .map((p) => p.toString(16).padStart(4, '0'))
    .join('')
    .padStart(digits, '0')
    .slice(-digits);

export function scaleTopology(shape: ScaleShape): Topology {
  const regions = BENCH_REGIONS.slice(0, shape.regions);
  const vpcs: Record<string, unknown> = {};
  const transitGateways: Record<string, unknown> = {};
  const nodes: Record<string, unknown> = {};
  regions.forEach((region, r) => {
    transitGateways[`tgw-${r}`] = {
      id: `tgw-${hex(17, 1, r)}`,
      region,
      routeTables: [`tgw-rtb-${hex(17, 2, r)}`],
    };
    vpcs[`vpc-${r}`] = {
      id: `vpc-${hex(17, 3, r)}`,
      region,
      cidr: `10.${r}.0.0/16`,
      transitGateway: `tgw-${r}`,
      attachment: `tgw-attach-${hex(17, 4, r)}`,
      routeTables: Array.from({ length: shape.tablesPerRegion }, (_, t) => `rtb-${hex(17, 5, r, t)}`),
    };
    if (r < 2)
      nodes[`server-${r}`] = { vpc: `vpc-${r}`, eni: `eni-${hex(17, 6, r)}`, instance: `i-${hex(17, 7, r)}` };
  });
  const peerings = regions.slice(1).map((_, r) => ({
    between: [`tgw-${r}`, `tgw-${r + 1}`],
    attachment: `tgw-attach-${hex(17, 8, r)}`,
  }));
  return Topology.parse({
    cluster: `bench-${shape.regions}r-${shape.tablesPerRegion}t-${shape.vips}v`,
    account: '123456789012',
    vips: Array.from({ length: shape.vips }, (_, v) => `172.16.0.${v + 1}/32`),
    nodes,
    vpcs,
    transitGateways,
    peerings,
  });
}

export const topologyYaml = (topology: Topology): string => stringify(topology);
