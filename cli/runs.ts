/** `vipctl runs`: the recent runs of every cluster region, newest first. */
import { isDrillName } from '../tasks/execution-name';
import type { CommandContext } from './context';
import { ExitCode } from './exit-codes';
import { duration, table, timestamp } from './render';
import { openSession } from './session';

export interface RunsOptions {
  readonly limit: number;
  /** False with --no-drills: leave drill runs out. */
  readonly drills: boolean;
}

export async function runsCommand(ctx: CommandContext, options: RunsOptions): Promise<number> {
  const session = await openSession(ctx);
  const listed = await session.executions.list(options.limit);
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
  const durationOf = (startedAt: Date, stoppedAt: Date | undefined) =>
    stoppedAt ? stoppedAt.getTime() - startedAt.getTime() : undefined;

  ctx.printJson({
    runs: runs.map((r, i) => ({
      name: r.name,
      arn: r.arn,
      target: r.target ?? null,
      status: r.status,
      outcome: outcomes[i]?.status ?? r.status,
      mode: outcomes[i]?.mode ?? (isDrillName(r.name) ? 'drill' : null),
      region: r.region,
      startedAt: r.startedAt.toISOString(),
      stoppedAt: r.stoppedAt?.toISOString() ?? null,
      durationMs: durationOf(r.startedAt, r.stoppedAt) ?? null,
    })),
    unreachable,
  });
  if (runs.length === 0) {
    ctx.print(`no runs of ${session.topology.cluster} yet`);
    return ExitCode.Ok;
  }
  ctx.print(
    table(
      ['NAME', 'TARGET', 'STATUS', 'STARTED', 'DURATION', 'REGION'],
      runs.map((r, i) => {
        const ms = durationOf(r.startedAt, r.stoppedAt);
        const mode = outcomes[i]?.mode === 'restore' ? ' (restore)' : isDrillName(r.name) ? ' (drill)' : '';
        return [
          r.name,
          `${r.target ?? '?'}${mode}`,
          outcomes[i]?.status ?? r.status,
          timestamp(r.startedAt),
          ms === undefined ? '-' : duration(ms),
          r.region,
        ];
      }),
    ),
  );
  return ExitCode.Ok;
}
