/**
 * The baselines, measured side by side with vipctl in the same run, each on a fresh local AWS with the
 * same models (latency, TLS setup, token buckets) and the same starting routes:
 * 1. the AWS CLI, one process per call (bench/aws-cli.ts);
 * 2. ClusterLabs' aws-vpc-move-ip `start` (bench/move-ip.ts), on the seed only;
 * 3. one Node.js process with the SDK and keep-alive connections, calls one after another
 *    (bench/sdk-script.mjs): the strongest naive script.
 * 1 and 3 make exactly the route changes vipctl's failover made, in its order, from the target's region.
 */
import { writeFileSync } from 'node:fs';
import { type ModelPatch, ORIGIN_HEADER, startLocalAws } from '../local/index';
import type { Topology } from '../tasks/topology';
import { type AwsCli, awsCliRun } from './aws-cli';
import type { Change } from './change';
import { awsEnv, RAW_DIR, spawnNode } from './harness';
import { type MoveIpRun, moveIpMissing, moveIpStart } from './move-ip';

/** A timed baseline: one wall time per run, or why it did not run. */
export interface TimedBaseline {
  readonly totalMs: number[];
  /** Requests sent beyond one per change (throttled calls retried), per run. */
  readonly retries?: number[];
  /** Set when the baseline could not run or failed; no figure is then reported. */
  readonly error?: string;
}

export interface MoveIpBaseline {
  readonly runs: MoveIpRun[];
  /** The route changes of vipctl's failover that the agent's run left undone (same in every run). */
  readonly left: { readonly table: string; readonly kind: Change['kind']; readonly region: string }[];
  /** The route changes vipctl's failover made. */
  readonly failoverChanges: number;
  readonly error?: string;
}

/**
 * The SDK script's retry budget: the SDK's standard retry mode with 10 attempts (the default is 3:
 * https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html), and past them (or past
 * the SDK's retry quota) a 1 s wait and another send while EC2 answers RequestLimitExceeded: a script
 * that gives up under the token buckets is no baseline.
 */
export const SDK_SCRIPT_MAX_ATTEMPTS = 10;

const message = (error: unknown): string =>
  (error instanceof Error ? error.message : String(error)).split('\n').slice(0, 3).join(' ').slice(0, 300);

/** A fresh local AWS (EC2 only) with `models`, the first node active, for one baseline run. */
async function freshAws(topology: Topology, models: ModelPatch) {
  const local = await startLocalAws({ topology, port: 0, sfn: false });
  local.models.update(models);
  return local;
}

/**
 * A baseline's runs as they accumulate. The benchmarks interleave them with vipctl's runs (run i of
 * vipctl, then run i of each baseline), so that every series sees the same machine load.
 */
export interface Series {
  totalMs: number[];
  retries: number[];
  error?: string;
}

export const series = (): Series => ({ totalMs: [], retries: [] });

/** The series as reported: no retries field when the baseline counts none. */
export function finished(s: Series): TimedBaseline {
  return {
    totalMs: s.totalMs,
    ...(s.retries.length > 0 ? { retries: s.retries } : {}),
    ...(s.error ? { error: s.error } : {}),
  };
}

/** One run of a baseline on a fresh local AWS; after a failure the series takes no more runs. */
async function once(
  into: Series,
  topology: Topology,
  models: ModelPatch,
  run: (url: string) => Promise<{ ms: number; retries?: number }>,
): Promise<void> {
  if (into.error) return;
  const local = await freshAws(topology, models);
  try {
    const result = await run(local.url);
    into.totalMs.push(result.ms);
    if (result.retries !== undefined) into.retries.push(result.retries);
  } catch (error) {
    into.error = message(error);
  } finally {
    await local.close();
  }
}

/** One run of baseline 1 for `changes`; without an AWS CLI the series records why. */
export async function awsCliOnce(
  into: Series,
  cli: AwsCli,
  topology: Topology,
  origin: string,
  changes: readonly Change[],
  models: ModelPatch,
): Promise<void> {
  if ('error' in cli) {
    into.error ??= cli.error;
    return;
  }
  await once(into, topology, models, async (url) => ({ ms: await awsCliRun(cli, url, origin, changes) }));
}

/** One run of baseline 3 for `changes`: the script as its own process, timed from spawn to exit. */
export async function sdkScriptOnce(
  into: Series,
  topology: Topology,
  origin: string,
  changes: readonly Change[],
  models: ModelPatch,
): Promise<void> {
  const input = `${RAW_DIR}sdk-script-input.json`;
  await once(into, topology, models, async (url) => {
    writeFileSync(
      input,
      JSON.stringify({
        endpoint: url,
        origin,
        originHeader: ORIGIN_HEADER,
        maxAttempts: SDK_SCRIPT_MAX_ATTEMPTS,
        changes: changes.map(({ kind, region, table, vip, target }) => ({
          kind,
          region,
          table,
          vip,
          target,
        })),
      }),
    );
    const run = await spawnNode(['bench/sdk-script.mjs', input], awsEnv(url), 900_000);
    if (run.code !== 0)
      throw new Error(`sdk-script.mjs exited ${run.code}: ${run.stderr.trim().slice(-300)}`);
    const { calls, attempts } = JSON.parse(run.stdout) as { calls: number; attempts: number };
    return { ms: run.wallMs, retries: attempts - calls };
  });
}

/** Baseline 2's runs as they accumulate. */
export interface MoveIpSeries {
  runs: MoveIpRun[];
  left: MoveIpBaseline['left'];
  failoverChanges: number;
  error?: string;
}

export const moveIpSeries = (failoverChanges: number): MoveIpSeries => ({
  runs: [],
  left: [],
  failoverChanges,
});

/** One run of aws-vpc-move-ip's `start` on `target`, and what it left undone of `changes`. */
export async function moveIpOnce(
  into: MoveIpSeries,
  cli: AwsCli,
  topology: Topology,
  target: string,
  changes: readonly Change[],
  models: ModelPatch,
): Promise<void> {
  if (into.error) return;
  const missing = 'error' in cli ? `the agent calls the AWS CLI: ${cli.error}` : moveIpMissing();
  if (missing || 'error' in cli) {
    into.error = missing;
    return;
  }
  const local = await freshAws(topology, models);
  try {
    const callsOf = () => {
      const calls: Record<string, number> = {};
      for (const perRegion of Object.values(local.models.stats().calls)) {
        for (const [action, n] of Object.entries(perRegion)) calls[action] = (calls[action] ?? 0) + n;
      }
      return calls;
    };
    const run = await moveIpStart(cli, local.url, topology, target, callsOf);
    into.runs.push({ ...run, writes: local.models.stats().writes });
    if (run.error) {
      into.error = `exit ${run.exitCode}: ${run.error}`;
      return;
    }
    into.left = changes
      .filter((c) => local.world.findRoute(c.region, c.table, c.vip)?.target !== c.target)
      .map(({ table, kind, region }) => ({ table, kind, region }));
  } catch (error) {
    into.error = message(error);
  } finally {
    await local.close();
  }
}
