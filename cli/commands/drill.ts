/**
 * `vipctl drill --to <node|self|all>`: start drill runs (DESIGN section 5), one per node, all at once,
 * and print each node's readiness. Exit 0 when every node is READY, 1 when any is NOT READY, 4 when a
 * drill could not be started or followed because AWS was unreachable.
 */
import type { ExecutionInput } from '../../tasks/contracts';
import { ErrorName } from '../../tasks/errors';
import { regionOfNode } from '../../tasks/routing';
import { CliError } from '../core/cli-error';
import type { CommandContext } from '../core/context';
import { ExitCode } from '../core/exit-codes';
import { StepPrinter } from '../render/steps';
import { duration, table } from '../render/text';
import { failureOf, parseCause, type RunDetail } from '../runs/executions';
import { openSession, type Session } from '../runs/session';

export interface DrillOptions {
  readonly to: string;
  readonly reason?: string;
  readonly timeout: number;
  /** Drill from this node, in-process, with its own credentials: proves what `failover --direct` needs. */
  readonly direct?: boolean;
}

/** One node's readiness, as `--json` prints it (stable). */
export interface DrillResult {
  readonly target: string;
  readonly region: string;
  readonly status: 'READY' | 'NOT_READY' | 'UNREACHABLE';
  /** Every reason the node is not ready (NOT_READY), or why its readiness is unknown (UNREACHABLE). */
  readonly reasons: readonly string[];
  readonly run?: { readonly arn: string; readonly name: string; readonly region: string };
  /** The run's named error when it did not end READY (NotReady, InvalidRequest, ...). */
  readonly error?: string;
  readonly durationMs?: number;
}

export interface DrillReport {
  readonly ready: boolean;
  readonly exitCode: number;
  readonly drills: readonly DrillResult[];
}

export async function drillCommand(ctx: CommandContext, options: DrillOptions): Promise<number> {
  const session = await openSession(ctx);
  const targets =
    options.to === 'all' ? Object.keys(session.topology.nodes) : [await session.node(options.to, '--to')];
  const requestedAt = ctx.deps.now().toISOString();
  const live = targets.length === 1 && !ctx.globals.json;

  const drills = await Promise.all(
    targets.map((target) => drillOne(ctx, session, target, requestedAt, options, live)),
  );
  const exitCode = drills.some((d) => d.status === 'NOT_READY')
    ? ExitCode.Failed
    : drills.some((d) => d.status === 'UNREACHABLE')
      ? ExitCode.Unreachable
      : ExitCode.Ok;
  const report: DrillReport = { ready: exitCode === ExitCode.Ok, exitCode, drills };
  printReport(ctx, drills);
  ctx.printJson(report);
  return exitCode;
}

async function drillOne(
  ctx: CommandContext,
  session: Session,
  target: string,
  requestedAt: string,
  options: DrillOptions,
  live: boolean,
): Promise<DrillResult> {
  const region = regionOfNode(session.topology, target);
  const input: ExecutionInput = {
    target,
    requestedAt,
    requestedBy: ctx.deps.requestedBy,
    mode: 'drill',
    ...(options.reason ? { reason: options.reason } : {}),
  };
  try {
    if (options.direct) return await drillDirectly(ctx, session, input, region, live);
    const started = await session.executions.start(input, region);
    ctx.print(`started ${started.name} in ${started.region}`);
    const run = { arn: started.arn, name: started.name, region: started.region };
    const steps = live ? stepPrinter(ctx) : undefined;
    const detail = await session.executions.wait(started.arn, {
      timeoutMs: options.timeout * 1000,
      withSteps: steps !== undefined,
      onPoll: (_detail, polled) => steps?.update(polled),
    });
    steps?.finish();
    const result = await resultOf(session, target, region, run, detail, options);
    if (!live) ctx.print(`${target}: ${result.status.replace('_', ' ')}`);
    return result;
  } catch (error) {
    if (error instanceof CliError && error.exitCode === ExitCode.Unreachable) {
      return { target, region, status: 'UNREACHABLE', reasons: [error.message] };
    }
    throw error;
  }
}

