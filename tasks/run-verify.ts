/**
 * The VerifyReachability task: read the world again and judge the run. A failover is traced hop by
 * hop from every table; a restore checks that every restored route is back. SUCCEEDED when all is
 * converged, DEGRADED when every problem is explained by an unreachable region (the target's region
 * being converged and healthy), NotConverged otherwise (the state machine retries it briefly).
 */

import { executionSession } from './accounts';
import { alreadyRightResults } from './already-right';
import type { ResultSummary, RunOutput, VerifyInput } from './contracts';
import type { TaskDeps } from './deps';
import { desiredState } from './desired-state';
import { plannedWorld, refusedWrites, traceReasons } from './drill';
import { readWorld } from './ec2/read-world';
import { NotConvergedError, NotReadyError } from './errors';
import { type Change, type ChangeResult, planChanges } from './plan';
import { regionOfNode, STEPS } from './routing';
import { type FullPlan, fullPlan, outputForState, readStepResults } from './run-records';
import type { RunStore } from './run-store';
import { parseExecutionArn } from './sfn';
import { rebuiltResults } from './step-results';
import { durationMs, timingOf } from './timing';
import type { Topology } from './topology';
import { failedOutcomeText, type Trace, type TraceStart, trace } from './trace';
import { type Observation, routeKey } from './world';

const APPLIED_KEY = { 'local-vpc': 'localVpc', tgw: 'tgw', 'remote-vpc': 'remoteVpc' } as const;
const REPORTED_FAILURES = 5;

export async function runVerify(input: VerifyInput, deps: TaskDeps): Promise<RunOutput> {
  const startedAt = deps.now();
  const { topology } = input;
  if (input.plan.mode === 'drill') return verifyDrill(input, deps, startedAt);
  const plan = await fullPlan(input.plan, deps.store);
  const observation = await readWorld(deps.ec2, topology, { sessionName: executionSession(input.execution) });
  const observed = trace(topology, observation, plan.target);
  const unreachable = new Set(observation.unreachable.map((f) => f.region));
  const targetRegion = regionOfNode(topology, plan.target);

  const problems =
    plan.mode === 'restore'
      ? restoreProblems(topology, plan, observation)
      : traceProblems(observed, plan.target);
  // Explained: the problem sits in, or lies beyond, a region that could not be read.
  const unexplained = problems.filter((p) => !p.unknown && !unreachable.has(p.region));
  const targetDown = unreachable.has(targetRegion);
  if (unexplained.length > 0 || targetDown) {
    const shown = unexplained.slice(0, REPORTED_FAILURES).map((p) => p.text);
    const more =
      unexplained.length > REPORTED_FAILURES
        ? `\n  ... and ${unexplained.length - REPORTED_FAILURES} more`
        : '';
    const down = targetDown ? [`the target's region ${targetRegion} could not be read`] : [];
    throw new NotConvergedError(
      `${plan.mode} to ${plan.target} has not converged:\n  ${[...down, ...shown].join('\n  ')}${more}`,
    );
  }

  const status = problems.length === 0 ? 'SUCCEEDED' : 'DEGRADED';
  const changes = await allResults(input, plan, deps.store);
  const { restore, ...request } = plan.request;
  const finishedAt = deps.now();
  const output: RunOutput = {
    status,
    mode: plan.mode,
    target: plan.target,
    request: restore ? { ...request, restoreFrom: restore.from } : request,
    changes,
    snapshot: plan.plan.snapshot,
    skipped: plan.skipped,
    trace: observed,
    unreached: status === 'DEGRADED' ? unreached(changes, plan.plan.changes, unreachable) : [],
    timings: timings(input, durationMs(timingOf(startedAt, finishedAt))),
    summary: summaryOf(changes),
  };
  return outputForState(output, input.plan.record !== undefined, deps.store, input.execution);
}

function summaryOf(changes: readonly ChangeResult[]): ResultSummary {
  const count = (result: ChangeResult['result']) => changes.filter((c) => c.result === result).length;
  return {
    routes: changes.length,
    applied: count('applied'),
    alreadyRight: count('already-right'),
    failed: count('failed'),
    unreachable: count('unreachable'),
  };
}

/**
 * A drill's verdict: trace the world as the plan would leave it (read again, with every planned change
 * applied in memory), and collect every reason a failover would not work: failed preconditions (Plan),
 * refused dry-run writes (the update steps) and the trace. READY, or NotReady listing them all.
 */
