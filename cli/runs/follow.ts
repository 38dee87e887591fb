/**
 * Starts a run and follows it to the end: shared by failover, rollback and check --repair, so all
 * three report and exit the same way (0 SUCCEEDED, 3 DEGRADED, 1 anything else).
 */
import { type ExecutionInput, RunOutput } from '../../tasks/contracts';
import type { ChangeResult } from '../../tasks/plan';
import { regionOfNode } from '../../tasks/routing';
import { errorCode } from '../aws/errors';
import type { CommandContext } from '../core/context';
import { ExitCode } from '../core/exit-codes';
import { StepPrinter } from '../render/steps';
import { duration, plural } from '../render/text';
import {
  failureOf,
  parseCause,
  type RunDetail,
  type StartResult,
  stepsOf,
  supersedingRunOf,
} from './executions';
import { recordOf, recordOptions } from './run-record';
import type { Session } from './session';

export interface FollowOptions {
  readonly wait: boolean;
  readonly timeoutMs: number;
  /**
   * Stop the run (StopExecution) when the wait times out, so that it cannot write after the caller
   * has given up on it. @default false
   */
  readonly stop?: boolean;
}

/** The stable `--json` shape of a started (and possibly finished) run. */
export interface RunReport {
  readonly run: {
    readonly arn: string;
    readonly name: string;
    readonly region: string;
    readonly reused: boolean;
  };
  /** Regions whose Step Functions API could not be reached before the run was started elsewhere. */
  readonly fallback: readonly { readonly region: string; readonly code: string }[];
  readonly target: string;
  /** `STARTED` with --no-wait; `RUNNING` when the wait timed out; else the outcome. */
  readonly status: 'STARTED' | 'RUNNING' | 'SUCCEEDED' | 'DEGRADED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
  readonly exitCode: number;
  readonly changes?: unknown[];
  readonly unreached?: unknown[];
  readonly failure?: { readonly step?: string; readonly error: string; readonly cause: string };
  /** Set when vipctl stopped the run because --timeout expired. */
  readonly stopped?: {
    /** The routes the run's finished update steps had written. */
    readonly written: readonly ChangeResult[];
    /** The step that was running when the run was stopped; its writes are not known. */
    readonly inFlight?: string;
  };
}

export async function startAndFollow(
  ctx: CommandContext,
  session: Session,
  input: ExecutionInput,
  options: FollowOptions,
): Promise<RunReport> {
  const region = regionOfNode(session.topology, input.target);
  // The same failover started moments ago by another process is the same request: follow it
  // instead of starting a second run that would supersede it.
  const joined = input.restore
    ? undefined
    : await session.executions.runningTo(input.target, region, JOIN_WINDOW_MS);
  const started: StartResult = joined
    ? { arn: joined.arn, name: joined.name, region: joined.region, reused: true, skipped: [] }
    : await session.executions.start(input, region);
  announce(ctx, started, region);
  const base = {
    run: { arn: started.arn, name: started.name, region: started.region, reused: started.reused },
    fallback: started.skipped,
    target: input.target,
  };
  if (!options.wait) {
    ctx.print(`follow it with: vipctl show ${started.name}`);
    return { ...base, status: 'STARTED', exitCode: ExitCode.Ok };
  }

  const printer = new StepPrinter((text) => ctx.print(text.replace(/\n$/, '')), ctx.style, false);
  const live = new StepPrinter((text) => ctx.io.stdout.write(text), ctx.style, true);
  const steps = ctx.globals.json ? undefined : ctx.io.isTTY ? live : printer;
  const deadline = ctx.deps.now().getTime() + options.timeoutMs;
  let detail = await session.executions.wait(started.arn, {
    timeoutMs: options.timeoutMs,
    withSteps: steps !== undefined,
    onPoll: (_detail, polled) => steps?.update(polled),
  });
  steps?.finish();
  // A run superseded by a newer run to the same node (a duplicate start) ends with that run's outcome.
  for (let hop = 0; hop < 3 && !input.restore && detail.status === 'FAILED'; hop++) {
    const newer = await supersedingSameTarget(session, detail, input.target);
    if (!newer) break;
    ctx.print(`${detail.name} was superseded by ${newer.name}, a run to the same node: following it`);
    detail = await session.executions.wait(newer.arn, {
      timeoutMs: Math.max(0, deadline - ctx.deps.now().getTime()),
      withSteps: false,
    });
  }
  const followed =
    detail.arn === started.arn
      ? base
      : { ...base, run: { arn: detail.arn, name: detail.name, region: detail.region, reused: true } };
  return report(ctx, session, followed, detail, options);
}

/** How recent a running failover to the same node must be to be joined rather than superseded. */
const JOIN_WINDOW_MS = 120_000;

async function supersedingSameTarget(
  session: Session,
  detail: RunDetail,
  target: string,
): Promise<RunDetail | undefined> {
  const failure = failureOf(await session.executions.history(detail.arn), detail);
  if (failure?.error !== 'Superseded') return undefined;
  const arn = supersedingRunOf(failure.cause);
  if (!arn) return undefined;
  const newer = await session.executions.describe(arn);
  return newer.target === target && !newer.input?.restore ? newer : undefined;
}

function announce(ctx: CommandContext, started: StartResult, region: string): void {
  for (const skip of started.skipped) {
    ctx.note(
      `Step Functions in ${skip.region} is unreachable (${skip.code}); trying the next cluster region`,
    );
  }
  if (started.region !== region) ctx.note(`started in ${started.region} instead of ${region}`);
  ctx.print(
    started.reused
      ? `run ${started.name} already exists in ${started.region}: following it`
      : `started ${started.name} in ${started.region}`,
  );
}

