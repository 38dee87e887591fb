/**
 * Benchmark 1: the failover critical path on local AWS (realistic profile) for a topology, measured
 * from `vipctl failover` process start to exit, against the model's lower bound; and the same route
 * changes made by the three baselines (bench/baselines.ts), side by side in the same run.
 */

import { regionOfNode, regionsOf } from '../tasks/routing';
import type { Topology } from '../tasks/topology';
import type { AwsCli } from './aws-cli';
import {
  awsCliOnce,
  finished,
  type MoveIpBaseline,
  moveIpOnce,
  moveIpSeries,
  sdkScriptOnce,
  series,
  type TimedBaseline,
} from './baselines';
import type { Change } from './change';
import { type BenchAws, startBenchAws, vipctl, wavesOf, writeConfig } from './harness';
import { executionHistory, type StepTiming, summarize } from './history';
import { failoverLowerBound, type LowerBound } from './lower-bound';

export interface FailoverRun {
  readonly wallMs: number;
  /** Process start until StartExecution reached local AWS. */
  readonly cliToStartMs: number;
  readonly executionMs: number;
  /** Execution end until the process exited (last poll, output, exit). */
  readonly tailMs: number;
  readonly steps: StepTiming[];
  readonly reads: number;
  /** Route writes that succeeded. */
  readonly writes: number;
  /** Write requests sent, throttled ones included. */
  readonly writeCalls: number;
  readonly throttled: number;
  readonly waves: number;
  readonly wavesByStep: Record<string, number>;
  readonly newConnections: number;
  readonly handshakes: number;
  readonly coldStarts: number;
  readonly transitions: number;
  readonly lambdaInvocations: number;
  readonly lambdaDurationsMs: number[];
  readonly changes: Change[];
  readonly bound: LowerBound;
  /** Per update step that wrote: the age of its covering guard listing as its oldest-covered wave went out. Absent in older raw files. */
  readonly guardAgesMs?: number[];
}

const EC2_OPERATION = /^(Describe|Search|Create|Replace|Delete|Get)/;
const SFN_OPERATIONS = new Set([
  'StartExecution',
  'DescribeExecution',
  'GetExecutionHistory',
  'ListExecutions',
  'StopExecution',
]);

/** One failover of a fresh local AWS (cold task function, no open connections) to `target`. */
export async function measureFailover(
  aws: BenchAws,
  topology: Topology,
  config: string,
  target: string,
): Promise<FailoverRun> {
  const settings = aws.local.models.settings();
  aws.clear();
  const run = await vipctl(config, ['failover', '--to', target, '--json'], aws.local.url);
  if (run.code !== 0) throw new Error(`vipctl failover exited ${run.code}: ${run.stderr || run.stdout}`);
  const report = JSON.parse(run.stdout) as { run: { arn: string; name: string }; changes: Change[] };
  const summary = summarize(await executionHistory(aws.local, report.run.arn));
  const stats = aws.local.models.stats();
  let reads = 0;
  let writeCalls = 0;
  for (const perRegion of Object.values(stats.calls)) {
    for (const [action, n] of Object.entries(perRegion)) {
      if (SFN_OPERATIONS.has(action) || !EC2_OPERATION.test(action)) continue;
      if (/^(Create|Replace|Delete)/.test(action)) writeCalls += n;
      else reads += n;
    }
  }
  const started = aws.startedAt.get(report.run.name) ?? run.startedAt;
  const cliToStartMs = started - run.startedAt;
  const wavesByStep: Record<string, number> = {};
  for (const step of summary.steps.filter((s) => s.type === 'Task')) {
    wavesByStep[step.name] = wavesOf(aws.events, started + step.startMs, started + step.endMs);
  }
  const origin = regionOfNode(topology, target);
  const stepOrder = ['local-vpc', 'tgw', 'remote-vpc'];
  const bound = failoverLowerBound(settings, {
    origin,
    readRegions: regionsOf(topology),
    writeSteps: stepOrder
      .map((step) => [...new Set(report.changes.filter((c) => c.step === step).map((c) => c.region))])
      .filter((regions) => regions.length > 0),
    transitions: summary.transitions,
    coldStarts: summary.functions,
  });
  return {
    wallMs: run.wallMs,
    cliToStartMs,
    executionMs: summary.durationMs,
    tailMs: run.wallMs - cliToStartMs - summary.durationMs,
    steps: summary.steps,
    reads,
    writes: stats.writes,
    writeCalls,
    throttled: stats.throttled,
    waves: wavesOf(aws.events),
    wavesByStep,
    newConnections: stats.newConnections,
    handshakes: stats.handshakes,
    coldStarts: summary.functions,
    transitions: summary.transitions,
    lambdaInvocations: summary.lambdaInvocations,
    lambdaDurationsMs: summary.lambdaDurationsMs,
    changes: report.changes,
    bound,
    guardAgesMs: summary.guardAgesMs,
  };
}

export interface SeedResult {
  readonly runs: FailoverRun[];
  /** The baselines, on the route changes of the first failover. */
  readonly baselines: {
    readonly awsCli: TimedBaseline;
    readonly moveIp: MoveIpBaseline;
    readonly sdkScript: TimedBaseline;
  };
}

/**
 * The seed failover and its baselines, interleaved: run i of vipctl, then run i of each baseline, each
 * on a fresh local AWS. The baselines make the route changes of vipctl's first run.
 */
export async function seedBenchmark(
  topology: Topology,
  target: string,
  repeats: number,
  cli: AwsCli,
): Promise<SeedResult> {
  const config = writeConfig(topology);
  const origin = regionOfNode(topology, target);
  const models = { profile: 'realistic' } as const;
  const runs: FailoverRun[] = [];
  const awsCli = series();
  const sdkScript = series();
  let changes: Change[] = [];
  let moveIp = moveIpSeries(0);
  for (let i = 0; i < repeats; i++) {
    const aws = await startBenchAws(topology, models);
    try {
      runs.push(await measureFailover(aws, topology, config, target));
    } finally {
      await aws.close();
    }
    if (i === 0) {
      changes = runs[0]?.changes.filter((c) => c.result === 'applied') ?? [];
      moveIp = moveIpSeries(changes.length);
    }
    await awsCliOnce(awsCli, cli, topology, origin, changes, models);
    await moveIpOnce(moveIp, cli, topology, target, changes, models);
    await sdkScriptOnce(sdkScript, topology, origin, changes, models);
  }
  return {
    runs,
    baselines: { awsCli: finished(awsCli), moveIp, sdkScript: finished(sdkScript) },
  };
}
