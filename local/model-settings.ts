/**
 * What local AWS's behaviour models can be set to (zod, for the control API and the options), AWS's
 * documented token buckets they start from, and the two profiles: `off` (everything off) and
 * `realistic` (latency and both sets of buckets on). The running models are in models.ts.
 */
import { z } from 'zod';

const Ms = z.number().nonnegative();

export const Bucket = z.strictObject({
  /** Tokens available at once. */
  burst: z.number().int().positive(),
  /** Tokens added per second. */
  refillPerSecond: z.number().nonnegative(),
});
export type Bucket = z.infer<typeof Bucket>;

export const Fault = z.strictObject({
  /** EC2 action (`ReplaceRoute`) or Step Functions operation (`StartExecution`); `*` for any. */
  action: z.string().min(1),
  /** Only requests of this region. */
  region: z.string().optional(),
  /** Only requests that name this resource ID (any parameter value equal to it). */
  resource: z.string().optional(),
  code: z.string().min(1),
  message: z.string().optional(),
  /** HTTP status. @default 400 */
  status: z.number().int().min(400).max(599).optional(),
  /** Chance that a matching request fails. @default 1 */
  probability: z.number().min(0).max(1).optional(),
  /** Fail this many matching requests, then disappear. @default unlimited */
  count: z.number().int().positive().optional(),
});
export type Fault = z.infer<typeof Fault>;

/** Services that can be taken down alone, by their SigV4 signing name; `*` is every service of the region. */
export const OutageService = z.enum(['*', 'ec2', 'states', 'logs', 'sts']);
export type OutageService = z.infer<typeof OutageService>;

/**
 * How an outage fails a request: `refuse` resets the connection at once; `hang` accepts the request and
 * never answers, so only the client's own timeout ends it, as a black-holed path or a stalled endpoint does.
 */
export const OutageMode = z.enum(['refuse', 'hang']);
export type OutageMode = z.infer<typeof OutageMode>;

/** A Step Functions API bucket: one figure for the larger regions, one elsewhere. */
export const RegionalBucket = z.strictObject({ large: Bucket, other: Bucket });
export type RegionalBucket = z.infer<typeof RegionalBucket>;

/** How long a TGW route stays in a transitional state: a number of reads and a time, whichever is later. */
export const Transition = z.strictObject({
  reads: z.number().int().nonnegative(),
  ms: Ms,
});
export type Transition = z.infer<typeof Transition>;

export const ModelSettings = z.strictObject({
  latency: z.strictObject({
    /** Added to every request whose caller is in the same region (or unknown). */
    withinRegionMs: Ms,
    /** Added to every cross-region request whose pair is not in `pairs`. */
    crossRegionMs: Ms,
    /** Cross-region latency per pair, key `a|b` with the two regions sorted. */
    pairs: z.record(z.string(), Ms),
  }),
  /** Round trips a new connection spends on TLS setup before its first request. */
  tlsHandshakeRtts: z.number().int().nonnegative(),
  /** Lambda cold start per function (first invocation). */
  coldStartMs: Ms,
  /** Cost of each state transition in a state machine. */
  transitionMs: Ms,
  /** EC2 request-rate buckets, per account, region and action. */
  throttle: z.strictObject({
    enabled: z.boolean(),
    /** Create/Replace/Delete actions. */
    mutating: Bucket,
    /** Describe/Search/Get actions. */
    nonMutating: Bucket,
    /** Describe* requests with no filter, no ID list and no MaxResults: a bucket of their own. */
    unfilteredDescribe: Bucket,
    /** Per-action overrides. */
    actions: z.record(z.string(), Bucket),
  }),
  /** Step Functions API buckets, per account, region and operation; operations not listed are not throttled. */
  sfnThrottle: z.strictObject({
    enabled: z.boolean(),
    /** Regions with the larger figures. */
    largeRegions: z.array(z.string()),
    operations: z.record(z.string(), RegionalBucket),
  }),
  /** TGW route states after a write: `pending` before `active`, `deleting` before the route is gone. */
  routeStates: z.strictObject({
    tgwPending: Transition,
    tgwDeleting: Transition,
  }),
  /**
   * Step Functions' 256 KiB payload quota (local/sfn/execution.ts). On in every profile, as in AWS; a
   * test whose state does not fit yet may turn it off.
   */
  sfnPayloadLimit: z.boolean(),
  /** Reads of a written route that still return its previous state. */
  staleReads: z.number().int().nonnegative(),
  /** Regions whose endpoints refuse connections. */
  outages: z.array(z.string()),
  /**
   * Outages of one service of a region (`*`: all of them) while the rest answers; `mode` says whether
   * requests are refused (the default) or hang.
   */
  serviceOutages: z.array(
    z.strictObject({ region: z.string(), service: OutageService, mode: OutageMode.optional() }),
  ),
  faults: z.array(Fault),
});
export type ModelSettings = z.infer<typeof ModelSettings>;

