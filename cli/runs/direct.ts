/**
 * `failover --direct` and `--direct-when-unavailable` (and the same on `rollback`): runs the
 * workflow's tasks in this process (cli/runs/direct-run.ts), records the run in the journal, and reports
 * like a followed execution: the same live step list, the same verdict lines, the same exit codes.
 */
import { hostname } from 'node:os';
import type { ExecutionInput } from '../../tasks/contracts';
import { partitionOf } from '../../tasks/partition';
import { regionOfNode } from '../../tasks/routing';
import { WAVE_MARGIN_MS } from '../../tasks/time-budget';
import { StartUnavailableError, usageError } from '../core/cli-error';
import type { CommandContext } from '../core/context';
import { ExitCode } from '../core/exit-codes';
import { StepPrinter } from '../render/steps';
import { duration, plural } from '../render/text';
import type { StepRecord } from './executions';
import type { RunReport } from './follow';
import type { DirectRun } from './journal';
import type { Session } from './session';

/** A direct run's writes retry for as long as the task function's do (its RETRY_BUDGET_MS default). */
const DIRECT_EC2_BUDGET_MS = 20_000;

export interface DirectOptions {
  /** Regions whose StartExecution failed, when this run is the fallback of `--direct-when-unavailable`. */
  readonly fallback?: readonly { readonly region: string; readonly code: string }[];
  readonly wait: boolean;
  /** `--timeout`: the run starts no write wave that could end later. @default unbounded */
  readonly timeoutMs?: number;
}

/** The `--json` report of a direct run: a followed run's report, plus where the record is. */
export interface DirectReport extends RunReport {
  readonly direct: true;
  readonly journal: string;
  /** Where the record went in CloudWatch Logs, when it got there in time (cli/runs/run-log.ts). */
  readonly cloudWatchLogs?: { readonly group: string; readonly stream: string };
}

