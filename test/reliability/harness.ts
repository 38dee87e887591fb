/**
 * The reliability harness: local AWS in this process on a free port (latency models off, scaled
 * Step Functions retries, a small EC2 retry budget for the task handlers), vipctl as a child process,
 * and the three invariants every scenario checks afterwards:
 *  (a) no non-VIP route of any table changed (byte for byte against the routes before);
 *  (b) what the run reported holds in the world, by the reference route walker (test/oracle) over
 *      local AWS's raw state: SUCCEEDED reaches the target from every listed table, DEGRADED from
 *      every table of the target's region and of each region the run wrote;
 *  (c) every VIP route write the runs report is in the world, and no VIP route changed unreported.
 */

import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { TestContext } from 'vitest';
import { Executions, parseCause } from '../../cli/runs/executions';
import { loadRun, type RunRecord } from '../../cli/runs/run-record';
import { type LocalAws, type RouteRecord, startLocalAws } from '../../local';
import { localEnvironment } from '../../local/client-env';
import { executionName, stateMachineArn } from '../../tasks/execution-name';
import { regionOfNode, regionsOf } from '../../tasks/routing';
import { s3RecordReader } from '../../tasks/run-store';
import { loadTopology, type Topology } from '../../tasks/topology';
import { ensureBuilt as buildIfMissing } from '../e2e/local-harness';
import {
  fetchWorld,
  nonVipChanges,
  type RawWorld,
  readTopologyFile,
  unreachedFrom,
} from '../oracle/route-walker';
import { seededRandom } from '../support/seeded';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = `${ROOT}bin/vipctl.mjs`;
export const TWO_REGION = `${ROOT}examples/two-region.yaml`;
const MAXRSS = fileURLToPath(new URL('./maxrss.mjs', import.meta.url));
const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' } as const;
const JOURNAL = mkdtempSync(join(tmpdir(), 'vipctl-journal-'));

export interface Cluster {
  readonly local: LocalAws;
  readonly topology: Topology;
  readonly config: string;
  /** `vipctl` as a child process against this cluster's local AWS. */
  vipctl(args: readonly string[], options?: VipctlOptions): Promise<CliResult>;
  /** StartExecution through the SDK in `region` (default: the target's region); returns the ARN. */
  start(input: unknown, options?: { region?: string; name?: string; raw?: string }): Promise<string>;
  /** Polls until the execution is closed and returns what vipctl knows of it. */
  settle(arn: string, timeoutMs?: number): Promise<RunRecord>;
  executions: Executions;
  /** Sets the random source of local AWS's fault model (seed it per test; see test/support/seeded.ts). */
  useRandom(random: () => number): void;
  close(): Promise<void>;
}

export interface ClusterOptions {
  readonly config?: string;
  readonly active?: string;
  /** Retry budget of one EC2 call made by the task handlers. @default 2000 */
  readonly budgetMs?: number;
  /** Attempts of one EC2 call made by the task handlers. @default the adapter's (10) */
  readonly maxAttempts?: number;
  /** Clock of the task handlers' EC2 retry budgets (test/support/clock.ts). @default Date.now */
  readonly now?: () => number;
  readonly log?: (line: string) => void;
}

export interface VipctlOptions {
  readonly env?: Record<string, string>;
  readonly config?: string | null;
  readonly timeoutMs?: number;
  /** Report the child's peak memory (maxRSS, KiB) through a preloaded exit hook. */
  readonly measure?: boolean;
}

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
  /** KiB, when measured. */
  readonly maxRssKb?: number;
  readonly killed: boolean;
}

export const json = <T = Record<string, unknown>>(result: CliResult): T => JSON.parse(result.stdout) as T;

/** Builds the CLI when dist/ is missing (`npm test` builds it first); children run bin/vipctl.mjs. */
export async function ensureBuilt(): Promise<string> {
  buildIfMissing();
  return BIN;
}