export async function verifyDrill(
  input: Pick<VerifyInput, 'topology' | 'plan' | 'applied' | 'execution'>,
  deps: Pick<TaskDeps, 'ec2' | 'now' | 'store'>,
  startedAt = deps.now(),
): Promise<RunOutput> {
  const { topology } = input;
  const plan = await fullPlan(input.plan, deps.store);
  const observation = await readWorld(deps.ec2, topology, { sessionName: executionSession(input.execution) });
  const observed = trace(topology, plannedWorld(observation, plan.plan.changes), plan.target);
  const { partition, account } = parseExecutionArn(input.execution.id);
  const results = await allResults(input, plan, deps.store);
  const unreachable = observation.unreachable.map((f) => `region: ${f.region} could not be read: ${f.code}`);
  const reasons = [
    ...new Set([
      ...(plan.notReady ?? []),
      ...unreachable,
      ...refusedWrites(results, partition, account).map((line) => `write: ${line}`),
      ...traceReasons(observed, plan.target),
    ]),
  ];
  if (reasons.length > 0) {
    throw new NotReadyError(
      `drill to ${plan.target} is NOT READY (${reasons.length} reason${reasons.length === 1 ? '' : 's'}):\n  ${reasons.join('\n  ')}`,
    );
  }
  const { restore: _, ...request } = plan.request;
  const output: RunOutput = {
    status: 'READY',
    mode: 'drill',
    target: plan.target,
    request,
    changes: results,
    snapshot: plan.plan.snapshot,
    skipped: [],
    trace: observed,
    unreached: [],
    timings: timings(input, durationMs(timingOf(startedAt, deps.now()))),
    summary: summaryOf(results),
  };
  return outputForState(output, input.plan.record !== undefined, deps.store, input.execution);
}

interface Problem {
  readonly region: string;
  /** The problem lies beyond a region that could not be read. */
  readonly unknown: boolean;
  readonly text: string;
}

function traceProblems(observed: Trace, target: string): Problem[] {
  const arrives = (s: TraceStart) => s.outcome.kind === 'arrives' && s.outcome.node === target;
  const starts = observed.starts
    .filter((s) => !arrives(s))
    .map((s) => ({
      region: s.region,
      unknown: s.outcome.kind === 'unknown',
      text: `${s.table} (${s.region}) ${s.vip}: ${failedOutcomeText(s.outcome)}`,
    }));
  // The trace leaves out resources of unreachable regions, so every health problem is a real one.
  const health = observed.health.map((h) => ({
    region: '',
    unknown: false,
    text: `${h.resource}: ${h.problem}`,
  }));
  return [...starts, ...health];
}

/** A restore is back when planning the restored routes against the world again finds nothing to do. */
function restoreProblems(topology: Topology, plan: FullPlan, observation: Observation): Problem[] {
  const { desired } = desiredState(topology, plan.request);
  return planChanges(desired, observation).changes.map((c) => ({
    region: c.region,
    unknown: c.previousState === 'unknown',
    text: `${c.table} (${c.region}) ${c.vip}: ${c.previous ?? 'no route'} (${c.previousState}), expected ${c.target}`,
  }));
}

/**
 * The results of the three update steps: read back from a step's record, else rebuilt from its counts
 * (every planned change that is not one of its failures was applied). A step that did not run reports
 * its routes as already right.
 */
async function allResults(
  { topology, applied }: Pick<VerifyInput, 'topology' | 'applied'>,
  plan: FullPlan,
  store: RunStore | undefined,
): Promise<ChangeResult[]> {
  const perStep = await Promise.all(
    STEPS.map(async (step) => {
      const out = applied[APPLIED_KEY[step]];
      if (!out) return alreadyRightResults(topology, plan, step);
      if (out.record) return (await readStepResults(store, out.record)).results;
      return [...rebuiltResults(plan, out), ...alreadyRightResults(topology, plan, step)];
    }),
  );
  return perStep.flat();
}

/** Tables in unreachable regions whose change was not applied. */
function unreached(
  results: readonly ChangeResult[],
  planned: readonly Change[],
  unreachable: ReadonlySet<string>,
): RunOutput['unreached'] {
  const applied = new Set(results.filter((r) => r.result === 'applied').map((r) => routeKey(r.table, r.vip)));
  const missed = [
    ...results.filter((r) => r.result === 'unreachable'),
    ...planned.filter((c) => unreachable.has(c.region) && !applied.has(routeKey(c.table, c.vip))),
  ];
  const byKey = new Map(
    missed.map((m) => [routeKey(m.table, m.vip), { table: m.table, region: m.region, vip: m.vip }]),
  );
  return [...byKey.values()];
}

/** Milliseconds per task: plan, each update step that ran, and this verification. */
function timings(
  { plan, applied }: Pick<VerifyInput, 'plan' | 'applied'>,
  verifyMs: number,
): Record<string, number> {
  const out: Record<string, number> = { plan: durationMs(plan.timing) };
  for (const step of STEPS) {
    const output = applied[APPLIED_KEY[step]];
    if (output) out[step] = durationMs(output.timing);
  }
  out.verify = verifyMs;
  return out;
}
