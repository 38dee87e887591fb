/**
 * The Step Functions adapter: starts, follows, lists and reads back the cluster's runs across all
 * of its regions, and turns SDK shapes (history events, JSON strings) into vipctl's own types.
 */

import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  ListExecutionsCommand,
  type SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { type ExecutionInput, GuardSkip, PlanOutput, RunOutput } from '../../tasks/contracts';
import {
  executionName,
  isDrillName,
  parseExecutionName,
  stateMachineArn,
  stateMachineName,
} from '../../tasks/execution-name';
import { partitionOf } from '../../tasks/partition';
import { errorCode, isUnreachable } from '../aws/errors';
import { StartUnavailableError, unreachableError, usageError } from '../core/cli-error';

/** Step Functions execution states, as `DescribeExecution` reports them. */
export type ExecutionStatus =
  | 'RUNNING'
  | 'SUCCEEDED'
  | 'FAILED'
  | 'TIMED_OUT'
  | 'ABORTED'
  | 'PENDING_REDRIVE';

export interface RunSummary {
  readonly arn: string;
  readonly name: string;
  readonly region: string;
  /** The target node encoded in the execution name, when the name follows the convention. */
  readonly target: string | undefined;
  readonly status: ExecutionStatus;
  readonly startedAt: Date;
  readonly stoppedAt: Date | undefined;
}

export interface RunDetail extends RunSummary {
  /** The parsed input, when it fits the contract. */
  readonly input: ExecutionInput | undefined;
  /** The parsed output of a run that succeeded (or succeeded as DEGRADED). */
  readonly output: RunOutput | undefined;
  /** The raw output when it does not fit the contract. */
  readonly rawOutput: unknown;
  readonly error: string | undefined;
  readonly cause: string | undefined;
}

/** One state of the run as the history shows it. */
export interface StepRecord {
  readonly name: string;
  /** `Task`, `Pass`, `Choice`, `Succeed`, `Fail`, ... */
  readonly type: string;
  readonly enteredAt: Date;
  readonly exitedAt: Date | undefined;
  /** The state data the state passed on (parsed JSON), when the history includes it. */
  readonly output: unknown;
  readonly failure: { readonly error: string; readonly cause: string } | undefined;
}

export interface StartResult {
  readonly arn: string;
  readonly name: string;
  readonly region: string;
  /** True when a run with this name already existed and is being followed instead. */
  readonly reused: boolean;
  /** Regions whose Step Functions API was unreachable before one accepted the run. */
  readonly skipped: readonly { readonly region: string; readonly code: string }[];
}

export interface ExecutionsOptions {
  readonly sfn: (region: string) => SFNClient;
  readonly cluster: string;
  /** Every region of the cluster. */
  readonly regions: readonly string[];
  /** The account of the cluster's state machines; `region` is where the caller is about to call. */
  readonly account: (region: string) => Promise<string>;
  readonly now: () => Date;
  readonly sleep: (ms: number) => Promise<void>;
}

export interface WaitOptions {
  readonly timeoutMs: number;
  /** Called after every poll with the latest state and, while `withSteps`, the steps so far. */
  readonly onPoll?: (detail: RunDetail, steps: readonly StepRecord[]) => void;
  readonly withSteps?: boolean;
}

const ARN =
  /^arn:(aws[a-z-]*):states:([a-z0-9-]+):(\d{12}):execution:([A-Za-z0-9_-]{1,80}):([A-Za-z0-9_-]{1,80})$/;
const NAME = /^[A-Za-z0-9_-]{1,80}$/;

