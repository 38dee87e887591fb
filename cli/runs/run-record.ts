/**
 * Everything vipctl knows about one finished (or running) run, assembled from DescribeExecution, the
 * history and, for a large run, the objects of its record in the run bucket (tasks/run-records.ts):
 * shared by `show` and `rollback`.
 */
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { alreadyRightResults } from '../../tasks/already-right';
import { ApplyOutput, PlanOutput, RunOutput } from '../../tasks/contracts';
import type { ChangeResult, SnapshotRoute } from '../../tasks/plan';
import { STEPS } from '../../tasks/routing';
import { type FullPlan, StepResults } from '../../tasks/run-records';
import type { RecordReader } from '../../tasks/run-store';
import { rebuiltResults } from '../../tasks/step-results';
import { recordInMessage, type StoredRecord } from '../../tasks/stored-record';
import type { Topology } from '../../tasks/topology';
import { stepRecordsOf } from './direct-steps';
import type { Executions } from './executions';
import {
  failureOf,
  guardSkippedOf,
  parseCause,
  planOutputOf,
  type RunDetail,
  type StepRecord,
  stepsOf,
} from './executions';
import type { DirectRun } from './journal';
import type { Session } from './session';

export interface RunRecord {
  readonly detail: RunDetail;
  readonly steps: StepRecord[];
  readonly plan: PlanOutput | undefined;
  /** The full output of a run that succeeded: from the execution, or from its stored record. */
  readonly output: RunOutput | undefined;
  /**
   * Every route the run is responsible for with its result: from the output when the run succeeded;
   * else from the update steps, the failed one included (its writes come from its record).
   */
  readonly changes: ChangeResult[];
  /** The VIP routes before the run: from the output, else from the Plan task's output in the history. */
  readonly snapshot: SnapshotRoute[] | undefined;
  readonly failure: { step: string | undefined; error: string; cause: string } | undefined;
  /** A direct run, read from the journal rather than from Step Functions. */
  readonly direct?: boolean;
  /** Steps whose stale-run guard skipped regions that did not answer. */
  readonly guardSkipped: ReturnType<typeof guardSkippedOf>;
}

export interface LoadRunOptions {
  /** Reads a large run's stored records; without it only what the state data holds is shown. */
  readonly read?: RecordReader;
  /** Lets the routes a step left alone be listed for a failed run. */
  readonly topology?: Topology;
}

const APPLIED = { 'local-vpc': 'localVpc', tgw: 'tgw', 'remote-vpc': 'remoteVpc' } as const;

/** Stored records read through the session's S3 clients (loaded only when a run has one). */
export const recordOptions = (session: Session): LoadRunOptions => ({
  topology: session.topology,
  read: async (region, record) => (await session.clients.records())(region, record),
});

/** A run as `show` and `rollback` see it. */
export function loadSessionRun(session: Session, arn: string): Promise<RunRecord> {
  return loadRun(session.executions, arn, recordOptions(session));
}

export async function loadRun(
  executions: Executions,
  arn: string,
  options: LoadRunOptions = {},
): Promise<RunRecord> {
  const [detail, events] = await Promise.all([executions.describe(arn), executions.history(arn)]);
  return recordOf(detail, events, options);
}

export async function recordOf(
  detail: RunDetail,
  events: readonly HistoryEvent[],
  options: LoadRunOptions = {},
): Promise<RunRecord> {
  const read = <T>(record: StoredRecord, parse: (value: unknown) => T): Promise<T> | undefined =>
    options.read ? options.read(detail.region, record).then(parse) : undefined;
  const steps = stepsOf(events);
  const planned = planOutputOf(events);
  const plan = planned?.plan
    ? { ...planned, plan: planned.plan }
    : planned?.record
      ? await read(planned.record, (v) => fullPlanOf(PlanOutput.parse(v)))
      : undefined;
  const output =
    detail.output?.record !== undefined
      ? ((await read(detail.output.record, (v) => RunOutput.parse(v))) ?? detail.output)
      : detail.output;
  const failure =
    detail.status === 'RUNNING' || detail.status === 'SUCCEEDED' ? undefined : failureOf(events, detail);
  return {
    detail,
    steps,
    // The full plan, still naming its object when it was read from one.
    plan: plan ? { ...plan, ...(planned?.record ? { record: planned.record } : {}) } : planned,
    output,
    changes: output?.changes ?? (await stepResults(steps, plan, failure, options, read)),
    snapshot: output?.snapshot.length ? output.snapshot : (plan?.plan.snapshot ?? output?.snapshot),
    failure,
    guardSkipped: guardSkippedOf(events),
  };
}

function fullPlanOf(plan: PlanOutput): FullPlan | undefined {
  return plan.plan ? { ...plan, plan: plan.plan } : undefined;
}

/** The results of the update steps that ran, the failed step's writes included. */
async function stepResults(
  steps: readonly StepRecord[],
  plan: FullPlan | undefined,
  failure: RunRecord['failure'],
  options: LoadRunOptions,
  read: <T>(record: StoredRecord, parse: (value: unknown) => T) => Promise<T> | undefined,
): Promise<ChangeResult[]> {
  const last = [...steps]
    .reverse()
    .find((s) => typeof s.output === 'object' && s.output !== null && 'applied' in s.output);
  const applied = (last?.output as { applied?: Record<string, unknown> } | undefined)?.applied ?? {};
  const parseResults = (v: unknown) => StepResults.parse(v).results;
  const done = await Promise.all(
    STEPS.map(async (step) => {
      const out = ApplyOutput.safeParse(applied[APPLIED[step]]);
      if (!out.success) return [];
      if (out.data.record) return (await read(out.data.record, parseResults)) ?? out.data.failures;
      if (!plan) return out.data.failures;
      const left = options.topology ? alreadyRightResults(options.topology, plan, step) : [];
      return [...rebuiltResults(plan, out.data), ...left];
    }),
  );
  // The step that failed lost its output; its record keeps every write it made.
  const record = failure ? recordInMessage(parseCause(failure.cause).message) : undefined;
  const failed = record ? ((await read(record, parseResults)) ?? []) : [];
  return [...done.flat(), ...failed];
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
  // A direct run has no run bucket: its plan is always in the journal.
  const plan = run.plan?.plan ? { ...run.plan, plan: run.plan.plan } : undefined;
  return {
    detail,
    steps,
    plan: run.plan,
    output: run.output,
    changes:
      run.output?.changes ??
      STEPS.flatMap((step) => {
        const out = run.applied[APPLIED[step]];
        return out && plan ? rebuiltResults(plan, out) : (out?.failures ?? []);
      }),
    snapshot: run.output?.snapshot ?? run.plan?.plan?.snapshot,
    failure: run.failure
      ? { step: run.failure.step, error: run.failure.error, cause: run.failure.cause }
      : undefined,
    guardSkipped: [],
    direct: true,
  };
}
