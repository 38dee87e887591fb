import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Change } from '../../bench/change';
import type { FailoverRun } from '../../bench/failover';
import {
  type BenchResults,
  baselineMedian,
  baselineSentence,
  convergencePoints,
  goalResults,
  guardWindowLine,
  headlineLines,
  leftSummary,
  loadSentence,
  pointFigures,
  regime,
  renderResults,
} from '../../bench/report';
import type { ScalePoint } from '../../bench/scale';
import { GUARD_WINDOW_MS } from '../../tasks/stale-run-guard';

const change = (region: string, kind: Change['kind'], step: string, target: string): Change => ({
  table: `${kind}-${region}`,
  kind,
  region,
  vip: '172.16.0.1/32',
  step,
  target,
  result: 'applied',
});

const seedChanges = [
  change('ap-southeast-1', 'vpc', 'local-vpc', 'eni-b'),
  change('ap-southeast-1', 'tgw', 'tgw', 'tgw-attach-b'),
  change('us-east-1', 'vpc', 'remote-vpc', 'tgw-a'),
];

/** One seed failover: 3,000 ms wall, of which 2,000 ms execution; bound 1,600 ms. */
const failoverRun = (wallMs: number): FailoverRun => ({
  wallMs,
  cliToStartMs: 500,
  executionMs: wallMs - 1000,
  tailMs: 500,
  steps: [{ name: 'Plan', type: 'Task', startMs: 0, endMs: 800 }],
  reads: 10,
  writes: 3,
  writeCalls: 3,
  throttled: 0,
  waves: 5,
  wavesByStep: { Plan: 1 },
  newConnections: 5,
  handshakes: 5,
  coldStarts: 1,
  transitions: 9,
  lambdaInvocations: 5,
  lambdaDurationsMs: [1000],
  changes: seedChanges,
  bound: {
    readWaveMs: 690,
    writeWavesMs: 0,
    verifyWaveMs: 230,
    coldStartMs: 400,
    transitionsMs: 280,
    totalMs: 1600,
  },
});

const point = (over: Partial<ScalePoint>): ScalePoint => ({
  tablesPerRegion: 250,
  vips: 1,
  regions: 2,
  writes: 502,
  maxBucketWrites: 250,
  latencyFloorMs: 2000,
  boundMs: 22_000,
  orderedBoundMs: 42_000,
  runs: [40_000, 46_000, 44_000].map((executionMs, i) => ({
    executionMs,
    wallMs: executionMs + 1000,
    throttled: [200, 210, 190][i]!,
    writes: 502,
    secondRunWrites: 0,
    secondRunMs: 3000,
  })),
  sdkScript: { totalMs: [90_000, 100_000, 95_000], retries: [0, 4, 2] },
  awsCli: { totalMs: [], error: 'not run at 502 writes (only up to 30: one process per write)' },
  ...over,
});

const results = (over: Partial<BenchResults> = {}): BenchResults => ({
  mode: 'full',
  date: '2026-12-01T03:00:00.000Z',
  durationS: 780,
  machine: { cpu: 'test', cores: 2, node: 'v20', platform: 'linux x64', loadStart: 0.4, loadEnd: 1.9 },
  plan: {
    mode: 'full',
    seedRepeats: 3,
    scaleRepeats: 3,
    bucket: { burst: 50, refillPerSecond: 5 },
    shapes: [{ tablesPerRegion: 250, vips: 1, regions: 2 }],
    awsCliMaxWrites: 30,
    startupRepeats: 3,
    bundleRepeats: 3,
    targetS: 900,
  },
  awsCli: { version: 'aws-cli/1.45.11' },
  failover: {
    runs: [3000, 3200, 2900].map(failoverRun),
    baselines: {
      // Median 9,000 ms against vipctl's median wall time of 3,000 ms: 3.00x.
      awsCli: { totalMs: [9000, 8500, 9900] },
      moveIp: {
        runs: [12_000, 11_000, 13_000].map((wallMs) => ({
          wallMs,
          exitCode: 0,
          calls: { DescribeRouteTables: 2, ReplaceRoute: 1 },
          writes: 1,
          sleepS: 3,
          ipCommands: ['ip -br link show dev vipbench0', 'ip addr add 172.16.0.1/32 dev vipbench0'],
        })),
        left: [
          { table: 'tgw-ap-southeast-1', kind: 'tgw', region: 'ap-southeast-1' },
          { table: 'vpc-us-east-1', kind: 'vpc', region: 'us-east-1' },
        ],
        failoverChanges: 3,
      },
      sdkScript: { totalMs: [1500, 1400, 1600], retries: [0, 0, 0] },
    },
  },
  scale: [point({})],
  startup: {
    nodeStartMs: [50, 60, 70],
    toStartExecutionMs: [250, 260, 400],
    checkWallMs: [700, 650, 600],
    checkPeakRssKiB: [90 * 1024, 95 * 1024, 80 * 1024],
    helpSdkModules: [],
    checkSdkModules: 12,
    failoverSdkModules: ['@aws-sdk/client-sfn'],
  },
  bundle: { bytes: 2_000_000, processLoadMs: [600], loadMs: [500], firstInvokeMs: [100] },
  ...over,
});