/**
 * First poll after 50 ms, then every 100 ms for the first {@link FAST_POLL_WINDOW_MS} of the wait,
 * where a failover is expected to end (a seed failover takes about 3 s), then 1.5x longer each time up
 * to 500 ms. The end of a run is seen within about 100 ms plus one round trip; a 500 ms cap alone made
 * the wait after the end the largest part of the CLI's time. Each poll is one DescribeExecution (and
 * one GetExecutionHistory while steps are shown). DescribeExecution's documented bucket per account
 * and region is 250 burst / 10 per s refill outside us-east-1, us-west-2 and eu-west-1 (300 / 15 in
 * those; GetExecutionHistory's is larger), and
 * https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html#service-limits-api-action-throttling-general
 * lists both. 10 polls per second is at most the smaller refill, so one follower never drains the
 * bucket; each further follower in the same account and region drains at most 10 per s for 10 s (100
 * tokens), so two more fit in the smaller burst before anyone is throttled. A throttled poll ends the
 * fast polls, and `throttled()` quadruples the next delay (up to 8 s) instead of hammering.
 */
export function pollDelays(): { next: () => number; throttled: () => void } {
  let next = 50;
  let penalty = 1;
  let waited = 0;
  return {
    next: () => {
      const delay = Math.min(MAX_THROTTLED_POLL_MS, next * penalty);
      waited += delay;
      next = waited < FAST_POLL_WINDOW_MS ? FAST_POLL_MS : Math.min(500, Math.round(next * 1.5));
      penalty = Math.max(1, penalty / 2);
      return delay;
    },
    throttled: () => {
      waited = FAST_POLL_WINDOW_MS;
      penalty = Math.min(MAX_THROTTLED_POLL_MS / 500, penalty * 4);
    },
  };
}

/** The fast polls' period and how long they last: 10 per second, the smaller bucket's refill. */
export const FAST_POLL_MS = 100;
export const FAST_POLL_WINDOW_MS = 10_000;
const MAX_THROTTLED_POLL_MS = 8_000;

/** Step Functions refuses a call over its quota with ThrottlingException (the SDK's own retries came first). */
export const isThrottled = (error: unknown): boolean =>
  ['ThrottlingException', 'Throttling', 'TooManyRequestsException'].includes(errorCode(error));

const parseJson = (text: string | undefined): unknown => {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
};

const STATUSES = new Set(['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE']);
const statusOf = (value: string | undefined): ExecutionStatus =>
  (STATUSES.has(value ?? '') ? value : 'FAILED') as ExecutionStatus;

export const regionOfArn = (arn: string): string => ARN.exec(arn)?.[2] ?? '';

/** The error vipctl gives a run it stops because its --timeout expired. */
export const STOPPED_ERROR = 'vipctl.Timeout';

export class Executions {
  constructor(private readonly options: ExecutionsOptions) {}

  /** In the region's own partition: `arn:aws-cn:` in China, `arn:aws-us-gov:` in GovCloud (tasks/partition.ts). */
  async stateMachineArn(region: string): Promise<string> {
    return stateMachineArn(this.options.cluster, region, await this.options.account(region));
  }

  async executionArn(region: string, name: string): Promise<string> {
    const account = await this.options.account(region);
    return `arn:${partitionOf(region)}:states:${region}:${account}:execution:${stateMachineName(this.options.cluster)}:${name}`;
  }

