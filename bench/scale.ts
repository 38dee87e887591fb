/**
 * Benchmark 2: convergence time as route tables, VIPs and regions grow, with EC2's token buckets on,
 * against the token-bucket bound; then a second run that must write nothing. Every point runs
 * `repeats` times on a fresh local AWS, and its baselines (the SDK script everywhere, the AWS CLI where
 * it is affordable) are measured on the same changes, never extrapolated.
 */
import { writeFileSync } from 'node:fs';
import { regionOfNode } from '../tasks/routing';
import type { AwsCli } from './aws-cli';
import { awsCliOnce, finished, sdkScriptOnce, series, type TimedBaseline } from './baselines';
import type { Change } from './change';
import { type FailoverRun, measureFailover } from './failover';
import { RAW_DIR, startBenchAws, writeConfig } from './harness';
import { type Bucket, orderedTokenBucketBoundMs, tokenBucketBoundMs } from './lower-bound';
import { type ScaleShape, scaleTopology } from './topologies';

/** One measured run of a scale point: a failover, then a second one that must write nothing. */
export interface ScaleRun {
  readonly executionMs: number;
  readonly wallMs: number;
  /** Write requests answered RequestLimitExceeded (then retried). */
  readonly throttled: number;
  readonly writes: number;
  readonly secondRunWrites: number;
  readonly secondRunMs: number;
}

export interface ScalePoint extends ScaleShape {
  readonly writes: number;
  /** The largest number of writes any one region+action bucket takes. */
  readonly maxBucketWrites: number;
  readonly latencyFloorMs: number;
  /** max over region+action of (writes - burst) / refill, plus the latency floor. */
  readonly boundMs: number;
  /** The same per step, summed over the steps (they run one after another). */
  readonly orderedBoundMs: number;
  /** Each run on a fresh local AWS (cold task function, full buckets). */
  readonly runs: ScaleRun[];
  /** Baseline 3, the SDK script, on the same changes. */
  readonly sdkScript: TimedBaseline;
  /** Baseline 1, the AWS CLI; `error` says why it was not measured at this point. */
  readonly awsCli: TimedBaseline;
  /** Set when a failover did not succeed (the runs before it are kept). */
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

export interface ScaleOptions {
  readonly bucket: Bucket;
  readonly repeats: number;
  readonly cli: AwsCli;
  /** Baseline 1 runs at points of at most this many writes (about 1 s of process start per write). */
  readonly awsCliMaxWrites: number;
}

const message = (error: unknown): string =>
  (error instanceof Error ? error.message : String(error)).split('\n').slice(0, 3).join(' ').slice(0, 300);

/**
 * One scale point: `repeats` runs, each a failover and a second one on a fresh local AWS, followed by a
 * run of each baseline on the first failover's changes (interleaved, so that all see the same load).
 */
export async function scalePoint(shape: ScaleShape, options: ScaleOptions): Promise<ScalePoint> {
  const topology = scaleTopology(shape);
  const config = writeConfig(topology);
  const models = { profile: 'realistic', throttle: { enabled: true, mutating: options.bucket } } as const;
  const origin = regionOfNode(topology, 'server-1');
  const runs: ScaleRun[] = [];
  const sdkScript = series();
  const awsCli = series();
  let first: FailoverRun | undefined;
  let changes: Change[] = [];
  let error: string | undefined;
  for (let i = 0; i < options.repeats && !error; i++) {
    const aws = await startBenchAws(topology, models);
    try {
      const run = await measureFailover(aws, topology, config, 'server-1');
      const second = await measureFailover(aws, topology, config, 'server-1');
      if (i === 0) {
        first = run;
        changes = run.changes.filter((c) => c.result === 'applied');
        writeFileSync(`${RAW_DIR}${topology.cluster}.json`, JSON.stringify({ first: run, second }, null, 1));
      }
      runs.push({
        executionMs: run.executionMs,
        wallMs: run.wallMs,
        throttled: run.throttled,
        writes: run.writes,
        secondRunWrites: second.writes,
        secondRunMs: second.executionMs,
      });
    } catch (e) {
      error = message(e);
    } finally {
      await aws.close();
    }
    if (!first) break;
    await sdkScriptOnce(sdkScript, topology, origin, changes, models);
    if (changes.length <= options.awsCliMaxWrites) {
      await awsCliOnce(awsCli, options.cli, topology, origin, changes, models);
    } else {
      awsCli.error ??= `not run at ${changes.length} writes (only up to ${options.awsCliMaxWrites}: one process per write)`;
    }
  }
  if (!first) {
    const notRun: TimedBaseline = { totalMs: [], error: 'the failover failed' };
    return { ...shape, ...FAILED, runs, sdkScript: notRun, awsCli: notRun, error: error ?? 'no run' };
  }
  const buckets = writesPerBucket(first.changes);
  return {
    ...shape,
    writes: first.writes,
    maxBucketWrites: Math.max(0, ...buckets.values()),
    latencyFloorMs: first.bound.totalMs,
    boundMs: tokenBucketBoundMs(buckets, options.bucket, first.bound.totalMs),
    orderedBoundMs: orderedTokenBucketBoundMs(
      writesPerStepBucket(first.changes),
      options.bucket,
      first.bound.totalMs,
    ),
    runs,
    sdkScript: finished(sdkScript),
    awsCli: finished(awsCli),
    ...(error ? { error } : {}),
  };
}

const FAILED = {
  writes: 0,
  maxBucketWrites: 0,
  latencyFloorMs: Number.NaN,
  boundMs: Number.NaN,
  orderedBoundMs: Number.NaN,
};
