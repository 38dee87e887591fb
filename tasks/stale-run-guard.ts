/**
 * The stale-run guard of DESIGN section 5: a run never writes after a newer run of the same cluster
 * has started, in any of the cluster's regions. A long retry must not undo a later failback.
 */
import type { ExecutionContext } from './contracts';
import type { SfnClientFor } from './deps';
import { SupersededError } from './errors';
import { isDrillName, stateMachineArn } from './execution-name';
import { regionsOf } from './routing';
import { type ExecutionSummary, listExecutionsSince, parseExecutionArn } from './sfn';
import type { Topology } from './topology';

/** Statuses of a newer run that make this run stale. A newer run that failed or was aborted does not. */
const SUPERSEDING = new Set(['RUNNING', 'SUCCEEDED']);

export interface GuardOptions {
  /** How long one region's listing may take, SDK retries included, before that region is skipped. @default 5000 */
  readonly budgetMs?: number;
}

/** What the guard looked at; regions whose Step Functions API failed are skipped, not fatal. */
export interface GuardReport {
  readonly checked: string[];
  readonly skipped: { region: string; message: string }[];
  /**
   * Older runs of the cluster still RUNNING (among the newest page of each region). They stop at
   * their next guard check, but a write wave they started before this run began may still land.
   */
  readonly olderRunning: ExecutionSummary[];
}

/**
 * Throws SupersededError when another execution of the cluster's state machine, in any cluster
 * region, started after this one (same start: the greater name wins) and is running or succeeded.
 */
export async function assertNotSuperseded(
  sfn: SfnClientFor,
  topology: Topology,
  execution: ExecutionContext,
  options: GuardOptions = {},
): Promise<GuardReport> {
  const own = parseExecutionArn(execution.id);
  const ownStart = new Date(execution.startTime);
  const regions = [...new Set([own.region, ...regionsOf(topology)])];
  const report: GuardReport = { checked: [], skipped: [], olderRunning: [] };

  const listings = await Promise.all(
    regions.map(async (region) => {
      const machine = stateMachineArn(topology.cluster, region, own.account, own.partition);
      try {
        const executions = await listExecutionsSince(sfn(region), machine, ownStart, {
          abortSignal: AbortSignal.timeout(options.budgetMs ?? 5000),
          onOlder: (older) => {
            if (older.status === 'RUNNING' && older.arn !== execution.id && !isDrillName(older.name))
              report.olderRunning.push(older);
          },
        });
        report.checked.push(region);
        return executions;
      } catch (error) {
        // An unreachable or throttled region must not block a failover: the guard is best effort there.
        report.skipped.push({ region, message: error instanceof Error ? error.message : String(error) });
        return [];
      }
    }),
  );

  const newer = listings
    .flat()
    // Drills write nothing, so they never make a run stale (DESIGN section 5).
    .filter(
      (other) => other.arn !== execution.id && SUPERSEDING.has(other.status) && !isDrillName(other.name),
    )
    .filter((other) => isNewer(other, ownStart, own.name))
    .sort((a, b) => b.startDate.getTime() - a.startDate.getTime() || b.name.localeCompare(a.name));
  const newest = newer[0];
  if (newest) {
    throw new SupersededError(
      `a newer run of cluster ${topology.cluster} exists: ${newest.arn} (${newest.status}, started ` +
        `${newest.startDate.toISOString()}); this run started ${ownStart.toISOString()} and stops without ` +
        'writing. Check the newer run with `vipctl show`.',
    );
  }
  return report;
}

function isNewer(other: ExecutionSummary, ownStart: Date, ownName: string): boolean {
  const delta = other.startDate.getTime() - ownStart.getTime();
  return delta > 0 || (delta === 0 && other.name > ownName);
}
