/**
 * Twenty clusters in one account fail over at the same moment, with the documented Step Functions
 * and EC2 request buckets on: one local AWS holds 20 copies of the seed topology (IDs and VIP of their
 * own), and 20 `vipctl failover` processes start together. Every run must end SUCCEEDED and the three
 * invariants of the suite must hold for each cluster, on its own tables.
 *
 * Why it matters: the buckets are per account and region, not per cluster. Outside us-east-1,
 * us-west-2 and eu-west-1, ListExecutions is 100 burst / 2 per s and DescribeExecution 250 / 10 per s
 * (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html#service-limits-api-action-throttling-general),
 * and every run's stale-run guard lists the runs of every cluster region before Plan and before each
 * update step, while every CLI polls DescribeExecution. About 3 minutes on two shared cores: it runs in
 * `npm run test:reliability` only (VIP_FULL_RELIABILITY=1).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { Executions } from '../../cli/runs/executions';
import { loadRun, type RunRecord } from '../../cli/runs/run-record';
import { type LocalAws, type LocalStats, startLocalAws } from '../../local';
import { stateMachineArn as stateMachineArnOf } from '../../tasks/execution-name';
import { regionsOf, tablesOf } from '../../tasks/routing';
import { s3RecordReader } from '../../tasks/run-store';
import { loadTopology, type Topology } from '../../tasks/topology';
import { seededRandom } from '../support/seeded';
import {
  baseEnv,
  type CliResult,
  checkInvariants,
  ensureBuilt,
  type InvariantReport,
  json,
  type RoutesBefore,
  record,
  runVipctl,
  TWO_REGION,
  worldNow,
} from './harness';

const CLUSTERS = 20;
const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' } as const;

/** Cluster `index`'s copy of the seed topology: every AWS ID ends in the cluster's number, one VIP each. */
function clusterCopy(seed: Topology, index: number): Topology {
  const suffix = index.toString(16).padStart(2, '0');
  const id = (value: string) => `${value.slice(0, -2)}${suffix}`;
  const text = JSON.stringify(seed).replace(
    /"((?:eni|i|vpc|rtb|tgw-attach|tgw-rtb|tgw)-[0-9a-f]{8,17})"/g,
    (_, value: string) => JSON.stringify(id(value)),
  );
  const copy = JSON.parse(text) as Topology;
  return { ...copy, cluster: `${seed.cluster}-${suffix}`, vips: [`172.16.0.${index + 1}/32`] };
}

let local: LocalAws;
let topologies: Topology[];
let configs: string[];

beforeAll(async () => {
  await ensureBuilt();
  const seed = await loadTopology(TWO_REGION);
  const dir = mkdtempSync(join(tmpdir(), 'vip-clusters-'));
  topologies = Array.from({ length: CLUSTERS }, (_, i) => clusterCopy(seed, i));
  configs = topologies.map((topology, i) => {
    const file = join(dir, `cluster-${i}.yaml`);
    writeFileSync(file, stringify(topology));
    return file;
  });
  const [first, ...others] = topologies as [Topology, ...Topology[]];
  local = await startLocalAws({
    topology: first,
    clusters: others,
    active: 'server-a',
    port: 0,
    sfn: { retryIntervalScale: 0.05 },
    // 20 runs in this process and 20 CLIs on two shared cores starve local AWS of CPU for seconds: the
    // stale-run guard waits longer for an answer than the deployed function (3 s per request, 8 s in
    // all), so that a busy machine is not taken for a region whose Step Functions API does not answer
    // (which the guard skips, and then would not be tested).
    taskSfn: { requestTimeoutMs: 30_000 },
    taskGuard: { budgetMs: 30_000 },
    random: seededRandom(11),
  });
}, 120_000);

afterAll(async () => {
  await local?.close();
});

const perRegion = (counts: LocalStats['calls'], action: string) =>
  Object.fromEntries(Object.entries(counts).map(([region, actions]) => [region, actions[action] ?? 0]));

interface Wave {
  readonly target: string;
  readonly results: CliResult[];
  readonly stats: LocalStats;
  readonly before: RoutesBefore;
  readonly after: RoutesBefore;
}

/**
 * Takes ListExecutions tokens in `region` until Step Functions throttles: the account's other callers
 * (dashboards, other workflows' tooling) have emptied the bucket. Returns the calls it took.
 */
async function drainListExecutions(region: string): Promise<number> {
  const client = new SFNClient({ region, endpoint: local.url, credentials: CREDENTIALS, maxAttempts: 1 });
  const stateMachineArn = stateMachineArnOf(topologies[0]!.cluster, region, local.account);
  for (let calls = 1; ; calls++) {
    try {
      await client.send(new ListExecutionsCommand({ stateMachineArn, maxResults: 1 }));
    } catch (error) {
      if ((error as { name?: string }).name === 'ThrottlingException') return calls;
      throw error;
    }
  }
}

/** Every cluster's node runs `vipctl failover --to <target>` at the same moment; waits for all to exit. */
async function wave(target: string): Promise<Wave> {
  local.models.resetStats();
  const before = worldNow(local);
  const results = await Promise.all(
    configs.map((config) =>
      runVipctl(
        ['--config', config, 'failover', '--to', target, '--json', '--timeout', '240'],
        baseEnv(local.url),
        { timeoutMs: 280_000 },
      ),
    ),
  );
  return { target, results, stats: local.models.stats(), before, after: worldNow(local) };
}

