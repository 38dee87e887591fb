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
import type { Change } from './failover';
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

/** Runs `run` `repeats` times on a fresh local AWS each; the first failure ends the baseline. */
async function timed(
  repeats: number,
  topology: Topology,
  models: ModelPatch,
  run: (url: string) => Promise<{ ms: number; retries?: number }>,
): Promise<TimedBaseline> {
  const totalMs: number[] = [];
  const retries: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const local = await freshAws(topology, models);
    try {
      const result = await run(local.url);
      totalMs.push(result.ms);
      if (result.retries !== undefined) retries.push(result.retries);
    } catch (error) {
      return { totalMs, error: message(error) };
    } finally {
      await local.close();
    }
  }
  return retries.length > 0 ? { totalMs, retries } : { totalMs };
}

/** Baseline 1 for `changes`, or the reason it cannot run. */
export function awsCliBaseline(
  cli: AwsCli,
  topology: Topology,
  origin: string,
  changes: readonly Change[],
  models: ModelPatch,
  repeats: number,
): Promise<TimedBaseline> {
  if ('error' in cli) return Promise.resolve({ totalMs: [], error: cli.error });
  return timed(repeats, topology, models, async (url) => ({
    ms: await awsCliRun(cli, url, origin, changes),
  }));
}

/** Baseline 3 for `changes`: the script as its own process, timed from spawn to exit. */
export function sdkScriptBaseline(
  topology: Topology,
  origin: string,
  changes: readonly Change[],
  models: ModelPatch,
  repeats: number,
): Promise<TimedBaseline> {
  const input = `${RAW_DIR}sdk-script-input.json`;
  return timed(repeats, topology, models, async (url) => {
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

/** Baseline 2: aws-vpc-move-ip's `start` on `target`, and what it left undone of `changes`. */
export async function moveIpBaseline(
  cli: AwsCli,
  topology: Topology,
  target: string,
  changes: readonly Change[],
  models: ModelPatch,
  repeats: number,
): Promise<MoveIpBaseline> {
  const empty = { runs: [], left: [], failoverChanges: changes.length };
  const missing = 'error' in cli ? `the agent calls the AWS CLI: ${cli.error}` : moveIpMissing();
  if (missing || 'error' in cli) return { ...empty, error: missing };
  const runs: MoveIpRun[] = [];
  let left: MoveIpBaseline['left'] = [];
  for (let i = 0; i < repeats; i++) {
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
      runs.push({ ...run, writes: local.models.stats().writes });
      if (run.error)
        return { runs, left, failoverChanges: changes.length, error: `exit ${run.exitCode}: ${run.error}` };
      left = changes
        .filter((c) => local.world.findRoute(c.region, c.table, c.vip)?.target !== c.target)
        .map(({ table, kind, region }) => ({ table, kind, region }));
    } catch (error) {
      return { runs, left, failoverChanges: changes.length, error: message(error) };
    } finally {
      await local.close();
    }
  }
  return { runs, left, failoverChanges: changes.length };
}