/** A large run keeps its full output in the run bucket; `--json` reports every change either way. */
async function fullOutput(session: Session, detail: RunDetail): Promise<RunOutput | undefined> {
  const record = detail.output?.record;
  if (!record) return detail.output;
  const stored = RunOutput.safeParse(await (await session.clients.records())(detail.region, record));
  return stored.success ? stored.data : detail.output;
}

async function report(
  ctx: CommandContext,
  session: Session,
  base: Pick<RunReport, 'run' | 'fallback' | 'target'>,
  detail: RunDetail,
  options: FollowOptions,
): Promise<RunReport> {
  const took = detail.stoppedAt
    ? ` in ${duration(detail.stoppedAt.getTime() - detail.startedAt.getTime())}`
    : '';
  if (detail.status === 'RUNNING' && options.stop) {
    return stopOnTimeout(ctx, session, base, detail, options);
  }
  if (detail.status === 'RUNNING') {
    ctx.print(ctx.style.yellow(`still RUNNING after ${duration(options.timeoutMs)}`));
    ctx.note(
      `vipctl: ${detail.name} did not finish within --timeout; follow it with vipctl show ${detail.name}`,
    );
    return { ...base, status: 'RUNNING', exitCode: ExitCode.Failed };
  }
  if (detail.status === 'SUCCEEDED') {
    const output = await fullOutput(session, detail);
    const degraded = output?.status === 'DEGRADED';
    const changed =
      output?.summary?.applied ?? output?.changes.filter((c) => c.result === 'applied').length ?? 0;
    if (degraded) {
      ctx.print(
        ctx.style.yellow(
          `DEGRADED${took}: ${detail.target ?? base.target} is active, but some regions were unreachable`,
        ),
      );
      for (const u of output?.unreached ?? []) ctx.print(`  not written: ${u.table} (${u.region}) ${u.vip}`);
      ctx.print('  the next vipctl check --repair or failover converges them');
    } else {
      ctx.print(
        ctx.style.green(
          `SUCCEEDED${took}: VIP routes lead to ${output?.target ?? base.target} (${plural(changed, 'route')} changed)`,
        ),
      );
    }
    return {
      ...base,
      status: degraded ? 'DEGRADED' : 'SUCCEEDED',
      exitCode: degraded ? ExitCode.Degraded : ExitCode.Ok,
      changes: output?.changes,
      unreached: output?.unreached,
    };
  }
  const failure = failureOf(await session.executions.history(detail.arn), detail) ?? {
    step: undefined,
    error: detail.status,
    cause: '',
  };
  const cause = parseCause(failure.cause);
  ctx.print(
    ctx.style.red(`${detail.status}${took}${failure.step ? ` at ${failure.step}` : ''}: ${failure.error}`),
  );
  if (cause.message)
    ctx.print(`  ${cause.type && cause.type !== failure.error ? `${cause.type}: ` : ''}${cause.message}`);
  ctx.print(`  details: vipctl show ${detail.name}`);
  return {
    ...base,
    status: detail.status === 'TIMED_OUT' || detail.status === 'ABORTED' ? detail.status : 'FAILED',
    exitCode: ExitCode.Failed,
    failure: { step: failure.step, error: failure.error, cause: cause.message },
  };
}

/**
 * The wait timed out: stop the run, so that it cannot write after the cluster manager has moved on,
 * and report what it had written. A run that ended meanwhile is reported as it ended.
 */
async function stopOnTimeout(
  ctx: CommandContext,
  session: Session,
  base: Pick<RunReport, 'run' | 'fallback' | 'target'>,
  running: RunDetail,
  options: FollowOptions,
): Promise<RunReport> {
  try {
    await session.executions.stop(
      running.arn,
      `vipctl stopped the run: it was still running after --timeout ${duration(options.timeoutMs)}`,
    );
  } catch (error) {
    ctx.note(
      `vipctl: could not stop ${running.name} (${errorCode(error)}); it may still write. ` +
        `Stop it in the Step Functions console, or allow states:StopExecution (vipctl policy --node)`,
    );
    return report(ctx, session, base, running, { ...options, stop: false });
  }
  const detail = await session.executions.describe(running.arn);
  if (detail.status !== 'ABORTED') return report(ctx, session, base, detail, { ...options, stop: false });

  const events = await session.executions.history(detail.arn);
  // Every route the finished steps wrote, a large run's included (they are in its record).
  const written = (await recordOf(detail, events, recordOptions(session))).changes.filter(
    (c) => c.result === 'applied',
  );
  const inFlight = [...stepsOf(events)].reverse().find((s) => s.type === 'Task' && !s.exitedAt)?.name;
  ctx.print(
    ctx.style.red(
      `ABORTED: still running after ${duration(options.timeoutMs)}, so vipctl stopped it${inFlight ? ` during ${inFlight}` : ''}`,
    ),
  );
  ctx.print(
    `  ${plural(written.length, 'route')} written by its finished steps${written.length > 0 ? ':' : ''}`,
  );
  for (const r of written) ctx.print(`    ${r.action} ${r.vip} -> ${r.target} in ${r.table} (${r.region})`);
  if (inFlight)
    ctx.print(`  ${inFlight} was running: its writes are not known; vipctl status shows the routes now`);
  ctx.print(`  details: vipctl show ${detail.name}`);
  return {
    ...base,
    status: 'ABORTED',
    exitCode: ExitCode.Failed,
    stopped: { written, ...(inFlight ? { inFlight } : {}) },
  };
}
