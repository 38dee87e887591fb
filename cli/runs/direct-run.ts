/**
 * Direct runs (DESIGN section 5): the break-glass path for when Step Functions cannot start a run in
 * any cluster region. This process runs the workflow's own tasks in the workflow's order, with the
 * same code the task function runs (tasks/run-plan.ts, run-apply.ts, run-verify.ts) and in-process
 * deps: Plan, the three update steps destination first, then VerifyReachability with the state
 * machine's retry on NotConverged.
 *
 * What differs from an execution, and why:
 * - The record goes to the local journal (cli/runs/journal.ts) after every step, since there is no
 *   execution history.
 * - Before each update step the VIP routes are read again and compared with the plan's snapshot
 *   (tasks/snapshot-guard.ts): the Step Functions guard cannot see a newer run when Step Functions is
 *   down, but the routes that run writes can be seen.
 */

import { executionSession } from '../../tasks/accounts';
import type { ApplyOutput, ExecutionInput, PlanOutput, RunOutput } from '../../tasks/contracts';
import type { TaskDeps } from '../../tasks/deps';
import type { Ec2ClientFor } from '../../tasks/ec2/clients';
import { readWorld } from '../../tasks/ec2/read-world';
import { ErrorName } from '../../tasks/errors';
import { executionName, stateMachineName } from '../../tasks/execution-name';
import { partitionOf } from '../../tasks/partition';
import type { ChangeResult } from '../../tasks/plan';
import { STEPS } from '../../tasks/routing';
import { OutOfTimeError, runApply } from '../../tasks/run-apply';
import { runPlan } from '../../tasks/run-plan';
import { runVerify } from '../../tasks/run-verify';
import { assertSnapshotHolds } from '../../tasks/snapshot-guard';
import type { SfnClientFor } from '../../tasks/stale-run-guard';
import { rebuiltResults } from '../../tasks/step-results';
import type { Topology } from '../../tasks/topology';
import { VERIFY_RETRY_POLICY, verifyRetryDelayMs } from '../../tasks/workflow-states';
import { DIRECT_STEP_NAMES, stepRecordsOf } from './direct-steps';
import type { StepRecord } from './executions';
import type { DirectRun, DirectStep } from './journal';

const APPLIED_KEY = { 'local-vpc': 'localVpc', tgw: 'tgw', 'remote-vpc': 'remoteVpc' } as const;

export interface DirectRunDeps {
  /** EC2 clients for the reads (Plan, the snapshot guard, VerifyReachability). */
  readonly ec2: Ec2ClientFor;
  /** EC2 clients for the update steps' writes, whose retry budget must outlast throttling. @default ec2 */
  readonly ec2Writes?: Ec2ClientFor;
  /** Step Functions clients for the tasks' own stale-run guard (it skips regions that do not answer). */
  readonly sfn: SfnClientFor;
  readonly now: () => Date;
  readonly sleep: (ms: number) => Promise<void>;
  /** Keeps the record; called after every step. A failure to keep it must not stop the failover. */
  readonly record: (run: DirectRun) => Promise<void>;
  /** Called with the steps so far whenever one starts or ends (live progress). */
  readonly onSteps?: (steps: readonly StepRecord[]) => void;
  /** Called before each step, with its state name; tests order a concurrent writer with it. */
  readonly beforeStep?: (step: string) => Promise<void>;
  /**
   * The run's time budget (`--timeout`): it starts no write wave, and no verification retry, that
   * could end after `deadline` (ms since the epoch). @default unbounded
   */
  readonly budget?: {
    readonly deadline: number;
    /** The time one write wave may need: the writes' retry budget plus WAVE_MARGIN_MS. */
    readonly waveMs: number;
  };
  /** The process that runs it, kept in the record so that a reader can tell a killed run (cli/runs/journal.ts). */
  readonly owner?: { readonly pid: number; readonly host: string };
}

/**
 * The run stopped before a step or a wave because its --timeout could not cover it. `written` lists
 * every route the run wrote before it stopped.
 */
export class DirectTimeoutError extends Error {
  override name = 'TimedOut';
  constructor(
    message: string,
    readonly written: readonly ChangeResult[],
  ) {
    super(message);
  }
}

export interface DirectIdentity {
  readonly account: string;
  /** The target's region: the region whose state machine would have run it. */
  readonly region: string;
  /** @default the partition of `region` (tasks/partition.ts) */
  readonly partition?: string;
}

/** `direct-<target>-<yyyymmddThhmmssSSS>`, and an execution ARN that no execution has, for the guard and restores. */
export function directRunId(
  topology: Topology,
  input: ExecutionInput,
  identity: DirectIdentity,
): { name: string; arn: string } {
  const name = `direct-${executionName(input.target, input.requestedAt)}`;
  const arn = `arn:${identity.partition ?? partitionOf(identity.region)}:states:${identity.region}:${identity.account}:execution:${stateMachineName(topology.cluster)}:${name}`;
  return { name, arn };
}

