/**
 * The stale-run guard of DESIGN section 5: a run never writes after a newer run of the same cluster
 * has started, in any of the cluster's regions. A long retry must not undo a later failback.
 *
 * Its cost is one ListExecutions per cluster region in Plan and about one per update step that has
 * something to write (sent while the step before it writes, see GUARD_WINDOW_MS). That action has a small bucket per account and region: 200 burst / 5 per s in
 * us-east-1, us-west-2 and eu-west-1, 100 / 2 per s elsewhere
 * (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html#service-limits-api-action-throttling-general),
 * shared with every other caller of the account (20 clusters failing over at once make about 100
 * calls in their target region). So throttling is waited out, not treated as a failure: a throttled
 * listing is sent again, with jittered backoff, for as long as the documented bucket takes to refill
 * from empty (burst / refill: 40 s, elsewhere 50 s), within the time the task has left. Only throttling
 * that lasts longer fails the run (PreconditionFailed, writing nothing). A region that does not answer
 * at all is skipped after the much shorter `budgetMs`.
 */
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { ExecutionContext, GuardSkip } from './contracts';
import { PreconditionFailedError, SupersededError } from './errors';
import { isDrillName, stateMachineArn } from './execution-name';
import { NETWORK_ERROR_CODES } from './network-errors';
import { regionsOf } from './routing';
import { type ExecutionSummary, listExecutionsSince, parseExecutionArn } from './sfn';
import type { Topology } from './topology';

/**
 * The guard's safety window: every write wave of a run is sent within this many milliseconds after
 * the start of a guard listing that found no newer run (tasks/run-apply.ts checks it before each wave
 * and lists again when it has passed). A newer run can therefore see an older run's writes go out for
 * at most this long after it started; a newer run that finds an older one still RUNNING holds its own
 * first write until this long after its start (DESIGN section 5, docs/architecture.md).
 *
 * It lets one step's listing serve the next step: each update step lists for the step after it while
 * its own last wave is in flight, and the Plan's listing serves the first update step, so the listing
 * is off the critical path whenever the steps follow each other within the window. It is measured from
 * the moment the listing was sent (TLS set-up included) to the moment a wave is sent, on the task
 * function's clock; a step that finds a listing older than this lists again before it writes. The
 * listing and the wave may be timed by two execution environments: Lambda keeps their clocks with NTP
 * (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime,
 * `TZ`), but documents no bound on the offset, so the window is good to within that offset.
 * ListExecutions is eventually consistent ("may not reflect very recent updates",
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_ListExecutions.html): a run started
 * moments before a listing may not be in it, which no window can close.
 */
export const GUARD_WINDOW_MS = 1_000;

/** Statuses of a newer run that make this run stale. A newer run that failed or was aborted does not. */
const SUPERSEDING = new Set(['RUNNING', 'SUCCEEDED']);

/** One Step Functions client per cluster region (tasks/deps.ts builds them). */
export type SfnClientFor = (region: string) => SFNClient;