export function baseEnv(url: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    ...localEnvironment(url),
    // Never the machine's journal of direct runs (/var/lib/...): one of this test file's own.
    VIPCTL_JOURNAL: JOURNAL,
    // Local AWS's metadata service answers at once; 1 s (the default) may not cover a loaded child's start-up.
    AWS_METADATA_SERVICE_TIMEOUT: '60',
    AWS_REGION: 'us-east-1',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}

export function runVipctl(
  args: readonly string[],
  env: Record<string, string>,
  options: { timeoutMs?: number; measure?: boolean; bin?: string } = {},
): Promise<CliResult> {
  const started = Date.now();
  const entry = options.bin ?? BIN;
  const node = options.measure ? ['--import', MAXRSS, entry] : [entry];
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...node, ...args],
      { cwd: ROOT, env, timeout: options.timeoutMs ?? 270_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error && typeof error.code === 'number' ? error.code : error ? -1 : 0;
        const rss = /\nvipctl-maxrss-kb=(\d+)\n?$/.exec(stderr);
        resolve({
          code,
          stdout,
          stderr: rss ? stderr.slice(0, rss.index) : stderr,
          ms: Date.now() - started,
          ...(rss ? { maxRssKb: Number(rss[1]) } : {}),
          killed: error?.killed === true,
        });
      },
    );
  });
}

export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  await ensureBuilt();
  const config = options.config ?? TWO_REGION;
  const topology = await loadTopology(config);
  let random = seededRandom(0);
  let unnamed = 0;
  const local = await startLocalAws({
    topology,
    active: options.active ?? 'server-a',
    port: 0,
    sfn: { retryIntervalScale: 0.05 },
    taskEc2: {
      budgetMs: options.budgetMs ?? 2000,
      throttlingBaseDelayMs: 50,
      ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}),
      ...(options.now ? { now: options.now } : {}),
    },
    random: () => random(),
    ...(options.log ? { log: options.log } : {}),
  });
  const sfnClients = new Map<string, SFNClient>();
  const sfn = (region: string) => {
    const client =
      sfnClients.get(region) ?? new SFNClient({ region, endpoint: local.url, credentials: CREDENTIALS });
    sfnClients.set(region, client);
    return client;
  };
  const records = s3RecordReader({ endpoint: local.url, forcePathStyle: true, credentials: CREDENTIALS });
  const executions = new Executions({
    sfn,
    cluster: topology.cluster,
    regions: regionsOf(topology),
    account: async () => local.account,
    now: () => new Date(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  });
  return {
    local,
    topology,
    config,
    executions,
    useRandom: (next) => {
      random = next;
    },
    vipctl: (args, o = {}) =>
      runVipctl(
        [...(o.config === null ? [] : ['--config', o.config ?? config]), ...args],
        { ...baseEnv(local.url), ...o.env },
        o,
      ),
    async start(input, o = {}) {
      const fields = (typeof input === 'object' && input !== null ? input : {}) as {
        target?: unknown;
        requestedAt?: unknown;
      };
      const target = typeof fields.target === 'string' ? fields.target : '';
      const region =
        o.region ?? (topology.nodes[target] ? regionOfNode(topology, target) : regionsOf(topology)[0]!);
      const name =
        o.name ??
        (typeof fields.requestedAt === 'string' && !Number.isNaN(Date.parse(fields.requestedAt)) && target
          ? executionName(target.slice(0, 40).replace(/[^A-Za-z0-9_-]/g, '_'), fields.requestedAt)
          : `input-${unnamed + 1}`);
      unnamed += 1;
      const out = await sfn(region).send(
        new StartExecutionCommand({
          stateMachineArn: stateMachineArn(topology.cluster, region, local.account),
          name,
          input: o.raw ?? JSON.stringify(input),
        }),
      );
      return out.executionArn ?? '';
    },
    async settle(arn, timeoutMs = 240_000) {
      const detail = await executions.wait(arn, { timeoutMs });
      if (detail.status === 'RUNNING') throw new Error(`${arn} still RUNNING after ${timeoutMs} ms`);
      return loadRun(executions, arn, { topology, read: records });
    },
    close: () => local.close(),
  };
}