export async function runDirect(
  ctx: CommandContext,
  session: Session,
  input: ExecutionInput,
  options: DirectOptions,
): Promise<DirectReport> {
  assertWaitsForDirect({ wait: options.wait, direct: true });
  // Loaded only for a direct run: a normal failover never loads the EC2 client.
  // The --timeout is counted from here, as a followed run's wait is counted from its start.
  const deadline = options.timeoutMs !== undefined ? ctx.deps.now().getTime() + options.timeoutMs : undefined;
  const [{ directRunId, executeDirect }, { DIRECT_STEP_NAMES }, { Journal }, { openRunLog }] =
    await Promise.all([
      import('./direct-run'),
      import('./direct-steps'),
      import('./journal'),
      import('./run-log'),
    ]);
  const { topology } = session;
  const region = regionOfNode(topology, input.target);
  const journal = new Journal(ctx.globals.journal);
  let journalProblem: string | undefined;
  let journalPath = '';
  // Reads give up as soon as a monitor's do (an EC2 outage ends the run in seconds, writing nothing);
  // writes retry as long as the task function's.
  const [account, ec2, ec2Writes] = await Promise.all([
    session.clients.account(),
    session.clients.ec2(),
    session.clients.ec2(DIRECT_EC2_BUDGET_MS),
  ]);
  const fallback = options.fallback ?? [];
  // The CloudWatch Logs copy of the record: its group and stream are made ready while the run works.
  const stream = directRunId(topology, input, { account, region }).name;
  const runLog = openRunLog(session.clients.logs(region), topology.cluster, stream, ctx.deps.now);

  const printer = new StepPrinter((text) => ctx.print(text.replace(/\n$/, '')), ctx.style, false);
  const live = new StepPrinter((text) => ctx.io.stdout.write(text), ctx.style, true);
  const steps = ctx.globals.json ? undefined : ctx.io.isTTY ? live : printer;

  let announced = false;
  const run = await executeDirect(
    topology,
    input,
    { account, region },
    {
      ec2,
      ec2Writes,
      // The tasks' own guard still asks Step Functions (quickly): if it comes back during this run,
      // a newer execution is seen even when it had nothing to write.
      sfn: session.clients.quickSfn,
      now: ctx.deps.now,
      sleep: ctx.deps.sleep,
      ...(ctx.deps.beforeDirectStep ? { beforeStep: ctx.deps.beforeDirectStep } : {}),
      ...(deadline !== undefined
        ? { budget: { deadline, waveMs: DIRECT_EC2_BUDGET_MS + WAVE_MARGIN_MS } }
        : {}),
      owner: { pid: process.pid, host: hostname() },
      onSteps: (polled) => steps?.update(polled),
      record: async (record) => {
        if (!announced) {
          announced = true;
          ctx.print(`running ${record.name} directly from this node (no Step Functions)`);
        }
        try {
          journalPath = await journal.write(record);
        } catch (error) {
          // The failover matters more than its record: go on, and say where the record is missing.
          if (!journalProblem) {
            journalProblem = error instanceof Error ? error.message : String(error);
            ctx.note(
              `warning: the direct run could not be recorded in ${journal.dir} (${journalProblem}); ` +
                'set --journal or VIPCTL_JOURNAL to a writable directory',
            );
          }
        }
      },
    },
  );
  steps?.finish();
  // Best effort, bounded (RUN_LOG_WAIT_MS): the journal has the record whatever happens here.
  const logged = await runLog.finish(run);
  if (!logged.sent)
    ctx.note(`warning: the record was not sent to CloudWatch Logs (${logged.reason}); the journal has it`);

  const base = {
    run: { arn: run.arn, name: run.name, region: run.region, reused: false },
    fallback,
    target: input.target,
    direct: true as const,
    journal: journalProblem ? '' : journalPath,
    ...(logged.sent ? { cloudWatchLogs: { group: logged.group, stream } } : {}),
  };
  const took = run.stoppedAt
    ? ` in ${duration(new Date(run.stoppedAt).getTime() - new Date(run.startedAt).getTime())}`
    : '';
  const output = run.output;
  if (run.status === 'SUCCEEDED' && output) {
    const degraded = output.status === 'DEGRADED';
    const changed = output.changes.filter((c) => c.result === 'applied').length;
    if (degraded) {
      ctx.print(
        ctx.style.yellow(`DEGRADED${took}: ${output.target} is active, but some regions were unreachable`),
      );
      for (const u of output.unreached) ctx.print(`  not written: ${u.table} (${u.region}) ${u.vip}`);
      ctx.print('  the next vipctl check --repair or failover converges them');
    } else {
      ctx.print(
        ctx.style.green(
          `SUCCEEDED${took}: VIP routes lead to ${output.target} (${plural(changed, 'route')} changed)`,
        ),
      );
    }
    if (journalPath) ctx.print(`  recorded in ${journalPath}`);
    if (logged.sent) ctx.print(`  and in CloudWatch Logs: ${logged.group}, stream ${stream} (${run.region})`);
    return {
      ...base,
      status: degraded ? 'DEGRADED' : 'SUCCEEDED',
      exitCode: degraded ? ExitCode.Degraded : ExitCode.Ok,
      changes: output.changes,
      unreached: output.unreached,
    };
  }

  if (run.status === 'TIMED_OUT') return timedOut(ctx, run, base, took, options.timeoutMs ?? 0);

  const failure = run.failure ?? { error: 'Error', cause: '' };
  ctx.print(ctx.style.red(`FAILED${took}${failure.step ? ` at ${failure.step}` : ''}: ${failure.error}`));
  if (failure.cause) ctx.print(`  ${failure.cause.replace(/\n/g, '\n  ')}`);
  const denied = missingPermissions(failure.cause, account);
  if (denied.length > 0) {
    ctx.print(`  this node's role may not write VIP routes; missing: ${denied.join(', ')}`);
    ctx.print('  add the statement printed by `vipctl policy --node --direct` to the node role');
  }
  ctx.print(`  details: vipctl show ${run.name}${journalPath ? ` (recorded in ${journalPath})` : ''}`);
  // EC2 of the target's region could not be read: nothing was written and the state is unknown.
  const unreachable = failure.step === DIRECT_STEP_NAMES.plan && failure.error === 'RegionUnreachable';
  return {
    ...base,
    status: 'FAILED',
    exitCode: unreachable ? ExitCode.Unreachable : ExitCode.Failed,
    failure: { ...(failure.step ? { step: failure.step } : {}), error: failure.error, cause: failure.cause },
  };
}

/**
 * The run stopped because --timeout could not cover its next write wave: like a followed run that
 * vipctl stopped, it reports every route it wrote (its finished steps' and the stopped step's waves).
 */
function timedOut(
  ctx: CommandContext,
  run: DirectRun,
  base: Pick<DirectReport, 'run' | 'fallback' | 'target' | 'direct' | 'journal'>,
  took: string,
  timeoutMs: number,
): DirectReport {
  const failure = run.failure ?? { error: 'TimedOut', cause: '' };
  const written = run.written ?? [];
  ctx.print(
    ctx.style.red(
      `TIMED_OUT${took}${failure.step ? ` at ${failure.step}` : ''}: --timeout ${duration(timeoutMs)} could not cover the next write wave`,
    ),
  );
  ctx.print(`  ${failure.cause.split('\n')[0]}`);
  ctx.print(`  ${plural(written.length, 'route')} written${written.length > 0 ? ':' : ''}`);
  for (const r of written) ctx.print(`    ${r.action} ${r.vip} -> ${r.target} in ${r.table} (${r.region})`);
  ctx.print('  run the failover again (it writes only what is still wrong), or give it a longer --timeout');
  ctx.print(`  details: vipctl show ${run.name}`);
  return {
    ...base,
    status: 'TIMED_OUT',
    exitCode: ExitCode.Failed,
    failure: { ...(failure.step ? { step: failure.step } : {}), error: failure.error, cause: failure.cause },
    stopped: { written },
  };
}

