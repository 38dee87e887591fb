/**
 * The data contract of the state machine: the execution input and each task's input and output.
 * Every task parses its input with these schemas, so hostile or stale input is refused at the border.
 *
 * State data as it flows (JSONPath, see workflow/state-machine.ts):
 *   LoadTopology  -> { input, topology, applied: {} }
 *   Plan          -> $.plan     = PlanOutput
 *   Update*       -> $.applied.<localVpc|tgw|remoteVpc> = ApplyOutput
 *   Verify        -> $.verify   = RunOutput (also the execution output)
 *   any failure   -> $.error    = { Error, Cause }  -> Fail state
 *
 * Size (tasks/state-size.ts): each route is in the state once, in the plan. The update steps return
 * counts and failures, not copies. A run of more than INLINE_ROUTES routes keeps its plan, each
 * step's results and its verification in the stack's run bucket (`record`: key and digest), and the
 * state carries only summaries.
 */
import { z } from 'zod';
import { ChangeResult, Plan, SnapshotRoute } from './plan';
import { Step } from './routing';
import { StoredRecord } from './stored-record';
import { Name, Topology } from './topology';
import { Trace } from './trace';
import { RegionFault } from './world';

const ExecutionArn = z
  .string()
  .max(256)
  .regex(
    /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:execution:[A-Za-z0-9_-]{1,80}:[A-Za-z0-9_-]{1,80}$/,
    'must be a Step Functions execution ARN',
  );

/** ISO 8601 with a timezone, e.g. 2026-11-25T12:03:56.123Z. */
const Timestamp = z.iso.datetime({ offset: true });

/**
 * Routes to restore, compactly: VIP -> target -> the tables whose route for that VIP pointed there.
 * Kind and region come from the topology, so each route costs little more than its table ID.
 */
export const RestoreTargets = z.record(
  z.string().max(64),
  z.record(z.string().max(128), z.array(z.string().max(64)).min(1).max(10_000)),
);
export type RestoreTargets = z.infer<typeof RestoreTargets>;

/** What a caller (vipctl) passes to StartExecution. Strict: unknown fields are refused. */
export const ExecutionInput = z.strictObject({
  target: Name,
  reason: z.string().max(256).optional(),
  requestedBy: z.string().max(128).optional(),
  requestedAt: Timestamp,
  restore: z
    .union([
      z.strictObject({
        from: ExecutionArn,
        routes: z.array(SnapshotRoute).min(1).max(10_000),
      }),
      /** The compact form of a large restore: tables by VIP and target (tasks/restore-targets.ts). */
      z.strictObject({ from: ExecutionArn, targets: RestoreTargets }),
    ])
    .optional(),
  /** `drill`: every write is sent with DryRun, nothing changes, and the run says READY or NotReady. @default failover */
  mode: z.enum(['failover', 'drill']).optional(),
});
export type ExecutionInput = z.infer<typeof ExecutionInput>;

/** The execution's own identity, from the context object (`$$.Execution`). */
export const ExecutionContext = z.strictObject({
  id: ExecutionArn,
  startTime: Timestamp,
});
export type ExecutionContext = z.infer<typeof ExecutionContext>;

export const Timing = z.strictObject({ startedAt: Timestamp, finishedAt: Timestamp });
export type Timing = z.infer<typeof Timing>;

/** Plan task input. `input` is untrusted: the plan task validates it against the deployed topology. */
export const PlanInput = z.strictObject({
  task: z.literal('plan'),
  input: z.unknown(),
  topology: Topology,
  execution: ExecutionContext,
});
export type PlanInput = z.infer<typeof PlanInput>;

/** A region the stale-run guard could not check because its Step Functions API did not answer. */
export const GuardSkip = z.strictObject({
  region: z.string(),
  code: z.string(),
  message: z.string().max(1000),
});
export type GuardSkip = z.infer<typeof GuardSkip>;

/** Counts of a plan, shown wherever the plan itself is stored. */
export const PlanSummary = z.strictObject({
  /** VIP routes the run is responsible for (the snapshot's length). */
  routes: z.number().int().nonnegative(),
  /** Routes to write, per step. */
  changes: z.record(Step, z.number().int().nonnegative()),
  unchanged: z.number().int().nonnegative(),
  skipped: z.number().int().nonnegative(),
});
export type PlanSummary = z.infer<typeof PlanSummary>;

export const PlanOutput = z.strictObject({
  /** The request; a stored plan's state copy leaves out the restore routes (`restoreFrom` names their run). */
  request: ExecutionInput,
  mode: z.enum(['failover', 'restore', 'drill']),
  /** The node that must be active at the end. */
  target: Name,
  /** True when there is nothing to write. */
  converged: z.boolean(),
  /** Absent in the records of runs planned before summaries existed. */
  summary: PlanSummary.optional(),
  /** The plan itself, unless it is stored (`record`). */
  plan: Plan.optional(),
  /** Large runs: the whole PlanOutput (plan and full request included) as an object of the run bucket. */
  record: StoredRecord.optional(),
  restoreFrom: z.string().optional(),
  /** Restore only: snapshot routes that cannot be restored (they were missing before; routes are never deleted). */
  skipped: z.array(SnapshotRoute),
  /** Regions that could not be read; their tables are planned as `replace` with state `unknown`. */
  unreachable: z.array(RegionFault),
  /**
   * Older runs still RUNNING when this one planned. Their in-flight writes may land after this
   * run's read, so every desired route is written, not only the ones that looked wrong.
   */
  concurrentWith: z.array(z.string()).max(100).optional(),
  /** Drill only: failed preconditions of the target, reasons it is not ready (a failover would stop at them). */
  notReady: z.array(z.string()).max(1000).optional(),
  /** Regions the stale-run guard skipped (unreachable): a newer run there would not have been seen. */
  guardSkipped: z.array(GuardSkip).optional(),
  /** When the plan's guard listing, which checked every region and found no newer run, was sent. */
  guardListedAt: Timestamp.optional(),
  /**
   * The writes cannot fit the run budget under EC2's documented request rate (tasks/write-rate.ts):
   * the bound, the budget and the fix. Absent when they fit.
   */
  writeRateWarning: z.string().max(2000).optional(),
  timing: Timing,
});
export type PlanOutput = z.infer<typeof PlanOutput>;