  /**
   * Starts a run named after its target and request time, in `region` first and then in the other
   * cluster regions when a region's Step Functions API cannot be reached. A run that already exists
   * under the same name is the same request (a retried start), so it is followed, not duplicated.
   */
  async start(input: ExecutionInput, region: string): Promise<StartResult> {
    const name = executionName(input.target, input.requestedAt, input.mode);
    const order = [region, ...this.options.regions.filter((r) => r !== region)];
    const skipped: { region: string; code: string }[] = [];
    for (const candidate of order) {
      try {
        // Inside the try: without an account in the topology, this asks the candidate region's STS.
        const stateMachineArn = await this.stateMachineArn(candidate);
        const started = await this.options
          .sfn(candidate)
          .send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }));
        const arn = started.executionArn ?? (await this.executionArn(candidate, name));
        return { arn, name, region: candidate, reused: false, skipped };
      } catch (error) {
        if (errorCode(error) === 'ExecutionAlreadyExists') {
          return {
            arn: await this.executionArn(candidate, name),
            name,
            region: candidate,
            reused: true,
            skipped,
          };
        }
        // A throttled region is as unavailable as a down one: the next region may take the run.
        if (!isUnreachable(error) && !isThrottled(error)) throw error;
        skipped.push({ region: candidate, code: errorCode(error) });
      }
    }
    throw new StartUnavailableError(
      `could not start ${name}: the Step Functions API was unavailable in ${skipped.map((s) => `${s.region} (${s.code})`).join(', ')}`,
      skipped,
      'check the network and --endpoint-url, then run the same command again; ' +
        'with --direct-when-unavailable this node runs the failover itself',
    );
  }

  /**
   * A failover to `target` that is still RUNNING in `region` and started within `withinMs`: the same
   * request made moments ago by another process (both cluster scripts firing, a retried command).
   * Restores are different requests and are never joined. An unreachable region has none to join.
   */
  async runningTo(target: string, region: string, withinMs: number): Promise<RunDetail | undefined> {
    try {
      const stateMachineArn = await this.stateMachineArn(region);
      const page = await this.options
        .sfn(region)
        .send(new ListExecutionsCommand({ stateMachineArn, statusFilter: 'RUNNING', maxResults: 20 }));
      const since = this.options.now().getTime() - withinMs;
      for (const e of page?.executions ?? []) {
        const named = e.name ? parseExecutionName(e.name) : undefined;
        // A drill to the same node is not a failover to join.
        if (!e.executionArn || !named || named.drill || named.target !== target) continue;
        if ((e.startDate?.getTime() ?? 0) < since) continue;
        const detail = await this.describe(e.executionArn);
        if (detail.status === 'RUNNING' && detail.input && !detail.input.restore) return detail;
      }
    } catch (error) {
      // Joining is best effort: a throttled listing (ListExecutions refills at 2 or 5 per second per
      // account and region) starts a run of its own, and the older of two duplicates stops as
      // Superseded while its command follows the newer one.
      if (!isUnreachable(error) && !isThrottled(error) && errorCode(error) !== 'StateMachineDoesNotExist')
        throw error;
    }
    return undefined;
  }

  async describe(arn: string): Promise<RunDetail> {
    const region = regionOfArn(arn);
    const d: DescribeExecutionCommandOutput = await this.options
      .sfn(region)
      .send(new DescribeExecutionCommand({ executionArn: arn }));
    const rawOutput = parseJson(d.output);
    const output = RunOutput.safeParse(rawOutput);
    const rawInput = parseJson(d.input);
    const name = d.name ?? arn.split(':').pop() ?? arn;
    return {
      arn,
      name,
      region,
      target: parseExecutionName(name)?.target,
      status: statusOf(d.status),
      startedAt: d.startDate ?? this.options.now(),
      stoppedAt: d.stopDate,
      input: isExecutionInput(rawInput) ? rawInput : undefined,
      output: output.success ? output.data : undefined,
      rawOutput,
      error: d.error,
      cause: d.cause,
    };
  }

  /**
   * Polls until the run stops or `timeoutMs` passes; returns the last state seen (RUNNING on timeout).
   * A throttled poll is not an error: the next one waits longer, until the deadline.
   */
  async wait(arn: string, options: WaitOptions): Promise<RunDetail> {
    const deadline = this.options.now().getTime() + options.timeoutMs;
    const delays = pollDelays();
    let last: RunDetail | undefined;
    for (;;) {
      try {
        const detail = await this.describe(arn);
        last = detail;
        const steps = options.withSteps ? stepsOf(await this.history(arn)) : [];
        options.onPoll?.(detail, steps);
        if (detail.status !== 'RUNNING') return detail;
      } catch (error) {
        if (!isThrottled(error)) throw error;
        delays.throttled();
      }
      const left = deadline - this.options.now().getTime();
      if (left <= 0) {
        if (last) return last;
        return this.describe(arn);
      }
      await this.options.sleep(Math.min(delays.next(), left));
    }
  }

  /**
   * Stops a run (StopExecution): it ends ABORTED, and Step Functions starts no further state. A task
   * already running finishes its invocation, so its writes may still land.
   * https://docs.aws.amazon.com/step-functions/latest/apireference/API_StopExecution.html
   */
  async stop(arn: string, cause: string): Promise<void> {
    await this.options
      .sfn(regionOfArn(arn))
      .send(
        new StopExecutionCommand({ executionArn: arn, error: STOPPED_ERROR, cause: cause.slice(0, 32_768) }),
      );
  }

  /** Every event of the run, oldest first, following pagination. */
  async history(arn: string): Promise<HistoryEvent[]> {
    const client = this.options.sfn(regionOfArn(arn));
    const events: HistoryEvent[] = [];
    let nextToken: string | undefined;
    do {
      const page = await client.send(
        new GetExecutionHistoryCommand({
          executionArn: arn,
          maxResults: 1000,
          nextToken,
          includeExecutionData: true,
        }),
      );
      events.push(...(page.events ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    return events;
  }

  /** The newest `limit` runs of every cluster region, merged newest first. Unreachable regions are reported, not fatal. */
  async list(
    limit: number,
  ): Promise<{ runs: RunSummary[]; unreachable: { region: string; code: string }[] }> {
    const unreachable: { region: string; code: string }[] = [];
    const perRegion = await Promise.all(
      this.options.regions.map(async (region) => {
        try {
          return await this.listRegion(region, limit);
        } catch (error) {
          if (!isUnreachable(error) && errorCode(error) !== 'StateMachineDoesNotExist') throw error;
          unreachable.push({ region, code: errorCode(error) });
          return [];
        }
      }),
    );
    if (
      unreachable.length === this.options.regions.length &&
      unreachable.some((u) => u.code !== 'StateMachineDoesNotExist')
    ) {
      throw unreachableError(
        `the Step Functions API could not be reached in any cluster region (${unreachable.map((u) => `${u.region}: ${u.code}`).join(', ')})`,
        'check the network and --endpoint-url',
      );
    }
    const runs = perRegion
      .flat()
      .sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime() || a.name.localeCompare(b.name))
      .slice(0, limit);
    return { runs, unreachable: unreachable.sort((a, b) => a.region.localeCompare(b.region)) };
  }

  private async listRegion(region: string, limit: number): Promise<RunSummary[]> {
    const stateMachineArn = await this.stateMachineArn(region);
    const runs: RunSummary[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.options
        .sfn(region)
        .send(new ListExecutionsCommand({ stateMachineArn, maxResults: Math.min(limit, 1000), nextToken }));
      for (const e of page.executions ?? []) {
        if (!e.executionArn || !e.name) continue;
        runs.push({
          arn: e.executionArn,
          name: e.name,
          region,
          target: parseExecutionName(e.name)?.target,
          status: statusOf(e.status),
          startedAt: e.startDate ?? new Date(0),
          stoppedAt: e.stopDate,
        });
      }
      nextToken = page.nextToken;
    } while (nextToken && runs.length < limit);
    return runs;
  }

  /**
   * The ARN of a run given as an execution ARN of this cluster or as an execution name, which is
   * looked up in every cluster region.
   */
  async resolve(id: string): Promise<string> {
    const arn = ARN.exec(id);
    if (arn) {
      const machine = stateMachineName(this.options.cluster);
      if (arn[4] !== machine) {
        throw usageError(
          `run ${id} belongs to state machine ${arn[4]}, not to this cluster's ${machine}`,
          'check --config, or pass a run of this cluster (vipctl runs lists them)',
        );
      }
      return id;
    }
    if (!NAME.test(id)) {
      throw usageError(
        `'${id}' is not a run id`,
        'pass an execution ARN (arn:aws:states:...:execution:...) or an execution name like server-b-20261125T120356123 (vipctl runs lists them)',
      );
    }
    const unreachable: string[] = [];
    const found = await Promise.all(
      this.options.regions.map(async (region) => {
        const candidate = await this.executionArn(region, id);
        try {
          await this.options.sfn(region).send(new DescribeExecutionCommand({ executionArn: candidate }));
          return candidate;
        } catch (error) {
          if (isUnreachable(error)) unreachable.push(region);
          else if (
            errorCode(error) !== 'ExecutionDoesNotExist' &&
            errorCode(error) !== 'StateMachineDoesNotExist'
          )
            throw error;
          return undefined;
        }
      }),
    );
    const hit = found.find((f) => f !== undefined);
    if (hit) return hit;
    if (unreachable.length > 0) {
      throw unreachableError(
        `run ${id} was not found, and the Step Functions API could not be reached in ${unreachable.sort().join(', ')}`,
        'check the network and --endpoint-url',
      );
    }
    throw usageError(
      `no run named ${id} in ${stateMachineName(this.options.cluster)} in ${this.options.regions.join(', ')}`,
      'vipctl runs lists the recent runs',
    );
  }

  /**
   * The newest run of the cluster that changed or could change routes (a failover, a restore), never a
   * drill: a drill writes nothing, and the readiness schedule starts one every 30 minutes per node, so
   * the newest run is nearly always a drill. A usage error when there is none.
   */
  async last(): Promise<string> {
    const newest = await this.lastRouteRun();
    if (!newest)
      throw usageError(
        `cluster ${this.options.cluster} has no failover or restore runs among its newest ${LAST_SEARCHED} (drills are not counted)`,
        'start one with vipctl failover --to <node>, or name a run (vipctl runs lists them)',
      );
    return newest.arn;
  }

  /** The newest failover or restore among the newest runs, or undefined. */
  async lastRouteRun(): Promise<RunSummary | undefined> {
    const { runs } = await this.list(LAST_SEARCHED);
    return runs.find((run) => !isDrillName(run.name));
  }
}

/** How many of the newest runs `--last` looks through for one that is not a drill (one listing page per region). */
const LAST_SEARCHED = 200;

function isExecutionInput(value: unknown): value is ExecutionInput {
  return (
    typeof value === 'object' && value !== null && typeof (value as { target?: unknown }).target === 'string'
  );
}

/** The states of a run in the order they were entered, with their outputs and failures. */
export function stepsOf(events: readonly HistoryEvent[]): StepRecord[] {
  interface Open {
    name: string;
    type: string;
    enteredAt: Date;
    exitedAt?: Date;
    output?: unknown;
    failure?: { error: string; cause: string };
  }
  const steps: Open[] = [];
  for (const event of events) {
    const type = event.type ?? '';
    const at = event.timestamp ?? new Date(0);
    const entered = /^(\w+?)StateEntered$/.exec(type);
    if (entered && event.stateEnteredEventDetails?.name) {
      steps.push({ name: event.stateEnteredEventDetails.name, type: entered[1] ?? '', enteredAt: at });
      continue;
    }
    if (/StateExited$/.test(type) && event.stateExitedEventDetails?.name) {
      const name = event.stateExitedEventDetails.name;
      const step = [...steps].reverse().find((s) => s.name === name && !s.exitedAt);
      if (step) {
        step.exitedAt = at;
        step.output = parseJson(event.stateExitedEventDetails.output);
      }
      continue;
    }
    const failed =
      event.taskFailedEventDetails ??
      event.lambdaFunctionFailedEventDetails ??
      event.taskTimedOutEventDetails;
    if (failed) {
      const step = [...steps].reverse().find((s) => s.type === 'Task');
      if (step) step.failure = { error: failed.error ?? 'Error', cause: failed.cause ?? '' };
    }
  }
  return steps.map((s) => ({
    name: s.name,
    type: s.type,
    enteredAt: s.enteredAt,
    exitedAt: s.exitedAt,
    output: s.output,
    failure: s.failure,
  }));
}

/** The run's failure as the history tells it: the last task that failed, else the execution's own error. */
const EXECUTION_ARN = /arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:execution:[A-Za-z0-9_-]+:[A-Za-z0-9_-]+/;

/** The newer run named by a Superseded failure's cause, if any. */
export const supersedingRunOf = (cause: string): string | undefined => EXECUTION_ARN.exec(cause)?.[0];

export function failureOf(
  events: readonly HistoryEvent[],
  detail: Pick<RunDetail, 'error' | 'cause'>,
): { step: string | undefined; error: string; cause: string } | undefined {
  const steps = stepsOf(events);
  const failedStep = [...steps].reverse().find((s) => s.failure);
  if (failedStep?.failure) return { step: failedStep.name, ...failedStep.failure };
  const executionFailed = [...events]
    .reverse()
    .find((e) => e.executionFailedEventDetails)?.executionFailedEventDetails;
  const error = detail.error ?? executionFailed?.error;
  if (!error) return undefined;
  const lastTask = [...steps].reverse().find((s) => s.type === 'Task');
  return { step: lastTask?.name, error, cause: detail.cause ?? executionFailed?.cause ?? '' };
}

/** The Plan task's output (with the snapshot), read from the history: what a failed run had planned. */
export function planOutputOf(events: readonly HistoryEvent[]): PlanOutput | undefined {
  const candidates: unknown[] = [];
  for (const step of stepsOf(events)) {
    if (step.name === 'Plan' && typeof step.output === 'object' && step.output !== null) {
      candidates.push((step.output as { plan?: unknown }).plan, step.output);
    }
  }
  for (const event of events) {
    const output = parseJson(
      event.taskSucceededEventDetails?.output ?? event.lambdaFunctionSucceededEventDetails?.output,
    );
    if (typeof output === 'object' && output !== null)
      candidates.push(output, (output as { Payload?: unknown }).Payload);
  }
  for (const candidate of candidates) {
    const parsed = PlanOutput.safeParse(candidate);
    if (parsed.success) return parsed.data;
  }
  return undefined;
}

/** A cause as people should read it: Lambda errors arrive as JSON `{"errorType","errorMessage"}`. */
export function parseCause(cause: string | undefined): { type: string | undefined; message: string } {
  if (!cause) return { type: undefined, message: '' };
  const parsed = parseJson(cause);
  if (typeof parsed === 'object' && parsed !== null) {
    const { errorType, errorMessage } = parsed as { errorType?: unknown; errorMessage?: unknown };
    if (typeof errorMessage === 'string') {
      return { type: typeof errorType === 'string' ? errorType : undefined, message: errorMessage };
    }
  }
  return { type: undefined, message: cause };
}

/**
 * The regions the stale-run guard skipped (their Step Functions API did not answer), per task that
 * reported any, from the task results in the history.
 */
export function guardSkippedOf(events: readonly HistoryEvent[]): { step: string; skipped: GuardSkip[] }[] {
  const found: { step: string; skipped: GuardSkip[] }[] = [];
  let step = '';
  for (const event of events) {
    if (event.stateEnteredEventDetails?.name) step = event.stateEnteredEventDetails.name;
    const output = parseJson(
      event.taskSucceededEventDetails?.output ?? event.lambdaFunctionSucceededEventDetails?.output,
    );
    if (typeof output !== 'object' || output === null) continue;
    const payload = (output as { Payload?: unknown }).Payload ?? output;
    const skipped = GuardSkip.array().safeParse((payload as { guardSkipped?: unknown }).guardSkipped);
    if (skipped.success && skipped.data.length > 0) found.push({ step, skipped: skipped.data });
  }
  return found;
}
