/**
 * Benchmark 2: convergence time as route tables, VIPs and regions grow, with EC2's token buckets on,
 * against the token-bucket bound; then a second run that must write nothing.
 */
import { writeFileSync } from 'node:fs';
import { type Change, measureFailover } from './failover';
import { type BenchAws, RAW_DIR, startBenchAws, writeConfig } from './harness';
import { type Bucket, orderedTokenBucketBoundMs, tokenBucketBoundMs } from './lower-bound';
import { type ScaleShape, scaleTopology } from './topologies';

export interface ScalePoint extends ScaleShape {
  readonly writes: number;
  /** The largest number of writes any one region+action bucket takes. */
  readonly maxBucketWrites: number;
  readonly executionMs: number;
  readonly wallMs: number;
  readonly throttled: number;
  readonly latencyFloorMs: number;
  /** max over region+action of (writes - burst) / refill, plus the latency floor. */
  readonly boundMs: number;
  /** The same per step, summed over the steps (they run one after another). */
  readonly orderedBoundMs: number;
  readonly secondRunWrites: number;
  readonly secondRunMs: number;
  /** Changes per region and kind, for the sequential baseline. */
  readonly changes: { region: string; kind: Change['kind'] }[];
  /** Set when the failover did not succeed (the other figures are then zero). */
  readonly error?: string;
}

const ACTION = { vpc: 'ReplaceRoute', tgw: 'ReplaceTransitGatewayRoute' } as const;

export function writesPerBucket(changes: readonly Change[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const change of changes) {
    if (change.result !== 'applied') continue;
    const key = `${change.region}|${ACTION[change.kind]}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

export function writesPerStepBucket(changes: readonly Change[]): Map<string, Map<string, number>> {
  const steps = new Map<string, Map<string, number>>();
  for (const step of new Set(changes.map((c) => c.step))) {
    steps.set(step, writesPerBucket(changes.filter((c) => c.step === step)));
  }
  return steps;
}

export async function scalePoint(shape: ScaleShape, bucket: Bucket): Promise<ScalePoint> {
  const topology = scaleTopology(shape);
  const aws = await startBenchAws(topology, {
    profile: 'realistic',
    throttle: { enabled: true, mutating: bucket },
  });
  try {
    return await measurePoint(aws, shape, bucket);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { ...shape, ...FAILED, error: message.split('\n').slice(0, 3).join(' ').slice(0, 300) };
  } finally {
    await aws.close();
  }
}

const FAILED = {
  writes: 0,
  maxBucketWrites: 0,
  executionMs: Number.NaN,
  wallMs: Number.NaN,
  throttled: 0,
  latencyFloorMs: Number.NaN,
  boundMs: Number.NaN,
  orderedBoundMs: Number.NaN,
  secondRunWrites: 0,
  secondRunMs: Number.NaN,
  changes: [],
};

async function measurePoint(aws: BenchAws, shape: ScaleShape, bucket: Bucket): Promise<ScalePoint> {
  const topology = scaleTopology(shape);
  const config = writeConfig(topology);
  const first = await measureFailover(aws, topology, config, 'server-1');
  const second = await measureFailover(aws, topology, config, 'server-1');
  const buckets = writesPerBucket(first.changes);
  writeFileSync(`${RAW_DIR}${topology.cluster}.json`, JSON.stringify({ first, second }, null, 1));
  return {
    ...shape,
    writes: first.writes,
    maxBucketWrites: Math.max(0, ...buckets.values()),
    executionMs: first.executionMs,
    wallMs: first.wallMs,
    throttled: first.throttled,
    latencyFloorMs: first.bound.totalMs,
    boundMs: tokenBucketBoundMs(buckets, bucket, first.bound.totalMs),
    orderedBoundMs: orderedTokenBucketBoundMs(
      writesPerStepBucket(first.changes),
      bucket,
      first.bound.totalMs,
    ),
    secondRunWrites: second.writes,
    secondRunMs: second.executionMs,
    changes: first.changes
      .filter((c) => c.result === 'applied')
      .map((c) => ({ region: c.region, kind: c.kind })),
  };
}
