/**
 * What was observed in AWS for one topology: the VIP routes of every listed table and the health of
 * the resources the routes go through. Produced by `ec2/read-world.ts` (the only AWS reader), consumed by the
 * pure domain (`plan.ts`, `trace.ts`). Plain data, so it also travels through Step Functions.
 */
import { z } from 'zod';

/**
 * As AWS reports them: VPC routes are `active`, `blackhole` or `filtered` (EC2 API Reference, Route:
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_Route.html); transit gateway routes are
 * `pending` (written, not yet in effect), `active`, `blackhole`, `deleting` or `deleted`
 * (TransitGatewayRoute: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_TransitGatewayRoute.html);
 * a deleting or deleted route no longer routes, so it is reported `missing`.
 * Ours: `missing`, the table has no route for the VIP; `unknown`, the table's region could not be read.
 */
export const RouteState = z.enum(['active', 'pending', 'blackhole', 'filtered', 'missing', 'unknown']);
export type RouteState = z.infer<typeof RouteState>;

export const TableKind = z.enum(['vpc', 'tgw']);
export type TableKind = z.infer<typeof TableKind>;

/** The VIP route of one table as observed. */
export const ObservedRoute = z.strictObject({
  /** `rtb-…` or `tgw-rtb-…`. */
  table: z.string(),
  vip: z.string(),
  /**
   * Where the route sends traffic: `eni-…`, `tgw-…` (VPC tables), `tgw-attach-…` (TGW tables), or any
   * other AWS target ID (`igw-…`, `pcx-…`, `i-…`). `null` when missing or unknown.
   */
  target: z.string().nullable(),
  state: RouteState,
});
export type ObservedRoute = z.infer<typeof ObservedRoute>;

export const RegionFault = z.strictObject({
  region: z.string(),
  /** AWS error code or network error code, e.g. `ECONNREFUSED`, `RequestLimitExceeded`. */
  code: z.string(),
  message: z.string(),
});
export type RegionFault = z.infer<typeof RegionFault>;

/** Resource state as AWS reports it; `missing` when AWS does not know the ID. */
export const Health = z.strictObject({
  /** `tgw-attach-…` (VPC and peering attachments) -> `available`, `pendingAcceptance`, `deleted`, …, `missing`. */
  attachments: z.record(z.string(), z.string()),
  /** `eni-…` -> status (`in-use`, `available`, `missing`) and the instance it is attached to. */
  networkInterfaces: z.record(
    z.string(),
    z.strictObject({ status: z.string(), instance: z.string().nullable() }),
  ),
  /** `i-…` -> instance state name (`running`, `stopped`, `missing`) and its source/destination check. */
  instances: z.record(z.string(), z.strictObject({ state: z.string(), sourceDestCheck: z.boolean() })),
});
export type Health = z.infer<typeof Health>;

export const Observation = z.strictObject({
  /** Exactly one entry per (listed table, VIP); `unknown` entries for tables in unreachable regions. */
  routes: z.array(ObservedRoute),
  /** Health of resources in regions that could be read. Resources of unreachable regions are absent. */
  health: Health,
  /** Regions whose EC2 API could not be reached within the retry budget. */
  unreachable: z.array(RegionFault),
});
export type Observation = z.infer<typeof Observation>;

/** Key of one VIP route: `table|vip`. */
export const routeKey = (table: string, vip: string): string => `${table}|${vip}`;