/** What the control endpoint accepts: any part of the settings, or a whole profile. */
export const ModelPatch = z.strictObject({
  profile: z.enum(['off', 'realistic']).optional(),
  latency: ModelSettings.shape.latency.partial().optional(),
  tlsHandshakeRtts: ModelSettings.shape.tlsHandshakeRtts.optional(),
  coldStartMs: Ms.optional(),
  transitionMs: Ms.optional(),
  throttle: ModelSettings.shape.throttle.partial().optional(),
  sfnThrottle: ModelSettings.shape.sfnThrottle.partial().optional(),
  routeStates: ModelSettings.shape.routeStates.partial().optional(),
  sfnPayloadLimit: ModelSettings.shape.sfnPayloadLimit.optional(),
  staleReads: ModelSettings.shape.staleReads.optional(),
  outages: ModelSettings.shape.outages.optional(),
  serviceOutages: ModelSettings.shape.serviceOutages.optional(),
  faults: ModelSettings.shape.faults.optional(),
});
export type ModelPatch = z.infer<typeof ModelPatch>;

export type Profile = 'off' | 'realistic';

const MUTATING_PREFIXES = ['Create', 'Replace', 'Delete'];
export const isMutatingAction = (action: string): boolean =>
  MUTATING_PREFIXES.some((p) => action.startsWith(p));

/**
 * EC2's request token buckets, per account, region and action: mutating actions 50 burst / 5 per s,
 * non-mutating 100 / 20, unfiltered and unpaginated non-mutating (Describe*) 50 / 10.
 * https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html#throttling-limits-rate-based
 * The page names the category "unfiltered and unpaginated"; local AWS reads it as a Describe* request
 * with no Filter, no ID list and no MaxResults (the page gives no finer definition).
 */
export const EC2_DOCUMENTED_BUCKETS = {
  mutating: { burst: 50, refillPerSecond: 5 },
  nonMutating: { burst: 100, refillPerSecond: 20 },
  unfilteredDescribe: { burst: 50, refillPerSecond: 10 },
} as const satisfies Record<string, Bucket>;

/**
 * Step Functions API action throttling (Standard workflows), bucket size / refill per second, with the
 * larger figures in us-east-1, us-west-2 and eu-west-1:
 * https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html#service-limits-api-action-throttling-general
 */
export const SFN_LARGE_REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1'];
export const SFN_DOCUMENTED_BUCKETS: Record<string, RegionalBucket> = {
  StartExecution: {
    large: { burst: 1300, refillPerSecond: 300 },
    other: { burst: 800, refillPerSecond: 150 },
  },
  DescribeExecution: {
    large: { burst: 300, refillPerSecond: 15 },
    other: { burst: 250, refillPerSecond: 10 },
  },
  ListExecutions: { large: { burst: 200, refillPerSecond: 5 }, other: { burst: 100, refillPerSecond: 2 } },
  GetExecutionHistory: {
    large: { burst: 400, refillPerSecond: 20 },
    other: { burst: 400, refillPerSecond: 20 },
  },
};

export function profileSettings(profile: Profile): ModelSettings {
  const off: ModelSettings = {
    latency: { withinRegionMs: 0, crossRegionMs: 0, pairs: {} },
    tlsHandshakeRtts: 0,
    coldStartMs: 0,
    transitionMs: 0,
    throttle: { enabled: false, ...structuredClone(EC2_DOCUMENTED_BUCKETS), actions: {} },
    sfnThrottle: {
      enabled: false,
      largeRegions: [...SFN_LARGE_REGIONS],
      operations: structuredClone(SFN_DOCUMENTED_BUCKETS),
    },
    // AWS documents the states (pending, active, blackhole, deleting, deleted) but not how long the
    // transitional ones last, so both profiles leave them at zero; tests and benchmarks set them.
    // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_TransitGatewayRoute.html
    routeStates: { tgwPending: { reads: 0, ms: 0 }, tgwDeleting: { reads: 0, ms: 0 } },
    sfnPayloadLimit: true,
    staleReads: 0,
    outages: [],
    serviceOutages: [],
    faults: [],
  };
  if (profile === 'off') return off;
  return {
    ...off,
    latency: {
      withinRegionMs: 80,
      crossRegionMs: 200,
      pairs: { 'ap-southeast-1|us-east-1': 230, 'eu-west-1|us-east-1': 150, 'ap-southeast-1|eu-west-1': 250 },
    },
    tlsHandshakeRtts: 2,
    coldStartMs: 400,
    transitionMs: 25,
    throttle: { ...off.throttle, enabled: true },
    sfnThrottle: { ...off.sfnThrottle, enabled: true },
  };
}
