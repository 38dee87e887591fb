/**
 * Everything vipctl knows about one finished (or running) run, assembled from DescribeExecution and
 * the history: shared by `show` and `rollback`.
 */
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import type { PlanOutput } from '../tasks/contracts';
import type { ChangeResult, SnapshotRoute } from '../tasks/plan';
import type { Executions } from './executions';
import { failureOf, planOutputOf, type RunDetail, type StepRecord, stepsOf } from './executions';

export interface RunRecord {
  readonly detail: RunDetail;
  readonly steps: StepRecord[];
  readonly plan: PlanOutput | undefined;
  /** From the output when the run succeeded; else the results the update steps recorded. */
  readonly changes: ChangeResult[];
  /** The VIP routes before the run: from the output, else from the Plan task's output in the history. */
  readonly snapshot: SnapshotRoute[] | undefined;
  readonly failure: { step: string | undefined; error: string; cause: string } | undefined;
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
