/**
 * Benchmark 1: the failover critical path on local AWS (realistic profile) for a topology, measured
 * from `vipctl failover` process start to exit, against the model's lower bound; and the same route
 * changes made the way hand-written scripts make them, one fresh process per call.
 */

import http from 'node:http';
import { EC2Client, ReplaceRouteCommand, ReplaceTransitGatewayRouteCommand } from '@aws-sdk/client-ec2';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { ORIGIN_HEADER } from '../local/index';
import { regionOfNode, regionsOf } from '../tasks/routing';
import type { Topology } from '../tasks/topology';
import { awsEnv, type BenchAws, spawnNode, startBenchAws, vipctl, wavesOf, writeConfig } from './harness';
import { executionHistory, type StepTiming, summarize } from './history';
import { failoverLowerBound, type LowerBound, sequentialBaselineMs } from './lower-bound';
import { median } from './stats';

export interface Change {
  readonly table: string;
  readonly kind: 'vpc' | 'tgw';
  readonly region: string;
  readonly vip: string;
  readonly step: string;
  readonly target: string;
  readonly result: string;
}

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
  };
}

// ------------------------------------------------------------------------------------------------
// The sequential baseline
// ------------------------------------------------------------------------------------------------

/** Wall time of a fresh node process that loads the SDK and makes one EC2 call (latency off). */
export async function processStartMs(url: string, repeats: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const run = await spawnNode(['bench/one-call.mjs'], awsEnv(url));
    if (run.code !== 0) throw new Error(`one-call.mjs exited ${run.code}: ${run.stderr}`);
    times.push(run.wallMs);
  }
  return times;
}

/**
 * Makes each change as its own request on a new connection, one after another, from the target's
 * region (the cluster node running the script); returns each call's time.
 */
export async function sequentialCalls(
  url: string,
  origin: string,
  changes: readonly Change[],
): Promise<number[]> {
  const times: number[] = [];
  for (const change of changes) {
    const client = new EC2Client({
      region: change.region,
      endpoint: url,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 1,
      // No keep-alive: every call of a script is a new process, so a new connection.
      requestHandler: new NodeHttpHandler({ httpAgent: new http.Agent({ keepAlive: false }) }),
    });
    client.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { headers?: Record<string, string> };
        if (request.headers) request.headers[ORIGIN_HEADER] = origin;
        return next(args);
      },
      { step: 'build', name: 'benchOrigin' },
    );
    const t = performance.now();
    if (change.kind === 'vpc') {
      await client.send(
        new ReplaceRouteCommand({
          RouteTableId: change.table,
          DestinationCidrBlock: change.vip,
          ...(change.target.startsWith('eni-')
            ? { NetworkInterfaceId: change.target }
            : { TransitGatewayId: change.target }),
        }),
      );
    } else {
      await client.send(
        new ReplaceTransitGatewayRouteCommand({
          TransitGatewayRouteTableId: change.table,
          DestinationCidrBlock: change.vip,
          TransitGatewayAttachmentId: change.target,
        }),
      );
    }
    times.push(performance.now() - t);
    client.destroy();
  }
  return times;
}

export interface SeedResult {
  readonly runs: FailoverRun[];
  readonly processStartMs: number[];
  /** Per repeat: each sequential call's time. */
  readonly sequentialCallMs: number[][];
  readonly sequentialTotalMs: number[];
}

export async function seedBenchmark(
  topology: Topology,
  target: string,
  repeats: number,
): Promise<SeedResult> {
  const config = writeConfig(topology);
  const runs: FailoverRun[] = [];
  const sequentialCallMs: number[][] = [];
  let processStarts: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const aws = await startBenchAws(topology, { profile: 'realistic' });
    try {
      runs.push(await measureFailover(aws, topology, config, target));
    } finally {
      await aws.close();
    }
  }
  const changes = runs[0]?.changes.filter((c) => c.result === 'applied') ?? [];
  const origin = regionOfNode(topology, target);
  {
    const aws = await startBenchAws(topology, { profile: 'off' });
    try {
      processStarts = await processStartMs(aws.local.url, repeats);
    } finally {
      await aws.close();
    }
  }
  for (let i = 0; i < repeats; i++) {
    const aws = await startBenchAws(topology, { profile: 'realistic' });
    try {
      sequentialCallMs.push(await sequentialCalls(aws.local.url, origin, changes));
    } finally {
      await aws.close();
    }
  }
  const p = median(processStarts);
  return {
    runs,
    processStartMs: processStarts,
    sequentialCallMs,
    sequentialTotalMs: sequentialCallMs.map((calls) => sequentialBaselineMs(p, calls)),
  };
}
