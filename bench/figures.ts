/**
 * What a benchmark run's results say, as numbers and verdicts: the goals and whether each is met, the
 * medians, the CLI's floor, the timeline. bench/report.ts puts them into words (bench/RESULTS.md).
 */
import { profileSettings } from '../local/models';
import type { TimedBaseline } from './baselines';
import type { BundleResult } from './bundle';
import type { TimelineBar } from './charts';
import type { FailoverRun, SeedResult } from './failover';
import { allOf, ceilingGoal, type GoalResult, ratioGoal, speedUpGoal } from './goals';
import { type Bucket, latencyMs } from './lower-bound';
import type { ScalePoint } from './scale';
import type { StartupResult } from './startup';
import { max, median, min } from './stats';
import type { ScaleShape } from './topologies';
/** What a mode measures (bench/run.ts), kept with the results so the report can say it. */
export interface BenchPlan {
  readonly mode: string;
  readonly seedRepeats: number;
  readonly scaleRepeats: number;
  readonly bucket: Bucket;
  readonly shapes: readonly ScaleShape[];
  /** Baseline 1 runs at scale points of at most this many writes. */
  readonly awsCliMaxWrites: number;
  readonly startupRepeats: number;
  readonly bundleRepeats: number;
  /** The run time the plan is sized for, s. */
  readonly targetS: number;
}

export interface BenchResults {
  readonly mode: string;
  readonly date: string;
  readonly durationS: number;
  readonly machine: {
    cpu: string;
    cores: number;
    node: string;
    platform: string;
    /** The 1-minute load average when the measurements began and when they ended. */
    loadStart?: number;
    loadEnd?: number;
  };
  readonly plan: BenchPlan;
  /** The AWS CLI of baselines 1 and 2, or why there is none. */
  readonly awsCli: { readonly version?: string; readonly error?: string };
  readonly failover: SeedResult;
  readonly scale: ScalePoint[];
  readonly startup: StartupResult;
  readonly bundle: BundleResult;
}

/** The goals of the benchmark (issue "benchmarks a skeptic accepts"). */
export const GOALS = {
  seedRatio: 1.3,
  at500Ratio: 1.15,
  at500Writes: 500,
  speedUpVsCli: 3,
  checkWallMs: 600,
  checkPeakRssMiB: 100,
  toStartExecutionMs: 300,
} as const;

/** The realistic profile's figures, imported from the model itself (local/models.ts), never copied. */
export const REALISTIC = profileSettings('realistic');
export const SCRIPT_ORIGIN = 'ap-southeast-1';

export const ms = (value: number): string =>
  Number.isFinite(value) ? `${Math.round(value).toLocaleString('en-US')} ms` : 'n/a';
export const s = (value: number): string => `${(value / 1000).toFixed(1)} s`;
export const x = (value: number): string => `${value.toFixed(2)}x`;
/** "1.20x", or "1.10x–1.35x" when the values differ. */
export const xRange = (values: readonly number[]): string =>
  x(min(values)) === x(max(values)) ? x(min(values)) : `${x(min(values))}–${x(max(values))}`;
/** Seconds, median (min–max). */
export const seconds = (values: readonly number[]): string =>
  `${(median(values) / 1000).toFixed(1)} s (${(min(values) / 1000).toFixed(1)}–${(max(values) / 1000).toFixed(1)})`;
export const spread = (values: readonly number[]): string =>
  `${ms(median(values))} (${Math.round(min(values))}–${Math.round(max(values))})`;
export const row = (cells: readonly (string | number)[]): string => `| ${cells.join(' | ')} |`;
export const table = (head: readonly string[], rows: readonly (readonly (string | number)[])[]): string =>
  [row(head), row(head.map(() => '---')), ...rows.map(row)].join('\n');

export const rtt = (region: string, origin: string) => latencyMs(REALISTIC, region, origin);
export const crossRegion = [REALISTIC.latency.crossRegionMs, ...Object.values(REALISTIC.latency.pairs)];
export const pairs = Object.entries(REALISTIC.latency.pairs)
  .map(([pair, value]) => `${pair.replace('|', '↔')} ${value} ms`)
  .join(', ');

/** The failover run whose execution time is the median one (for the timeline and the counts). */
export function medianRun(results: BenchResults): FailoverRun {
  const runs = [...results.failover.runs].sort((a, b) => a.executionMs - b.executionMs);
  const run = runs[Math.floor((runs.length - 1) / 2)];
  if (!run) throw new Error('no failover runs');
  return run;
}

/** A scale point's figures over its runs: medians, and the worst second run. */
export function pointFigures(p: ScalePoint) {
  return {
    executionMs: median(p.runs.map((r) => r.executionMs)),
    wallMs: median(p.runs.map((r) => r.wallMs)),
    throttled: median(p.runs.map((r) => r.throttled)),
    secondRunWrites: max(p.runs.map((r) => r.secondRunWrites)),
  };
}

/** The median of a baseline that ran, else undefined. */
export function baselineMedian(b: TimedBaseline | undefined): number | undefined {
  return b && !b.error && b.totalMs.length > 0 ? median(b.totalMs) : undefined;
}

/** The convergence chart's points: vipctl, both bounds and every measured baseline, per point. */
export function convergencePoints(r: BenchResults): { writes: number; series: string; seconds: number }[] {
  return r.scale
    .filter((p) => !p.error)
    .flatMap((p) => {
      const f = pointFigures(p);
      const points = [
        { writes: p.writes, series: 'vipctl failover (wall)', seconds: f.wallMs / 1000 },
        { writes: p.writes, series: 'ordered token-bucket bound', seconds: p.orderedBoundMs / 1000 },
      ];
      const sdk = baselineMedian(p.sdkScript);
      if (sdk !== undefined)
        points.push({ writes: p.writes, series: 'baseline 3: SDK script', seconds: sdk / 1000 });
      const cli = baselineMedian(p.awsCli);
      if (cli !== undefined)
        points.push({ writes: p.writes, series: 'baseline 1: AWS CLI', seconds: cli / 1000 });
      return points;
    });
}