/**
 * How long the writes of one region and action waited for tokens once EC2 throttled them
 * (tasks/ec2/token-pacing.ts): the pacing a run's timeline shows.
 */
export const PacingSummary = z.strictObject({
  region: z.string(),
  action: z.string(),
  /** Writes that waited at all. */
  waitedWrites: z.number().int().nonnegative(),
  /** Their waits, summed. */
  waitedMs: z.number().nonnegative(),
  longestWaitMs: z.number().nonnegative(),
  /** The bucket refill rate the writes were paced to. */
  refillPerSecond: z.number().positive().optional(),
});
export type PacingSummary = z.infer<typeof PacingSummary>;

/**
 * What an update step did: counts and its failures. Every planned change of the step that is not a
 * failure was applied; `record` (large runs) holds every result of the step.
 */
export const ApplyOutput = z.strictObject({
  step: Step,
  applied: z.number().int().nonnegative(),
  alreadyRight: z.number().int().nonnegative(),
  /** `failed` and `unreachable` results; with a `record`, the first LISTED_IN_STATE of them. */
  failures: z.array(ChangeResult),
  failureCount: z.number().int().nonnegative(),
  /** Attempts per planned change of the step, in the plan's order (SDK retries included). */
  attempts: z.array(z.number().int().nonnegative()).optional(),
  record: StoredRecord.optional(),
  /** Present when writes of this step waited for EC2 tokens. */
  pacing: z.array(PacingSummary).max(100).optional(),
  /** Regions the stale-run guard skipped before this step wrote. */
  guardSkipped: z.array(GuardSkip).optional(),
  /**
   * When this step's listing for the next step (sent with its last wave; it checked every region and
   * found no newer run) was sent. The next step writes on it while it is younger than the guard's window.
   */
  guardListedAt: Timestamp.optional(),
  /**
   * How old, in ms, the listing that covered this step's oldest-covered wave was when that wave went out
   * (never more than the guard's window). Absent when the step wrote nothing.
   */
  guardAgeMs: z.number().int().nonnegative().optional(),
  timing: Timing,
});
export type ApplyOutput = z.infer<typeof ApplyOutput>;

export const Applied = z.strictObject({
  localVpc: ApplyOutput.optional(),
  tgw: ApplyOutput.optional(),
  remoteVpc: ApplyOutput.optional(),
});
export type Applied = z.infer<typeof Applied>;

export const ApplyInput = z.strictObject({
  task: z.literal('apply'),
  step: Step,
  topology: Topology,
  plan: PlanOutput,
  /** The earlier update steps' outputs: the latest guard listing (`guardListedAt`) they made. */
  applied: Applied.optional(),
  execution: ExecutionContext,
});
export type ApplyInput = z.infer<typeof ApplyInput>;

export const VerifyInput = z.strictObject({
  task: z.literal('verify'),
  topology: Topology,
  plan: PlanOutput,
  applied: Applied,
  execution: ExecutionContext,
});
export type VerifyInput = z.infer<typeof VerifyInput>;

/** READY: a drill found that a failover to its target would work. */
export const RunStatus = z.enum(['SUCCEEDED', 'DEGRADED', 'READY']);
export type RunStatus = z.infer<typeof RunStatus>;

/** The results of the run's routes, counted. */
export const ResultSummary = z.strictObject({
  routes: z.number().int().nonnegative(),
  applied: z.number().int().nonnegative(),
  alreadyRight: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
  unreachable: z.number().int().nonnegative(),
});
export type ResultSummary = z.infer<typeof ResultSummary>;

/**
 * The execution output of a run that ends in Succeeded or Degraded. With a `record` (large runs), the
 * full output is that object, and the lists here hold only what went wrong, at most LISTED_IN_STATE
 * entries each: changes that are not applied or already right, trace starts that do not arrive,
 * unreached tables. `snapshot` and `skipped` are then empty.
 */
export const RunOutput = z.strictObject({
  status: RunStatus,
  mode: z.enum(['failover', 'restore', 'drill']),
  target: Name,
  request: ExecutionInput.omit({ restore: true }).extend({ restoreFrom: z.string().optional() }),
  /** Every planned change with its result, plus the routes that were already right. */
  changes: z.array(ChangeResult),
  snapshot: z.array(SnapshotRoute),
  skipped: z.array(SnapshotRoute),
  trace: Trace,
  /** DEGRADED only: tables that could not be written or verified because their region was unreachable. */
  unreached: z.array(z.strictObject({ table: z.string(), region: z.string(), vip: z.string() })),
  /** Milliseconds per step, measured by the tasks. */
  timings: z.record(z.string(), z.number().nonnegative()),
  /** Absent in the outputs of runs made before summaries existed. */
  summary: ResultSummary.optional(),
  record: StoredRecord.optional(),
});
export type RunOutput = z.infer<typeof RunOutput>;

/** Everything the single task function accepts: it dispatches on `task`. */
export const TaskInput = z.discriminatedUnion('task', [PlanInput, ApplyInput, VerifyInput]);
export type TaskInput = z.infer<typeof TaskInput>;