const DENIED_WRITE =
  /^\s*(create|replace) \S+ -> \S+ in ((?:tgw-)?rtb-[0-9a-f]+) \(([a-z0-9-]+)\): failed (UnauthorizedOperation|AccessDenied\S*)/gm;

/** `ec2:ReplaceRoute on arn:...:route-table/rtb-...` for every write the cause says AWS refused. */
export function missingPermissions(cause: string, account: string): string[] {
  const found = new Set<string>();
  for (const match of cause.matchAll(DENIED_WRITE)) {
    const [, action, table, region] = match as unknown as [string, string, string, string];
    const tgw = table.startsWith('tgw-rtb-');
    const verb = action === 'create' ? 'Create' : 'Replace';
    const kind = tgw ? 'transit-gateway-route-table' : 'route-table';
    // The table's own region's partition: arn:aws-cn: in China, arn:aws-us-gov: in GovCloud.
    found.add(
      `ec2:${verb}${tgw ? 'TransitGateway' : ''}Route on arn:${partitionOf(region)}:ec2:${region}:${account}:${kind}/${table}`,
    );
  }
  return [...found];
}

export interface RunModeOptions {
  readonly wait: boolean;
  readonly timeoutMs: number;
  /** False with --no-stop: leave an execution running when --timeout expires. */
  readonly stop?: boolean;
  readonly direct?: boolean;
  readonly directWhenUnavailable?: boolean;
}

/**
 * How failover and rollback run a request: as an execution followed to its end; directly with
 * `--direct`; or directly only when StartExecution fails in every cluster region, with
 * `--direct-when-unavailable`.
 */
export async function startOrRunDirect(
  ctx: CommandContext,
  session: Session,
  input: ExecutionInput,
  options: RunModeOptions,
): Promise<RunReport | DirectReport> {
  if (options.direct)
    return runDirect(ctx, session, input, { wait: options.wait, timeoutMs: options.timeoutMs });
  const { startAndFollow } = await import('./follow');
  const startedAt = ctx.deps.now().getTime();
  try {
    return await startAndFollow(ctx, session, input, options);
  } catch (error) {
    if (!options.directWhenUnavailable || !(error instanceof StartUnavailableError)) throw error;
    ctx.note(`vipctl: ${error.message}; running it directly from this node`);
    // What is left of --timeout after the attempts to start the run.
    return runDirect(ctx, session, input, {
      wait: options.wait,
      fallback: error.regions,
      timeoutMs: Math.max(0, options.timeoutMs - (ctx.deps.now().getTime() - startedAt)),
    });
  }
}

/** `--no-wait` cannot go with a direct run: checked before anything is read or started. */
export function assertWaitsForDirect(options: Omit<RunModeOptions, 'timeoutMs'>): void {
  if ((options.direct || options.directWhenUnavailable) && !options.wait) {
    throw usageError(
      '--no-wait does not go with --direct or --direct-when-unavailable: a direct run ends with this command',
      'drop --no-wait',
    );
  }
}

/**
 * A drill run in this process (`vipctl drill --direct`): the same plan, the update steps' writes sent
 * with DryRun by this node's credentials, and the planned world traced. It proves that this node may
 * make a direct run's writes. A drill writes nothing, so it is not journaled.
 */
export async function runDirectDrill(
  ctx: CommandContext,
  session: Session,
  input: ExecutionInput,
  onSteps?: (steps: readonly StepRecord[]) => void,
): Promise<DirectRun> {
  const [{ executeDirect }, account, ec2, ec2Writes] = await Promise.all([
    import('./direct-run'),
    session.clients.account(),
    session.clients.ec2(),
    session.clients.ec2(DIRECT_EC2_BUDGET_MS),
  ]);
  return executeDirect(
    session.topology,
    input,
    { account, region: regionOfNode(session.topology, input.target) },
    {
      ec2,
      ec2Writes,
      sfn: session.clients.quickSfn,
      now: ctx.deps.now,
      sleep: ctx.deps.sleep,
      record: async () => {},
      ...(onSteps ? { onSteps } : {}),
    },
  );
}