describe('scale point figures', () => {
  it('takes the median of each run figure and the worst second run', () => {
    const p = point({});
    p.runs[1] = { ...p.runs[1]!, secondRunWrites: 2 };

    // Executions 40, 46, 44 s: median 44 s; throttled 200, 210, 190: median 200.
    expect(pointFigures(p)).toEqual({
      executionMs: 44_000,
      wallMs: 45_000,
      throttled: 200,
      secondRunWrites: 2,
    });
  });

  it('has no baseline figure when the baseline did not run', () => {
    expect(baselineMedian({ totalMs: [9000, 8000, 10_000] })).toBe(9000);
    expect(baselineMedian({ totalMs: [9000], error: 'failed on the second run' })).toBeUndefined();
    expect(baselineMedian({ totalMs: [] })).toBeUndefined();
  });

  it('names the regime of the mutating bucket', () => {
    const bucket = { burst: 50, refillPerSecond: 5 };

    expect(regime({ maxBucketWrites: 10 }, bucket)).toBe('under the burst');
    expect(regime({ maxBucketWrites: 50 }, bucket)).toBe('exactly the burst');
    expect(regime({ maxBucketWrites: 51 }, bucket)).toBe('throttled');
  });

  it('charts vipctl, the ordered bound and only the baselines that ran', () => {
    expect(convergencePoints(results())).toEqual([
      { writes: 502, series: 'vipctl failover (wall)', seconds: 45 },
      { writes: 502, series: 'ordered token-bucket bound', seconds: 42 },
      { writes: 502, series: 'baseline 3: SDK script', seconds: 95 },
    ]);
  });
});

describe('the machine load', () => {
  it('says whether other work shared the cores during the run', () => {
    const machine = { cpu: 'x', cores: 2, node: 'v20', platform: 'linux' };

    expect(loadSentence({ machine: { ...machine, loadStart: 0.4, loadEnd: 1.9 } })).toBe(
      'The 1-minute load average was 0.4 when the measurements began and 1.9 when they ended, within the 2 cores.',
    );
    expect(loadSentence({ machine: { ...machine, loadStart: 0.4, loadEnd: 2.1 } })).toContain(
      'above the 2 cores: other work shared the machine',
    );
    expect(loadSentence({ machine })).toBe('The load average was not recorded.');
  });
});

describe('baseline sentences', () => {
  it('states the median and its ratio to vipctl, or why the baseline did not run', () => {
    // 9,000 / 3,000 = 3.00x.
    expect(baselineSentence('the AWS CLI', { totalMs: [9000, 8500, 9900] }, 3000)).toBe(
      "the AWS CLI took 9.0 s, 3.00x vipctl's wall time",
    );
    expect(baselineSentence('the AWS CLI', { totalMs: [], error: 'no `aws` on PATH' }, 3000)).toBe(
      'the AWS CLI did not run (no `aws` on PATH)',
    );
  });

  it('sums what the agent left on the old node by kind and region', () => {
    expect(
      leftSummary([
        { table: 'a', kind: 'vpc', region: 'us-east-1' },
        { table: 'b', kind: 'vpc', region: 'us-east-1' },
        { table: 'c', kind: 'tgw', region: 'us-east-1' },
      ]),
    ).toBe('2 VPC route table(s) in us-east-1, 1 TGW route table(s) in us-east-1');
    expect(leftSummary([])).toBe('none');
  });
});