export interface GuardOptions {
  /**
   * How long one attempt at a region's listing may take, SDK retries included, before that region is
   * given up as unreachable. The clients' own retry budget is shorter (tasks/deps.ts); this bounds a
   * listing of several pages.
   * @default 8000
   */
  readonly budgetMs?: number;
  /**
   * How long a region's listing may keep being throttled before the run gives up.
   * @default {@link throttledBudgetMs}: the documented bucket's time to refill from empty
   */
  readonly throttledBudgetMs?: (region: string) => number;
  /** The latest time (epoch ms) a throttled listing may wait until. @default no limit but the budget */
  readonly deadline?: number;
  /** @default Date.now */
  readonly now?: () => number;
  /** @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * ListExecutions' documented bucket, per account and region (see the file comment), and the regions
 * with the larger one.
 */
export const LIST_EXECUTIONS_BUCKETS = {
  large: { burst: 200, refillPerSecond: 5 },
  other: { burst: 100, refillPerSecond: 2 },
} as const;
export const SFN_LARGE_QUOTA_REGIONS: readonly string[] = ['us-east-1', 'us-west-2', 'eu-west-1'];

/** The time ListExecutions' documented bucket of `region` takes to refill from empty: 40 s or 50 s. */
export function throttledBudgetMs(region: string): number {
  const bucket = SFN_LARGE_QUOTA_REGIONS.includes(region)
    ? LIST_EXECUTIONS_BUCKETS.large
    : LIST_EXECUTIONS_BUCKETS.other;
  return (bucket.burst / bucket.refillPerSecond) * 1000;
}

/**
 * Backoff between throttled listings: full jitter, from 0.5 s (a token of the smaller bucket) up to
 * 4 s, so that many waiting runs spread over the refill instead of colliding.
 */
const throttledDelayMs = (attempt: number): number =>
  Math.floor(Math.random() * Math.min(4_000, 500 * 2 ** attempt));

const isThrottled = (error: unknown): boolean =>
  ['ThrottlingException', 'Throttling', 'TooManyRequestsException'].includes(codeOf(error));

/**
 * What the guard looked at. A region whose Step Functions API did not answer (a network error, a
 * timeout, or a 5xx after the SDK's retries) is skipped and reported; any other error fails the run.
 */
export interface GuardReport {
  readonly checked: string[];
  readonly skipped: GuardSkip[];
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
        const executions = await throttledRetry(region, options, () => {
          const older: ExecutionSummary[] = [];
          return listExecutionsSince(sfn(region), machine, ownStart, {
            abortSignal: AbortSignal.timeout(options.budgetMs ?? 8000),
            onOlder: (run) => {
              if (run.status === 'RUNNING' && run.arn !== execution.id && !isDrillName(run.name))
                older.push(run);
            },
          }).then((found) => ({ found, older }));
        });
        report.olderRunning.push(...executions.older);
        report.checked.push(region);
        return executions.found;
      } catch (error) {
        // An unreachable region must not block a failover: the guard is best effort there, and says
        // so. Anything else (AccessDenied, a missing state machine, throttling that outlasted the
        // retries) means the guard cannot do its job, so the run must not write.
        if (!isUnreachable(error)) throw guardFailure(topology.cluster, region, machine, error);
        report.skipped.push({ region, code: codeOf(error), message: messageOf(error).slice(0, 1000) });
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

/** Sends `list` again while Step Functions throttles it, within the region's throttled budget. */
async function throttledRetry<T>(region: string, options: GuardOptions, list: () => Promise<T>): Promise<T> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const budget = (options.throttledBudgetMs ?? throttledBudgetMs)(region);
  const until = Math.min(now() + budget, options.deadline ?? Number.POSITIVE_INFINITY);
  for (let attempt = 0; ; attempt++) {
    try {
      return await list();
    } catch (error) {
      const left = until - now();
      if (!isThrottled(error) || left <= 0) throw error;
      await sleep(Math.min(throttledDelayMs(attempt), left));
    }
  }
}

function isNewer(other: ExecutionSummary, ownStart: Date, ownName: string): boolean {
  const delta = other.startDate.getTime() - ownStart.getTime();
  return delta > 0 || (delta === 0 && other.name > ownName);
}

/** The error's AWS or network code: `name`, else Node's `code`. */
function codeOf(error: unknown): string {
  const e = error as { name?: unknown; code?: unknown } | undefined;
  if (typeof e?.name === 'string' && e.name !== 'Error') return e.name;
  return typeof e?.code === 'string' ? e.code : 'Error';
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** Codes that mean the request never got an answer (besides Node's socket errors). */
const NO_ANSWER = new Set(['TimeoutError', 'AbortError', 'RequestTimeout', 'RequestTimeoutException']);

/**
 * The API did not answer: a socket error, a request timeout, our budget's abort, or a 5xx after the
 * SDK's retries (Step Functions answers 5xx for its own faults, e.g. ServiceUnavailable).
 */
function isUnreachable(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    const r = e as {
      name?: unknown;
      code?: unknown;
      $fault?: unknown;
      $metadata?: { httpStatusCode?: number };
      cause?: unknown;
    };
    if (typeof r.code === 'string' && NETWORK_ERROR_CODES.has(r.code)) return true;
    if (typeof r.name === 'string' && NO_ANSWER.has(r.name)) return true;
    if (r.$fault === 'server' || (r.$metadata?.httpStatusCode ?? 0) >= 500) return true;
    e = r.cause;
  }
  return false;
}

/**
 * Why the guard could not check a region, naming it and what to fix. Error codes of ListExecutions:
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_ListExecutions.html#API_ListExecutions_Errors
 * (AccessDeniedException is common to all actions: https://docs.aws.amazon.com/step-functions/latest/apireference/CommonErrors.html)
 */
function guardFailure(
  cluster: string,
  region: string,
  machine: string,
  error: unknown,
): PreconditionFailedError {
  const code = codeOf(error);
  const fix =
    code === 'AccessDeniedException' || code === 'AccessDenied'
      ? `the task role lacks states:ListExecutions on ${machine}: grant it (vipctl policy --lambda lists it) and redeploy`
      : code === 'StateMachineDoesNotExist'
        ? `${region} is a region of cluster ${cluster}'s topology, but it has no state machine ${machine}: deploy the stack there (npx cdk deploy --all), so that runs started there are seen`
        : `retry the failover; if it keeps failing, check Step Functions in ${region}`;
  return new PreconditionFailedError(
    `the stale-run guard cannot list the runs of cluster ${cluster} in ${region} (${code}: ${messageOf(error)}); ` +
      `this run writes nothing, because it cannot tell whether a newer run exists there. Fix: ${fix}`,
    { cause: error },
  );
}

/** The skipped regions as the task outputs carry them, and one structured log line when there are any. */
export function reportSkipped(
  report: GuardReport,
  context: { step: string; execution: string },
  log: ((record: Record<string, unknown>) => void) | undefined,
): { guardSkipped?: GuardSkip[] } {
  if (report.skipped.length === 0) return {};
  log?.({
    level: 'WARN',
    message: `stale-run guard skipped ${report.skipped.map((s) => s.region).join(', ')}: their Step Functions API did not answer`,
    ...context,
    guardSkipped: report.skipped,
  });
  return { guardSkipped: report.skipped };
}