/** Runs the workflow's tasks in this process and returns the finished record (also passed to `deps.record`). */
export async function executeDirect(
  topology: Topology,
  input: ExecutionInput,
  identity: DirectIdentity,
  deps: DirectRunDeps,
): Promise<DirectRun> {
  const { name, arn } = directRunId(topology, input, identity);
  const startedAt = deps.now();
  const run: Mutable<DirectRun> = {
    kind: 'direct',
    version: 1,
    name,
    arn,
    cluster: topology.cluster,
    region: identity.region,
    status: 'RUNNING',
    startedAt: startedAt.toISOString(),
    ...(deps.budget ? { deadlineAt: new Date(deps.budget.deadline).toISOString() } : {}),
    ...(deps.owner ? { pid: deps.owner.pid, host: deps.owner.host } : {}),
    input,
    applied: {},
    steps: [],
  };
  const taskDeps: TaskDeps = {
    ec2: deps.ec2,
    sfn: deps.sfn,
    now: deps.now,
    ...(deps.budget ? { waveBudgetMs: deps.budget.waveMs } : {}),
  };
  const { budget } = deps;
  /** Milliseconds left of the run's --timeout (the update tasks' check, as in the task function). */
  const remainingMs = budget ? () => budget.deadline - deps.now().getTime() : undefined;
  const execution = { id: arn, startTime: run.startedAt };
  const save = () => deps.record(structuredClone(run));
  const progress = () => deps.onSteps?.(stepRecordsOf(run));

  /** One state of the workflow: enter, run, exit (or fail), keeping the record and the progress up to date. */
  const step = async <T>(stateName: string, work: () => Promise<T>): Promise<T> => {
    await deps.beforeStep?.(stateName);
    const entry: Mutable<DirectStep> = { name: stateName, type: 'Task', enteredAt: deps.now().toISOString() };
    run.steps.push(entry);
    progress();
    try {
      const result = await work();
      entry.exitedAt = deps.now().toISOString();
      return result;
    } catch (error) {
      entry.exitedAt = deps.now().toISOString();
      entry.failure = failureOf(error);
      throw error;
    } finally {
      progress();
      await save();
    }
  };

  await save();
  try {
    const plan = await step(DIRECT_STEP_NAMES.plan, async () => {
      run.plan = await runPlan({ task: 'plan', input, topology, execution }, taskDeps);
      return run.plan;
    });
    if (!plan.converged) {
      for (const s of STEPS) {
        await step(DIRECT_STEP_NAMES[s], async () => {
          const writes = plan.mode !== 'drill' && plan.plan?.changes.some((c) => c.step === s);
          // No step starts that its first wave could not finish before --timeout expires.
          const left = remainingMs?.();
          if (writes && budget && left !== undefined && left < budget.waveMs) {
            throw new DirectTimeoutError(
              `--timeout left ${Math.max(0, Math.round(left / 1000))} s, less than one write wave may need ` +
                `(${Math.round(budget.waveMs / 1000)} s), so the run stopped before ${DIRECT_STEP_NAMES[s]}`,
              written(run),
            );
          }
          // A drill writes nothing (every write is a DryRun), so nothing it does can undo a newer run.
          if (writes && plan.plan) {
            // Another writer since the plan (a newer failover) wins: stop before undoing its routes.
            const observation = await readWorld(deps.ec2, topology, {
              sessionName: executionSession(execution),
            });
            assertSnapshotHolds(plan.plan.snapshot, written(run), observation, DIRECT_STEP_NAMES[s]);
          }
          let output: ApplyOutput;
          try {
            output = await runApply(
              { task: 'apply', step: s, topology, plan, applied: run.applied, execution },
              { ...taskDeps, ec2: deps.ec2Writes ?? deps.ec2 },
              remainingMs ? { remainingMs } : {},
            );
          } catch (error) {
            // A wave not started for lack of time: the run timed out, with what it wrote so far.
            if (error instanceof OutOfTimeError)
              throw new DirectTimeoutError(error.message, [...written(run), ...error.written]);
            throw error;
          }
          run.applied = { ...run.applied, [APPLIED_KEY[s]]: output };
          return output;
        });
      }
    }
    await step(DIRECT_STEP_NAMES.verify, async () => {
      run.output = await verifyWithRetry(topology, plan, run, execution, taskDeps, deps.sleep, remainingMs);
    });
    run.status = 'SUCCEEDED';
  } catch (error) {
    run.status = error instanceof DirectTimeoutError ? 'TIMED_OUT' : 'FAILED';
    if (error instanceof DirectTimeoutError) run.written = [...error.written];
    const failedStep = run.steps.findLast((s) => s.failure);
    run.failure = { ...(failedStep ? { step: failedStep.name } : {}), ...failureOf(error) };
  }
  run.stoppedAt = deps.now().toISOString();
  await save();
  return run;
}

async function verifyWithRetry(
  topology: Topology,
  plan: PlanOutput,
  run: DirectRun,
  execution: { id: string; startTime: string },
  deps: TaskDeps,
  sleep: (ms: number) => Promise<void>,
  remainingMs?: () => number,
): Promise<RunOutput> {
  // The state machine's Retrier of VerifyReachability, from the same policy (tasks/workflow-states.ts).
  for (let retry = 0; ; retry++) {
    try {
      return await runVerify({ task: 'verify', topology, plan, applied: run.applied, execution }, deps);
    } catch (error) {
      const settling = error instanceof Error && error.name === ErrorName.NotConverged;
      if (!settling || retry >= VERIFY_RETRY_POLICY.maxAttempts) throw error;
      // A retry that would wait past --timeout is not made: the run reports NotConverged now.
      const delay = verifyRetryDelayMs(retry);
      if (remainingMs && remainingMs() < delay) throw error;
      await sleep(delay);
    }
  }
}

/** The routes this run has written so far: its steps report counts, the routes come from its plan. */
function written(run: DirectRun): ChangeResult[] {
  const plan = run.plan?.plan;
  if (!plan) return [];
  return [run.applied.localVpc, run.applied.tgw, run.applied.remoteVpc]
    .flatMap((out) => (out ? rebuiltResults({ plan }, out) : []))
    .filter((r) => r.result === 'applied');
}

function failureOf(error: unknown): { error: string; cause: string } {
  if (error instanceof Error) return { error: error.name || 'Error', cause: error.message };
  return { error: 'Error', cause: String(error) };
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