// --- invariants ------------------------------------------------------------------------------------

/** Every route of every table, as local AWS holds them. */
/**
 * Every route of every table, as local AWS reports them (for VIP targets and the tests' own checks),
 * carrying the raw world state of that moment (`raw`, not enumerable, so `toEqual` compares routes
 * only) for invariant (a).
 */
export type RoutesBefore = RouteRecord[] & { readonly raw?: RawWorld };

export const routesOf = (cluster: Pick<Cluster, 'local'>): RoutesBefore => worldNow(cluster.local);

/** The routes of local AWS now, with the raw world state: for judging runs later. */
export const worldNow = (local: LocalAws): RoutesBefore =>
  Object.defineProperty(local.world.allRoutes(), 'raw', {
    // The JSON that the control API's GET /_local/state serves (fetchWorld), read synchronously.
    value: JSON.parse(JSON.stringify(local.world.snapshot())) as RawWorld,
    enumerable: false,
  });

const keyOf = (r: { table: string; destination?: string; vip?: string }) =>
  `${r.table}|${r.destination ?? r.vip}`;

export interface InvariantReport {
  readonly nonVipUnchanged: boolean;
  readonly traceAgrees: boolean;
  readonly reportedMatchesWorld: boolean;
  readonly problems: string[];
}

export interface InvariantOptions {
  /** `table|vip` keys the test itself changed (injected drift); they are not the runs' doing. */
  readonly injected?: readonly string[];
  /**
   * Judge (c) only on the routes of these tables: the cluster's own, when local AWS holds several
   * clusters (another cluster's VIP routes are not this cluster's runs' doing). @default every table
   */
  readonly tables?: ReadonlySet<string>;
  /** VIPs of the other clusters on the same local AWS: their routes are not non-VIP routes for (a). */
  readonly otherVips?: readonly string[];
  /** The world as the runs left it ({@link worldNow}), when more happened since. @default now */
  readonly after?: RoutesBefore;
}

/** A route write that a failed update step made before it stopped, as its error lists them. */
const WRITTEN = /^\s*(create|replace) (\S+) -> (\S+) in (\S+) \(([a-z0-9-]+)\)$/;

/** Applied writes of a run: the results of its update steps, plus those a failed step lists in its cause. */
export function appliedOf(run: RunRecord): { table: string; vip: string; target: string }[] {
  const fromResults = run.changes
    .filter((c) => c.result === 'applied')
    .map((c) => ({ table: c.table, vip: c.vip, target: c.target }));
  const cause = parseCause(run.failure?.cause).message;
  const section = cause.split(/written before the failure[^\n]*\n/)[1] ?? '';
  const fromCause = section
    .split('\n')
    .map((line) => WRITTEN.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ table: m[4]!, vip: m[2]!, target: m[3]! }));
  return [...fromResults, ...fromCause];
}

/**
 * Checks (a), (b) and (c) for `runs` (in the order they started) against the routes `before` them.
 * The outcome judged by (b) is the last run's.
 */
