/** Which run a command means: `<run>` (an execution name or ARN, or a direct run's) or `--last`. Shared by show and rollback. */
import { usageError } from '../core/cli-error';
import type { CommandContext } from '../core/context';
import { journalToRead } from './journal';
import { loadSessionRun, type RunRecord, recordOfDirect } from './run-record';
import type { Session } from './session';

export interface RunSelector {
  readonly args: readonly string[];
  readonly last?: boolean;
}

/** The run named on the command line (`<run>` or `--last`) as an execution ARN. */
export async function selectRun(session: Session, options: RunSelector, command: string): Promise<string> {
  const id = options.args[0];
  if (id && options.last) throw usageError(`give either a run or --last to ${command}, not both`);
  if (options.last) return session.executions.last();
  if (!id)
    throw usageError(
      `${command} needs a run`,
      `pass an execution name or ARN (vipctl runs lists them), or --last`,
    );
  return session.executions.resolve(id);
}

/**
 * The record of the run named on the command line: a direct run from the journal (by name or ARN),
 * else an execution. `--last` is the newer of the newest execution and the newest direct run; when
 * Step Functions cannot be reached, the journal alone answers.
 */
export async function selectRecord(
  ctx: CommandContext,
  session: Session,
  options: RunSelector,
  command: string,
): Promise<RunRecord> {
  const journal = journalToRead(ctx.globals.journal, ctx.deps.now);
  const cluster = session.topology.cluster;
  const id = options.args[0];
  if (id && !options.last) {
    const direct = await journal.find(cluster, id);
    if (direct) return recordOfDirect(direct);
  }
  if (options.last && !id) {
    // --last: the newest run that changed or could change routes, never a drill (executions.last()).
    const [newestDirect] = (await journal.list(cluster)).filter((run) => run.input.mode !== 'drill');
    if (newestDirect) {
      const newestExecution = await session.executions.lastRouteRun().catch(() => undefined);
      if (!newestExecution || newestExecution.startedAt.toISOString() < newestDirect.startedAt) {
        return recordOfDirect(newestDirect);
      }
      return loadSessionRun(session, newestExecution.arn);
    }
  }
  return loadSessionRun(session, await selectRun(session, options, command));
}