/** Each cluster's run, and the invariants on its own tables. */
async function judge(w: Wave): Promise<{ runs: RunRecord[]; held: InvariantReport }> {
  const runs: RunRecord[] = [];
  const reports: InvariantReport[] = [];
  const read = s3RecordReader({ endpoint: local.url, forcePathStyle: true, credentials: CREDENTIALS });
  for (const [i, result] of w.results.entries()) {
    expect(result.code, `cluster ${i} to ${w.target}: ${result.stderr}${result.stdout.slice(0, 4000)}`).toBe(
      0,
    );
    const report = json<{ status: string; run: { arn: string } }>(result);
    expect(report.status).toBe('SUCCEEDED');
    const topology = topologies[i]!;
    const executions = new Executions({
      sfn: (region) => new SFNClient({ region, endpoint: local.url, credentials: CREDENTIALS }),
      cluster: topology.cluster,
      regions: regionsOf(topology),
      account: async () => local.account,
      now: () => new Date(),
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    });
    const run = await loadRun(executions, report.run.arn, { topology, read });
    runs.push(run);
    const tables = new Set(tablesOf(topology).map((ref) => ref.table));
    const invariants = await checkInvariants({ local, topology, config: configs[i]! }, w.before, [run], {
      tables,
      otherVips: topologies.flatMap((t) => (t === topology ? [] : t.vips)),
      after: w.after,
    });
    reports.push({ ...invariants, problems: invariants.problems.map((p) => `${topology.cluster}: ${p}`) });
  }
  const held = {
    nonVipUnchanged: reports.every((r) => r.nonVipUnchanged),
    traceAgrees: reports.every((r) => r.traceAgrees),
    reportedMatchesWorld: reports.every((r) => r.reportedMatchesWorld),
    problems: reports.flatMap((r) => r.problems),
  };
  return { runs, held };
}

/** The figures of a wave: run durations, CLI wall times, Step Functions calls and throttles. */
function figures(w: Wave, runs: readonly RunRecord[]): { line: string; summary: string } {
  const seconds = runs.map(
    (r) => ((r.detail.stoppedAt ?? new Date()).getTime() - r.detail.startedAt.getTime()) / 1000,
  );
  const cli = w.results.map((r) => r.ms / 1000);
  const throttled = w.stats.throttledCalls;
  const throttles = Object.values(throttled)
    .flatMap((actions) => Object.values(actions))
    .reduce((sum, n) => sum + n, 0);
  const skipped = runs.flatMap((r) => r.guardSkipped.flatMap((s) => s.skipped)).length;
  const fmt = (values: readonly number[]) =>
    `${Math.min(...values).toFixed(1)}-${Math.max(...values).toFixed(1)} s`;
  const line = [
    `20 clusters to ${w.target}: runs ${fmt(seconds)} (${seconds.map((s) => s.toFixed(1)).join(' ')})`,
    `  vipctl failover ${fmt(cli)}`,
    `  ListExecutions ${JSON.stringify(perRegion(w.stats.calls, 'ListExecutions'))}, of which the stale-run guard ${JSON.stringify(perRegion(w.stats.taskCalls, 'ListExecutions'))}`,
    `  DescribeExecution ${JSON.stringify(perRegion(w.stats.calls, 'DescribeExecution'))}`,
    `  throttled ${JSON.stringify(throttled)}`,
  ].join('\n');
  return {
    line: `${line}\n  regions the guard skipped (no answer): ${skipped}`,
    summary: `runs ${fmt(seconds)}, ${throttles} throttled, ${skipped} guard skips`,
  };
}

describe.runIf(process.env.VIP_FULL_RELIABILITY === '1')('20 clusters in one account', () => {
  it('fail over at the same moment, then fail back at once, Step Functions throttling on -> every run SUCCEEDED, a b c held for each', async (ctx) => {
    // Prepare: the documented buckets of both services, full; distinct IDs, so nothing is shared.
    const ids = new Set(topologies.flatMap((t) => tablesOf(t).map((ref) => ref.table)));
    expect(ids.size).toBe(CLUSTERS * tablesOf(topologies[0]!).length);
    local.models.update({ sfnThrottle: { enabled: true }, throttle: { enabled: true } });

    // Act: every cluster's node fails over at once. Then every cluster fails back at once, right after
    // another caller of the account has emptied ListExecutions' bucket in ap-southeast-1 (100 burst,
    // 2 per s): the guard listings there (80) wait for the refill, far longer than a few retries would.
    const out = await wave('server-b');
    const drained = await drainListExecutions('ap-southeast-1');
    const back = await wave('server-a');
    // The test's own reads of the records must not compete with the runs' buckets.
    local.models.update({ sfnThrottle: { enabled: false }, throttle: { enabled: false } });

    // Assess: every CLI saw SUCCEEDED; every run's record holds the invariants on its own tables.
    const rows: string[] = [];
    const held: InvariantReport[] = [];
    for (const w of [out, back]) {
      const judged = await judge(w);
      expect(judged.held.problems).toEqual([]);
      expect(judged.runs.map((r) => r.detail.status)).toEqual(Array(CLUSTERS).fill('SUCCEEDED'));
      const f = figures(w, judged.runs);
      console.log(
        w === back ? `(ListExecutions in ap-southeast-1 emptied first: ${drained} calls)\n${f.line}` : f.line,
      );
      rows.push(
        `to ${w.target}${w === back ? ' (ListExecutions bucket emptied first)' : ''}: 20/20 SUCCEEDED, ${f.summary}`,
      );
      held.push(judged.held);
    }
    record(ctx, '20 clusters fail over, then back, at once (SFN + EC2 buckets)', rows.join('; '), {
      nonVipUnchanged: held.every((r) => r.nonVipUnchanged),
      traceAgrees: held.every((r) => r.traceAgrees),
      reportedMatchesWorld: held.every((r) => r.reportedMatchesWorld),
      problems: held.flatMap((r) => r.problems),
    });
  }, 600_000);
});