export async function checkInvariants(
  cluster: Pick<Cluster, 'local' | 'topology' | 'config'>,
  before: RoutesBefore,
  runs: readonly RunRecord[],
  options: InvariantOptions = {},
): Promise<InvariantReport> {
  const { topology } = cluster;
  const vips = new Set(topology.vips);
  const judged = (r: RouteRecord) => options.tables?.has(r.table) ?? true;
  const after = (options.after ?? routesOf(cluster)).filter(judged);
  const problems: string[] = [];

  // (a) byte for byte on the raw world state (the reference walker's read, test/oracle), not through
  // local AWS's own route listing.
  if (!before.raw)
    throw new Error('checkInvariants needs the routes before as routesOf(cluster) returns them');
  const rawAfter = options.after?.raw ?? (await fetchWorld(cluster.local.url));
  const nonVip = nonVipChanges(before.raw, rawAfter, [...topology.vips, ...(options.otherVips ?? [])]);
  const nonVipUnchanged = nonVip.length === 0;
  if (!nonVipUnchanged) problems.push(`(a) non-VIP routes changed:\n  ${nonVip.join('\n  ')}`);

  // (b) by the reference walker over the raw world (test/oracle), not by the product's own trace.
  let traceAgrees = true;
  const last = runs[runs.length - 1];
  const outcome = last?.detail.output?.status ?? last?.detail.status;
  const target = last?.detail.output?.target ?? last?.detail.input?.target;
  const walkTopology = readTopologyFile(cluster.config);
  const node = target ? walkTopology.nodes[target] : undefined;
  if (last && target && node && (outcome === 'SUCCEEDED' || outcome === 'DEGRADED')) {
    // A DEGRADED run promises the target's region and every region it wrote; the others may still
    // lead to the old node.
    const regions =
      outcome === 'DEGRADED'
        ? [
            ...new Set([
              node.region,
              ...last.changes.filter((c) => c.result === 'applied').map((c) => c.region),
            ]),
          ]
        : undefined;
    const unreached = unreachedFrom(rawAfter, walkTopology, target, regions ? { regions } : {});
    if (unreached.length > 0) {
      traceAgrees = false;
      const where = regions ? `in ${regions.join(', ')}` : 'everywhere';
      problems.push(`(b) run says ${outcome} to ${target}, but not ${where}:\n  ${unreached.join('\n  ')}`);
    }
  }

  // (c)
  const vipBefore = new Map(
    before.filter((r) => judged(r) && vips.has(r.destination)).map((r) => [keyOf(r), r.target]),
  );
  const vipAfter = new Map(after.filter((r) => vips.has(r.destination)).map((r) => [keyOf(r), r.target]));
  const applied = new Map<string, string[]>();
  for (const run of runs) {
    for (const a of appliedOf(run)) applied.set(keyOf(a), [...(applied.get(keyOf(a)) ?? []), a.target]);
  }
  const injected = new Set(options.injected ?? []);
  let reportedMatchesWorld = true;
  for (const key of new Set([...vipBefore.keys(), ...vipAfter.keys()])) {
    if (injected.has(key)) continue;
    const now = vipAfter.get(key);
    const writes = applied.get(key) ?? [];
    if (vipBefore.get(key) !== now && !writes.includes(now ?? '')) {
      reportedMatchesWorld = false;
      problems.push(`(c) ${key} changed ${vipBefore.get(key)} -> ${now} but no run reports that write`);
    }
    if (writes.length > 0 && !writes.includes(now ?? '')) {
      reportedMatchesWorld = false;
      problems.push(`(c) ${key}: runs report writing ${writes.join(', ')}, world has ${now}`);
    }
    if (runs.length === 1 && writes.length > 0 && writes[writes.length - 1] !== now) {
      reportedMatchesWorld = false;
      problems.push(`(c) ${key}: the run reports ${writes[writes.length - 1]}, world has ${now}`);
    }
  }
  return { nonVipUnchanged, traceAgrees, reportedMatchesWorld, problems };
}

// --- the summary table -----------------------------------------------------------------------------

export interface ScenarioSummary {
  readonly scenario: string;
  readonly outcome: string;
  readonly invariants: string;
}

declare module 'vitest' {
  interface TaskMeta {
    reliability?: ScenarioSummary;
  }
}

/** Records a scenario's row for the reliability report (test/reliability/reporter.ts). */
export function record(
  context: Pick<TestContext, 'task'>,
  scenario: string,
  outcome: string,
  report?: InvariantReport,
): void {
  const invariants = report
    ? report.problems.length === 0
      ? 'a b c held'
      : `VIOLATED: ${[
          report.nonVipUnchanged ? '' : 'a',
          report.traceAgrees ? '' : 'b',
          report.reportedMatchesWorld ? '' : 'c',
        ].join('')}`
    : '-';
  context.task.meta.reliability = { scenario, outcome, invariants };
}