describe('goals from a whole run', () => {
  it('judges every goal from the figures, with hand-computed reasons', () => {
    const [seed, at500, speedUp, check, toStart] = goalResults(results());

    // Seed: median wall 3,000 ms; bound 1,600 + CLI floor (60 + 3 × 80 = 300, poll 80) = 1,980 ms: 1.52x.
    expect(seed).toMatchObject({ figure: '1.52x', met: false });
    // 502 writes: median execution 44,000 ms against the ordered bound of 42,000 ms: 1.05x, 4,300 ms to spare.
    expect(at500).toMatchObject({ figure: '1.05x', met: true });
    expect(at500?.reason).toContain('4,300 ms to spare; median of 3 runs, 200 write(s) throttled');
    // AWS CLI median 9,000 ms against 3,000 ms: exactly 3.00x.
    expect(speedUp).toMatchObject({ figure: '3.00x', met: true });
    // check: 650 ms (over 600) and 90 MiB (under 100).
    expect(check).toMatchObject({ figure: '650 ms, 90 MiB', met: false });
    // StartExecution: median 260 ms, 40 ms to spare.
    expect(toStart).toMatchObject({ figure: '260 ms', met: true });
  });

  it('reports the speed-up goal as not measured, with the reason, when the AWS CLI is missing', () => {
    const r = results({ awsCli: { error: 'no `aws` on PATH' } });
    const missing = {
      ...r,
      failover: {
        ...r.failover,
        baselines: { ...r.failover.baselines, awsCli: { totalMs: [], error: 'no `aws` on PATH' } },
      },
    };

    expect(goalResults(missing)[2]).toMatchObject({
      figure: 'n/a',
      met: null,
      reason: 'baseline 1 did not run: no `aws` on PATH',
    });
  });
});

describe('the generated report', () => {
  it('states every baseline with its figures, and what the agent wrote', () => {
    const report = renderResults(results());

    expect(report).toContain("the AWS CLI, one process per call, took 9.0 s, 3.00x vipctl's wall time");
    expect(report).toContain("one Node.js process with the SDK took 1.5 s, 0.50x vipctl's wall time");
    expect(report).toContain(
      "aws-vpc-move-ip took 12.0 s, 4.00x vipctl's wall time, and wrote 1 of those 3 routes",
    );
    expect(report).toContain(
      '1 of 3; left on the old node: 1 TGW route table(s) in ap-southeast-1, 1 VPC route table(s) in us-east-1',
    );
    expect(report).toContain('| 250 | 1 | 2 | 502 | 250 | 200 | 45.0 s (41.0–47.0) | 44.0 s (40.0–46.0) |');
    expect(report).toContain('95.0 s (90.0–100.0) | 2.11x | not run at 502 writes');
    expect(report).toContain(
      'are sized for a run of about 15 minutes on a two-core machine (this one took 13)',
    );
    expect(report).not.toContain('NaN');
    expect(report).not.toContain('undefined');
  });

  it('puts the same figures in the headline of docs/benchmarks.md', () => {
    const lines = headlineLines(results());

    expect(lines[1]).toContain('aws-vpc-move-ip took 12.0 s and wrote 1 of the 3 routes');
    expect(lines.some((l) => l.includes('against baseline 1') && l.includes('3.00x'))).toBe(true);
  });

  it("states the stale-run guard's window the code enforces, and the ages the run measured", () => {
    const r = results();
    const withAges = {
      ...r,
      failover: {
        ...r.failover,
        runs: r.failover.runs.map((run, i) => ({ ...run, guardAgesMs: [100 + i, 700 + i] })),
      },
    };

    expect(guardWindowLine(r)).toContain(`**${GUARD_WINDOW_MS.toLocaleString('en-US')} ms**`);
    expect(guardWindowLine(r)).not.toContain('oldest listing');
    expect(guardWindowLine(withAges)).toContain(
      'the oldest listing a wave went out on was 702 ms old (median 401 ms)',
    );
    // docs/architecture.md carries a line the bench wrote from the same constant.
    const page = readFileSync(new URL('../../docs/architecture.md', import.meta.url), 'utf8');
    const block = /<!-- guard-window -->\n([\s\S]*?)\n[ \t]*<!-- \/guard-window -->/.exec(page)?.[1]?.trim();
    expect(block?.startsWith(guardWindowLine(r).replace(/\.$/, ''))).toBe(true);
  });
});
