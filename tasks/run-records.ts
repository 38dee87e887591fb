/**
 * Where a large run keeps what does not fit its state data (tasks/state-size.ts): the whole plan, each
 * update step's results and the full verification, as JSON objects of the stack's run bucket under
 * `runs/<state machine>/<execution>/`. The state carries each object's key and digest.
 */
import { z } from 'zod';
import { type ExecutionContext, PlanOutput, type RunOutput } from './contracts';
import { ChangeResult, type Plan } from './plan';
import type { Step } from './routing';
import type { RunStore } from './run-store';
import { INLINE_ROUTES, LISTED_IN_STATE } from './state-size';
import { recordPrefix, type StoredRecord, s3Url } from './stored-record';

/** A PlanOutput with its plan at hand, wherever the state kept it. */
export type FullPlan = PlanOutput & { readonly plan: Plan };

/** The object of one update step: every result, failures and routes left alone included. */
export const StepResults = z.strictObject({ step: z.string(), results: z.array(ChangeResult) });
export type StepResults = z.infer<typeof StepResults>;

export const recordKey = (execution: ExecutionContext, name: string): string =>
  `${recordPrefix(execution.id)}${name}.json`;

/** True when a plan of this many routes is kept in the run bucket rather than in the state. */
export const storesRecord = (routes: number, store: RunStore | undefined): store is RunStore =>
  store !== undefined && routes > INLINE_ROUTES;

/**
 * The state's copy of a plan: the plan itself when small; else the summary and the object's key, with
 * the restore routes and the skipped routes left to the object.
 */
export async function planForState(
  full: FullPlan,
  store: RunStore | undefined,
  execution: ExecutionContext,
): Promise<PlanOutput> {
  if (!storesRecord(full.plan.snapshot.length, store)) return full;
  const record = await store.put(recordKey(execution, 'plan'), full);
  const { plan: _plan, request, ...rest } = full;
  const { restore, ...plainRequest } = request;
  return {
    ...rest,
    request: plainRequest,
    skipped: [],
    record,
    ...(restore ? { restoreFrom: restore.from } : {}),
  };
}

/** The whole plan: from the state, or read back from the run bucket and checked against its digest. */
export async function fullPlan(plan: PlanOutput, store: RunStore | undefined): Promise<FullPlan> {
  if (plan.plan) return { ...plan, plan: plan.plan };
  if (!plan.record) throw new Error('the plan in the state has neither a plan nor a record of one');
  const stored = PlanOutput.parse(await needStore(store, plan.record).get(plan.record));
  if (!stored.plan) throw new Error(`${s3Url(plan.record)} holds no plan`);
  return { ...stored, plan: stored.plan };
}

export async function readStepResults(
  store: RunStore | undefined,
  record: StoredRecord,
): Promise<StepResults> {
  return StepResults.parse(await needStore(store, record).get(record));
}

/** The execution output as the state carries it: whole when small, else what went wrong and the object's key. */
export async function outputForState(
  output: RunOutput,
  stored: boolean,
  store: RunStore | undefined,
  execution: ExecutionContext,
): Promise<RunOutput> {
  if (!stored || !store) return output;
  const record = await store.put(recordKey(execution, 'output'), output);
  const notDone = (c: ChangeResult) => c.result !== 'applied' && c.result !== 'already-right';
  return {
    ...output,
    changes: output.changes.filter(notDone).slice(0, LISTED_IN_STATE),
    snapshot: [],
    skipped: [],
    trace: {
      ...output.trace,
      starts: output.trace.starts
        .filter((s) => s.outcome.kind !== 'arrives' || s.outcome.node !== output.trace.node)
        .slice(0, LISTED_IN_STATE),
      health: output.trace.health.slice(0, LISTED_IN_STATE),
    },
    unreached: output.unreached.slice(0, LISTED_IN_STATE),
    record,
  };
}

function needStore(store: RunStore | undefined, record: StoredRecord): RunStore {
  if (!store) {
    throw new Error(
      `this run keeps its record in ${s3Url(record)}, but the task function has no run bucket (RUN_BUCKET); redeploy the stack`,
    );
  }
  return store;
}

export const stepObjectName = (step: Step, failed = false): string => (failed ? `${step}-failed` : step);
