/** `vipctl runs`: the recent runs of every cluster region, newest first, with direct runs from the journal beside them. */
import { isDrillName } from '../../tasks/execution-name';
import { CliError } from '../core/cli-error';
import type { CommandContext } from '../core/context';
import { ExitCode } from '../core/exit-codes';
import { duration, table, timestamp } from '../render/text';
import { journalToRead } from '../runs/journal';
import { openSession } from '../runs/session';

export interface RunsOptions {
  readonly limit: number;
  /** False with --no-drills: leave drill runs out. */
  readonly drills: boolean;
}

interface Row {
  readonly name: string;
  readonly arn: string;
  readonly target: string | null;
  readonly status: string;
  readonly outcome: string;
  readonly mode: string | null;
  readonly region: string;
  readonly startedAt: Date;
  readonly stoppedAt: Date | undefined;
  readonly direct: boolean;
}

export async function runsCommand(ctx: CommandContext, options: RunsOptions): Promise<number> {
  const session = await openSession(ctx);
  const direct = await journalToRead(ctx.globals.journal, ctx.deps.now).list(session.topology.cluster);
  let listed: Awaited<ReturnType<typeof session.executions.list>>;
  try {
    listed = await session.executions.list(options.limit);
  } catch (error) {
    // With Step Functions down everywhere, the journal's direct runs are what there is to show.
    if (!(error instanceof CliError) || error.exitCode !== ExitCode.Unreachable || direct.length === 0)
      throw error;
    ctx.note(`warning: ${error.message}; showing the direct runs of ${ctx.globals.journal} only`);
    listed = { runs: [], unreachable: [] };
  }
  const { unreachable } = listed;
  const runs = options.drills ? listed.runs : listed.runs.filter((r) => !isDrillName(r.name));
  for (const u of unreachable) ctx.note(`warning: runs in ${u.region} could not be listed (${u.code})`);
  // ListExecutions says SUCCEEDED for DEGRADED runs too; only the output tells them apart.
  const outcomes = await Promise.all(
    runs.map(async (r) => {
      if (r.status !== 'SUCCEEDED') return { status: r.status as string, mode: undefined };
      const detail = await session.executions.describe(r.arn).catch(() => undefined);
      return { status: detail?.output?.status ?? r.status, mode: detail?.output?.mode };
    }),
  );
  const rows: Row[] = [
    ...runs.map((r, i) => ({
      name: r.name,
      arn: r.arn,
      target: r.target ?? null,
      status: r.status,
      outcome: outcomes[i]?.status ?? r.status,
      mode: outcomes[i]?.mode ?? (isDrillName(r.name) ? 'drill' : null),
      region: r.region,
      startedAt: r.startedAt,
      stoppedAt: r.stoppedAt,
      direct: false,
    })),
    ...direct.map((d) => ({
      name: d.name,
      arn: d.arn,
      target: d.input.target,
      status: d.status,
      outcome: d.output?.status ?? d.status,
      mode: d.output?.mode ?? (d.input.restore ? 'restore' : 'failover'),
      region: d.region,
      startedAt: new Date(d.startedAt),
      stoppedAt: d.stoppedAt ? new Date(d.stoppedAt) : undefined,
      direct: true,
    })),
  ]
    .sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime() || a.name.localeCompare(b.name))
    .slice(0, options.limit);
  const durationOf = (r: Row) => (r.stoppedAt ? r.stoppedAt.getTime() - r.startedAt.getTime() : undefined);

  ctx.printJson({
    runs: rows.map((r) => ({
      name: r.name,
      arn: r.arn,
      target: r.target,
      status: r.status,
      outcome: r.outcome,
      mode: r.mode,
      region: r.region,
      direct: r.direct,
      startedAt: r.startedAt.toISOString(),
      stoppedAt: r.stoppedAt?.toISOString() ?? null,
      durationMs: durationOf(r) ?? null,
    })),
    unreachable,
  });
  if (rows.length === 0) {
    ctx.print(`no runs of ${session.topology.cluster} yet`);
    return ExitCode.Ok;
  }
  ctx.print(
    table(
      ['NAME', 'TARGET', 'STATUS', 'STARTED', 'DURATION', 'REGION'],
      rows.map((r) => {
        const ms = durationOf(r);
        const notes = [
          r.mode === 'restore' || r.mode === 'drill' ? r.mode : '',
          r.direct ? 'direct' : '',
        ].filter(Boolean);
        return [
          r.name,
          `${r.target ?? '?'}${notes.length > 0 ? ` (${notes.join(', ')})` : ''}`,
          r.outcome,
          timestamp(r.startedAt),
          ms === undefined ? '-' : duration(ms),
          r.region,
        ];
      }),
    ),
  );
  return ExitCode.Ok;
}
