/**
 * How fast EC2 lets a failover write, and whether that fits the run's time budget. Pure.
 *
 * EC2 throttles each account per region and per action with a token bucket: a mutating action such as
 * ReplaceRoute has 50 tokens at once and gets 5 more per second
 * (https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html#throttling-limits-rate-based).
 * So N writes of one action into one region take at least (N - 50) / 5 seconds, however they are sent,
 * and the workflow's steps run one after another (destination first), so their waits add up. A plan
 * whose bound exceeds the run budget (tasks/time-budget.ts) cannot finish as one run under the
 * documented rates: the fix is a higher rate for the account (AWS raises it on request,
 * https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html#throttling-increase), or
 * fewer route tables per cluster.
 */
import { DOCUMENTED_BUCKETS } from './ec2/token-pacing';
import type { Change } from './plan';
import { desiredRoutes, type Step } from './routing';
import { RUN_BUDGET_SECONDS } from './time-budget';
import type { Topology } from './topology';

export interface Bucket {
  /** Tokens available at once. */
  readonly burst: number;
  /** Tokens added per second. */
  readonly refillPerSecond: number;
}

const slowest = (values: readonly number[]): number => (values.length === 0 ? 0 : Math.max(...values));

/**
 * The token-bucket bound: the slowest region+action bucket must refill for every write past its burst,
 * max over region+action of (writes - burst) / refill, plus the latency floor of the same failover.
 */
export function tokenBucketBoundMs(
  writesPerRegionAction: ReadonlyMap<string, number>,
  bucket: Bucket,
  latencyFloorMs: number,
): number {
  const waits = [...writesPerRegionAction.values()].map(
    (writes) => (Math.max(0, writes - bucket.burst) / bucket.refillPerSecond) * 1000,
  );
  return slowest(waits) + latencyFloorMs;
}

/**
 * The token-bucket bound of this workflow's order: the steps run one after another (destination first),
 * so each step waits for its own slowest bucket. Assumes every bucket is full when its step begins
 * (the kindest case, so it stays a lower bound when a bucket is written by two steps).
 */
export function orderedTokenBucketBoundMs(
  writesPerStepBucket: ReadonlyMap<string, ReadonlyMap<string, number>>,
  bucket: Bucket,
  latencyFloorMs: number,
): number {
  let waits = 0;
  for (const perBucket of writesPerStepBucket.values()) {
    waits += tokenBucketBoundMs(perBucket, bucket, 0);
  }
  return waits + latencyFloorMs;
}

/** The EC2 action of a route write, as EC2 buckets it. */
export const writeActionOf = (change: Pick<Change, 'kind' | 'action'>): string =>
  `${change.action === 'create' ? 'Create' : 'Replace'}${change.kind === 'tgw' ? 'TransitGatewayRoute' : 'Route'}`;

export interface WriteRateBound {
  /** The least time the writes can take under the bucket, in ms (waits for tokens only, no latency). */
  readonly boundMs: number;
  /** The bucket with the most writes in one step: where the time goes. */
  readonly busiest?: {
    readonly step: Step;
    readonly region: string;
    readonly action: string;
    readonly writes: number;
  };
}

/**
 * The token-bucket lower bound of a plan's writes, per region and action: the larger of the ordered
 * bound (each step waits for its own slowest bucket) and the bound of each bucket over the whole run.
 */
export function writeRateBound(
  changes: readonly Pick<Change, 'step' | 'region' | 'kind' | 'action'>[],
  bucket: Bucket = DOCUMENTED_BUCKETS.mutating,
): WriteRateBound {
  const perStep = new Map<string, Map<string, number>>();
  const perRun = new Map<string, number>();
  let busiest: WriteRateBound['busiest'];
  for (const change of changes) {
    const key = `${change.region}|${writeActionOf(change)}`;
    const step = perStep.get(change.step) ?? new Map<string, number>();
    const writes = (step.get(key) ?? 0) + 1;
    step.set(key, writes);
    perStep.set(change.step, step);
    perRun.set(key, (perRun.get(key) ?? 0) + 1);
    if (!busiest || writes > busiest.writes)
      busiest = { step: change.step, region: change.region, action: writeActionOf(change), writes };
  }
  const boundMs = Math.max(
    orderedTokenBucketBoundMs(perStep, bucket, 0),
    tokenBucketBoundMs(perRun, bucket, 0),
  );
  return { boundMs, ...(busiest ? { busiest } : {}) };
}

/**
 * A warning when the writes cannot fit the run budget under the documented EC2 rates; undefined when
 * they can. It names the bound, the budget and the fixes.
 */
export function writeRateWarning(
  bound: WriteRateBound,
  budgetSeconds: number = RUN_BUDGET_SECONDS,
  subject = 'these writes need',
): string | undefined {
  const seconds = Math.ceil(bound.boundMs / 1000);
  if (seconds <= budgetSeconds || !bound.busiest) return undefined;
  const { busiest } = bound;
  return (
    `${subject} at least ${seconds} s under EC2's documented request rate (${DOCUMENTED_BUCKETS.mutating.burst} at once, ` +
    `then ${DOCUMENTED_BUCKETS.mutating.refillPerSecond} per second per region and action; ${busiest.writes} ${busiest.action} in ` +
    `${busiest.region} in ${busiest.step} alone), more than the run budget of ${budgetSeconds} s, so a failover cannot finish as one run. ` +
    'Fix: request an EC2 API rate limit increase for this account and region ' +
    '(https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html#throttling-increase), ' +
    'or split the cluster into topologies with fewer route tables'
  );
}

/**
 * The warning for the largest failover of a topology: one that rewrites every VIP route (a failover
 * from any node to any other changes every table's VIP route). Undefined when it fits the budget.
 */
export function failoverWriteRateWarning(
  topology: Topology,
  budgetSeconds: number = RUN_BUDGET_SECONDS,
): string | undefined {
  const bounds = Object.keys(topology.nodes).map((node) =>
    writeRateBound(desiredRoutes(topology, node).map((route) => ({ ...route, action: 'replace' as const }))),
  );
  const worst = bounds.sort((a, b) => b.boundMs - a.boundMs)[0];
  return worst
    ? writeRateWarning(worst, budgetSeconds, 'a failover that rewrites every VIP route needs')
    : undefined;
}