/** Which regime of the mutating bucket a point is in. */
export function regime(p: Pick<ScalePoint, 'maxBucketWrites'>, bucket: Bucket): string {
  if (p.maxBucketWrites < bucket.burst) return 'under the burst';
  if (p.maxBucketWrites === bucket.burst) return 'exactly the burst';
  return 'throttled';
}

/** The CLI's own floor: a node process, StartExecution on a new connection, one final poll. */
export function cliFloorParts(nodeStartMs: number, origin: string): { startMs: number; pollMs: number } {
  return {
    startMs: nodeStartMs + (1 + REALISTIC.tlsHandshakeRtts) * rtt(origin, origin),
    pollMs: rtt(origin, origin),
  };
}

/** The scale point closest to 500 writes among those that succeeded with 450–550 writes. */
export function pointNear500(scale: readonly ScalePoint[]): ScalePoint | undefined {
  return scale
    .filter((p) => !p.error && Math.abs(p.writes - GOALS.at500Writes) <= 50)
    .sort((a, b) => Math.abs(a.writes - GOALS.at500Writes) - Math.abs(b.writes - GOALS.at500Writes))[0];
}

/** Every goal, met or missed, with the reason computed from the results. */
export function goalResults(r: BenchResults): GoalResult[] {
  const runs = r.failover.runs;
  const run = medianRun(r);
  const origin = run.changes.find((c) => c.step === 'local-vpc')?.region ?? SCRIPT_ORIGIN;
  const floor = cliFloorParts(median(r.startup.nodeStartMs), origin);
  const wall = median(runs.map((x) => x.wallMs));
  const seed = ratioGoal(
    'seed failover, cold, end to end, against the lower bound plus the CLI floor',
    wall,
    run.bound.totalMs + floor.startMs + floor.pollMs,
    GOALS.seedRatio,
    [
      { name: 'process start → StartExecution', ms: median(runs.map((x) => x.cliToStartMs)) - floor.startMs },
      { name: 'execution', ms: median(runs.map((x) => x.executionMs)) - run.bound.totalMs },
      { name: 'execution end → exit', ms: median(runs.map((x) => x.tailMs)) - floor.pollMs },
    ],
  );
  const near = pointNear500(r.scale);
  const failedScale = r.scale.filter((p) => p.error);
  const at500 = near
    ? (() => {
        const f = pointFigures(near);
        const goal = ratioGoal(
          `${near.writes} writes (${near.tablesPerRegion} tables/region, ${near.vips} VIPs, ${near.regions} regions) against the ordered token-bucket bound`,
          f.executionMs,
          near.orderedBoundMs,
          GOALS.at500Ratio,
          [{ name: 'execution', ms: f.executionMs - near.orderedBoundMs }],
        );
        return {
          ...goal,
          reason: `${goal.reason}; median of ${near.runs.length} runs, ${f.throttled} write(s) throttled and retried, ${near.maxBucketWrites} on the busiest bucket`,
        };
      })()
    : {
        goal: `${GOALS.at500Writes} writes against the ordered token-bucket bound`,
        figure: 'n/a',
        limit: `≤ ${GOALS.at500Ratio.toFixed(2)}x`,
        met: null,
        reason:
          `no scale point of this run made ${GOALS.at500Writes - 50}–${GOALS.at500Writes + 50} writes` +
          (failedScale.length > 0
            ? `; failed: ${failedScale.map((p) => `${p.tablesPerRegion}×${p.vips}×${p.regions} (${p.error})`).join('; ')}`
            : ''),
      };
  const cli = r.failover.baselines.awsCli;
  const speedUp = speedUpGoal(
    'seed failover, cold, end to end, against baseline 1 (AWS CLI, one process per call)',
    baselineMedian(cli),
    wall,
    GOALS.speedUpVsCli,
    `baseline 1 did not run: ${cli.error ?? 'no runs'}`,
  );
  const rss = r.startup.checkPeakRssKiB;
  const check = allOf('`vipctl check` on the seed, latency off', [
    ceilingGoal('wall', median(r.startup.checkWallMs), GOALS.checkWallMs, 'ms', [
      { name: 'bare node start', ms: median(r.startup.nodeStartMs) },
    ]),
    ceilingGoal(
      'peak RSS',
      rss && rss.length > 0 ? median(rss) / 1024 : undefined,
      GOALS.checkPeakRssMiB,
      'MiB',
    ),
  ]);
  const toStart = ceilingGoal(
    '`vipctl failover` process start → StartExecution, latency off',
    median(r.startup.toStartExecutionMs),
    GOALS.toStartExecutionMs,
    'ms',
    [{ name: 'bare node start', ms: median(r.startup.nodeStartMs) }],
  );
  return [seed, at500, speedUp, check, toStart];
}

export function timelineBars(results: BenchResults): TimelineBar[] {
  const run = medianRun(results);
  const offset = run.cliToStartMs;
  return [
    { step: 'vipctl start → StartExecution', startMs: 0, endMs: offset, part: 'CLI' },
    ...run.steps.map((step) => ({
      step: step.name,
      startMs: offset + step.startMs,
      endMs: offset + Math.max(step.endMs, step.startMs + 5),
      part: step.type === 'Task' ? 'Lambda task' : 'state',
    })),
    { step: 'last poll → exit', startMs: offset + run.executionMs, endMs: run.wallMs, part: 'CLI' },
  ];
}
