/**
 * Everything vipctl knows about one finished (or running) run, assembled from DescribeExecution and
 * the history: shared by `show` and `rollback`.
 */
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import type { PlanOutput } from '../tasks/contracts';
import type { ChangeResult, SnapshotRoute } from '../tasks/plan';
import { stepRecordsOf } from './direct-steps';
import type { Executions } from './executions';
import {
  failureOf,
  guardSkippedOf,
  planOutputOf,
  type RunDetail,
  type StepRecord,
  stepsOf,
} from './executions';
import type { DirectRun } from './journal';

export interface RunRecord {
  readonly detail: RunDetail;
  readonly steps: StepRecord[];
  readonly plan: PlanOutput | undefined;
  /** From the output when the run succeeded; else the results the update steps recorded. */
  readonly changes: ChangeResult[];
  /** The VIP routes before the run: from the output, else from the Plan task's output in the history. */
  readonly snapshot: SnapshotRoute[] | undefined;
  readonly failure: { step: string | undefined; error: string; cause: string } | undefined;
  /** A direct run, read from the journal rather than from Step Functions. */
  readonly direct?: boolean;
  /** Steps whose stale-run guard skipped regions that did not answer. */
  readonly guardSkipped: ReturnType<typeof guardSkippedOf>;
}

const APPLIED = ['localVpc', 'tgw', 'remoteVpc'] as const;

export async function loadRun(executions: Executions, arn: string): Promise<RunRecord> {
  const [detail, events] = await Promise.all([executions.describe(arn), executions.history(arn)]);
  return recordOf(detail, events);
}

export function recordOf(detail: RunDetail, events: readonly HistoryEvent[]): RunRecord {
  const steps = stepsOf(events);
  const plan = planOutputOf(events);
  return {
    detail,
    steps,
    plan,
    changes: detail.output?.changes ?? appliedResults(steps),
    snapshot: detail.output?.snapshot ?? plan?.plan.snapshot,
    failure:
      detail.status === 'RUNNING' || detail.status === 'SUCCEEDED' ? undefined : failureOf(events, detail),
    guardSkipped: guardSkippedOf(events),
  };
}

/** The results of the update steps that finished, from the state data they passed on. */
function appliedResults(steps: readonly StepRecord[]): ChangeResult[] {
  const last = [...steps]
    .reverse()
    .find((s) => typeof s.output === 'object' && s.output !== null && 'applied' in s.output);
  const applied = (last?.output as { applied?: Record<string, { results?: ChangeResult[] }> } | undefined)
    ?.applied;
  return APPLIED.flatMap((key) => applied?.[key]?.results ?? []);
}

/** A direct run from the journal, in the shape of an execution's record, so show and rollback serve both. */
export function recordOfDirect(run: DirectRun): RunRecord {
  const steps = stepRecordsOf(run);
  const detail: RunDetail = {
    arn: run.arn,
    name: run.name,
    region: run.region,
    target: run.input.target,
    status: run.status,
    startedAt: new Date(run.startedAt),
    stoppedAt: run.stoppedAt ? new Date(run.stoppedAt) : undefined,
    input: run.input,
    output: run.output,
    rawOutput: run.output,
    error: run.failure?.error,
    cause: run.failure?.cause,
  };
  return {
    detail,
    steps,
    plan: run.plan,
    changes: run.output?.changes ?? APPLIED.flatMap((key) => run.applied[key]?.results ?? []),
    snapshot: run.output?.snapshot ?? run.plan?.plan.snapshot,
    failure: run.failure
      ? { step: run.failure.step, error: run.failure.error, cause: run.failure.cause }
      : undefined,
    guardSkipped: [],
    direct: true,
  };
}