async function resultOf(
  session: Session,
  target: string,
  region: string,
  run: NonNullable<DrillResult['run']>,
  detail: RunDetail,
  options: DrillOptions,
): Promise<DrillResult> {
  const base = { target, region, run };
  const durationMs = detail.stoppedAt ? detail.stoppedAt.getTime() - detail.startedAt.getTime() : undefined;
  const timed = durationMs === undefined ? {} : { durationMs };
  if (detail.status === 'SUCCEEDED' && detail.output?.status === 'READY') {
    return { ...base, ...timed, status: 'READY', reasons: [] };
  }
  if (detail.status === 'RUNNING') {
    return {
      ...base,
      status: 'NOT_READY',
      reasons: [`the drill did not finish within --timeout ${options.timeout} s (vipctl show ${run.name})`],
    };
  }
  const failure = failureOf(await session.executions.history(run.arn), detail);
  const error = failure?.error ?? detail.status;
  const message = parseCause(failure?.cause).message;
  // NotReady's message is a headline and one reason per indented line.
  const lines = message.split('\n').map((line) => line.trim());
  const reasons = error === ErrorName.NotReady ? lines.slice(1).filter(Boolean) : [message || error];
  return { ...base, ...timed, status: 'NOT_READY', error, reasons };
}

/** A drill run in this process: its DryRun writes are made with this node's own permissions. */
async function drillDirectly(
  ctx: CommandContext,
  session: Session,
  input: ExecutionInput,
  region: string,
  live: boolean,
): Promise<DrillResult> {
  const { runDirectDrill } = await import('../runs/direct');
  const steps = live ? stepPrinter(ctx) : undefined;
  const run = await runDirectDrill(ctx, session, input, (polled) => steps?.update(polled));
  steps?.finish();
  const base = { target: input.target, region, run: { arn: run.arn, name: run.name, region: run.region } };
  const durationMs = run.stoppedAt
    ? new Date(run.stoppedAt).getTime() - new Date(run.startedAt).getTime()
    : undefined;
  const timed = durationMs === undefined ? {} : { durationMs };
  if (!live) ctx.print(`${input.target}: ${run.output?.status === 'READY' ? 'READY' : 'NOT READY'}`);
  if (run.status === 'SUCCEEDED' && run.output?.status === 'READY') {
    return { ...base, ...timed, status: 'READY', reasons: [] };
  }
  const error = run.failure?.error ?? 'Error';
  const message = run.failure?.cause ?? '';
  if (error === ErrorName.RegionUnreachable) {
    return { ...base, ...timed, status: 'UNREACHABLE', error, reasons: [message] };
  }
  const lines = message.split('\n').map((line) => line.trim());
  const reasons = error === ErrorName.NotReady ? lines.slice(1).filter(Boolean) : [message || error];
  return { ...base, ...timed, status: 'NOT_READY', error, reasons };
}

function printReport(ctx: CommandContext, drills: readonly DrillResult[]): void {
  const colour = (status: DrillResult['status']) =>
    status === 'READY'
      ? ctx.style.green('READY')
      : status === 'UNREACHABLE'
        ? ctx.style.yellow('UNREACHABLE')
        : ctx.style.red('NOT READY');
  ctx.print('');
  ctx.print(
    table(
      ['NODE', 'REGION', 'READINESS', 'DURATION', 'RUN'],
      drills.map((d) => [
        d.target,
        d.region,
        colour(d.status),
        d.durationMs === undefined ? '-' : duration(d.durationMs),
        d.run?.name ?? '-',
      ]),
    ),
  );
  for (const d of drills.filter((d) => d.status !== 'READY')) {
    ctx.print('');
    ctx.print(
      `${d.target}: ${d.status === 'UNREACHABLE' ? 'readiness unknown' : `not ready${d.error ? ` (${d.error})` : ''}`}`,
    );
    for (const reason of d.reasons) ctx.print(`  - ${reason}`);
  }
}

/** Prints a drill's steps as they happen: redrawn in place on a terminal, a line each otherwise. */
function stepPrinter(ctx: CommandContext): StepPrinter {
  return new StepPrinter(
    (text) => (ctx.io.isTTY ? ctx.io.stdout.write(text) : ctx.print(text.replace(/\n$/, ''))),
    ctx.style,
    ctx.io.isTTY,
  );
}
