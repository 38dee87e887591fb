/**
 * A failover of a wide topology (one VPC of `tablesPerRegion` route tables in each of two regions)
 * on local AWS with EC2's token buckets on, run by the synthesized state machine and the real task
 * code, then a second failover to the same node. Measures the run against the ordered token-bucket
 * bound of bench/lower-bound.ts (written apart from the pacing it checks).
 */
import { SFNClient } from '@aws-sdk/client-sfn';
import { type Bucket, orderedTokenBucketBoundMs } from '../../../bench/lower-bound';
import { scaleTopology } from '../../../bench/topologies';
import { gantt } from '../../../cli/render/gantt';
import { stepSummary } from '../../../cli/render/steps';
import { Executions, type StepRecord, stepsOf } from '../../../cli/runs/executions';
import { loadRun } from '../../../cli/runs/run-record';
import { startLocalAws } from '../../../local/server';
import type { RunOutput } from '../../../tasks/contracts';
import { regionOfNode, regionsOf } from '../../../tasks/routing';
import { s3RecordReader } from '../../../tasks/run-store';

const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };
const ACTION = { vpc: 'ReplaceRoute', tgw: 'ReplaceTransitGatewayRoute' } as const;

export interface ThrottledFailoverOptions {
  readonly tablesPerRegion: number;
  /** The mutating bucket of local AWS; the task paces to the same figures. */
  readonly bucket: Bucket;
  /** Step Functions' 256 KiB payload quota on local AWS. @default true, as on AWS */
  readonly payloadLimit?: boolean;
}

export interface ThrottledFailover {
  readonly status: string;
  readonly output: RunOutput | undefined;
  readonly cause: string | undefined;
  readonly writes: number;
  readonly throttled: number;
  readonly executionMs: number;
  readonly boundMs: number;
  readonly steps: readonly StepRecord[];
  readonly timeline: string;
  readonly secondRun: { readonly status: string; readonly writes: number };
}

export async function throttledFailover(options: ThrottledFailoverOptions): Promise<ThrottledFailover> {
  const topology = scaleTopology({ tablesPerRegion: options.tablesPerRegion, vips: 1, regions: 2 });
  const aws = await startLocalAws({
    topology,
    port: 0,
    active: 'server-0',
    sfn: { retryIntervalScale: 0.05 },
    taskEc2: { pacing: { mutating: options.bucket } },
  });
  const clients = new Map<string, SFNClient>();
  const sfn = (region: string) => {
    const client =
      clients.get(region) ?? new SFNClient({ region, endpoint: aws.url, credentials: CREDENTIALS });
    clients.set(region, client);
    return client;
  };
  const executions = new Executions({
    sfn,
    cluster: topology.cluster,
    regions: regionsOf(topology),
    account: async () => aws.account,
    now: () => new Date(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  });
  const failover = async (requestedAt: string) => {
    const region = regionOfNode(topology, 'server-1');
    const started = await executions.start(
      { target: 'server-1', requestedAt, reason: 'throttled failover' },
      region,
    );
    const detail = await executions.wait(started.arn, { timeoutMs: 600_000 });
    // A large run's output lists its changes in the run bucket, not in the state (tasks/state-size.ts).
    const run = await loadRun(executions, started.arn, {
      topology,
      read: s3RecordReader({ endpoint: aws.url, forcePathStyle: true, credentials: CREDENTIALS }),
    });
    return { detail, output: run.output, steps: stepsOf(await executions.history(started.arn)) };
  };
  try {
    aws.models.update({
      throttle: { enabled: true, mutating: options.bucket },
      sfnPayloadLimit: options.payloadLimit ?? true,
    });
    const first = await failover('2026-11-30T12:00:00.000Z');
    const stats = aws.models.stats();
    const { output } = first;
    const applied = (output?.changes ?? []).filter((c) => c.result === 'applied');
    const perStep = new Map<string, Map<string, number>>();
    for (const change of applied) {
      const buckets = perStep.get(change.step) ?? new Map<string, number>();
      const key = `${change.region}|${ACTION[change.kind]}`;
      buckets.set(key, (buckets.get(key) ?? 0) + 1);
      perStep.set(change.step, buckets);
    }
    // Local AWS runs with latency off: the bound is the buckets' refill alone.
    const boundMs = orderedTokenBucketBoundMs(perStep, options.bucket, 0);

    aws.models.resetStats();
    const second = await failover('2026-11-30T12:05:00.000Z');

    return {
      status: first.detail.status,
      output,
      cause: first.detail.cause,
      writes: stats.writes,
      throttled: stats.throttled,
      executionMs: (first.detail.stoppedAt?.getTime() ?? Number.NaN) - first.detail.startedAt.getTime(),
      boundMs,
      steps: first.steps,
      timeline: [
        gantt(first.steps),
        ...first.steps.filter((s) => s.name.startsWith('Update')).map((s) => `${s.name}: ${stepSummary(s)}`),
      ].join('\n'),
      secondRun: { status: second.detail.status, writes: aws.models.stats().writes },
    };
  } finally {
    for (const client of clients.values()) client.destroy();
    await aws.close();
  }
}
