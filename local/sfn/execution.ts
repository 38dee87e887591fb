/**
 * Runs one Standard execution with aws-local-stepfunctions and records its history the way Step
 * Functions does. Every Task state is bound to the in-process task function (`invokeTask`); nothing
 * is ever sent to a real Lambda. Models a Lambda cold start per function and a cost per state
 * transition.
 */
import '../polyfills';
import { setTimeout as delay } from 'node:timers/promises';
import { type RunOptions, StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { z } from 'zod';
import { History, HistoryEvent } from './history';
import { ExecutionStatus } from './requests';

export const ExecutionRecord = z.object({
  executionArn: z.string(),
  stateMachineArn: z.string(),
  name: z.string(),
  region: z.string(),
  status: ExecutionStatus,
  input: z.string(),
  output: z.string().optional(),
  error: z.string().optional(),
  cause: z.string().optional(),
  /** Epoch milliseconds. */
  startDate: z.number(),
  stopDate: z.number().optional(),
  history: z.array(HistoryEvent),
});
export type ExecutionRecord = z.infer<typeof ExecutionRecord>;

/** Calls the task function behind a Task state; throws the task's named error. */
export type TaskInvoker = (
  payload: unknown,
  ctx: { region: string; functionArn: string; stateName: string },
) => Promise<unknown>;

/** Latency models; read at each use because they may change while local AWS runs. */
export interface SfnLatencyModels {
  coldStartMs(): number;
  transitionMs(): number;
  /** Whether the 256 KiB payload quota is enforced. @default true */
  enforcesPayloadLimit?(): boolean;
}

export interface ExecutionDeps {
  readonly invokeTask: TaskInvoker;
  readonly models?: SfnLatencyModels | undefined;
  /** Multiplies every Retry interval (IntervalSeconds); 1 keeps the definition's own backoff. */
  readonly retryIntervalScale: number;
  /** Function ARNs already invoked in this process: their cold start is paid. */
  readonly warmFunctions: Set<string>;
  readonly log: (line: string) => void;
}

export interface RunningExecution {
  /** StopExecution: closes the execution as ABORTED now; the task in flight finishes unobserved. */
  stop(error?: string, cause?: string): void;
  /** Settles when the execution has closed. */
  readonly done: Promise<void>;
}

type TaskHandlers = NonNullable<NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers']>;
type TaskHandler = TaskHandlers[string];
type JsonValue = Parameters<TaskHandler>[0];
type AnyState = StateMachineDefinition['States'][string];

const LAMBDA_INVOKE = /^arn:aws[a-z-]*:states:::lambda:invoke$/;
const LAMBDA_FUNCTION = /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:.+$/;
const TASK_DETAILS = { resourceType: 'lambda', resource: 'invoke' } as const;

/** Starts `record` (status RUNNING, empty history) on `definition`, which CreateStateMachine validated. */
export function runExecution(
  record: ExecutionRecord,
  definition: StateMachineDefinition,
  machine: { name: string; roleArn: string },
  deps: ExecutionDeps,
): RunningExecution {
  const history = new History(record.history);
  const controller = new AbortController();
  const { signal } = controller;
  const transitions = { entered: 0, charged: 0 };
  let failure: { error: string; cause: string } | undefined;
  let timedOut = false;
  const overDataLimit = (value: unknown): boolean =>
    (deps.models?.enforcesPayloadLimit?.() ?? true) && exceedsPayloadQuota(value);

  /**
   * States.DataLimitExceeded is terminal: no Retry or Catch (States.ALL included) handles it, so the
   * execution fails at once, like StopExecution but FAILED.
   * https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html#error-data-limit-exceed
   */
  const exceedDataLimit = (cause: string): void => {
    close('FAILED', { error: DATA_LIMIT_EXCEEDED, cause });
    controller.abort();
    run.abort();
  };

  /** Waits the transition cost of every state entered since the last charge. */
  const chargeTransitions = async (): Promise<void> => {
    const states = transitions.entered - transitions.charged;
    transitions.charged = transitions.entered;
    await sleep(states * (deps.models?.transitionMs() ?? 0), signal);
  };

  const bindTask =
    (stateName: string, state: Extract<AnyState, { Type: 'Task' }>): TaskHandler =>
    async (input) => {
      // Let the history pump record this state's TaskStateEntered before the task's own events.
      await new Promise((resolve) => setImmediate(resolve));
      signal.throwIfAborted();
      await chargeTransitions();
      if (overDataLimit(input)) {
        exceedDataLimit(
          `The state '${stateName}' has an input, after Parameters processing, with a size exceeding the maximum number of bytes service limit.`,
        );
        throw namedError(DATA_LIMIT_EXCEEDED, 'payload size quota exceeded');
      }
      const call = lambdaCall(state, input);
      history.add('TaskScheduled', {
        key: 'taskScheduledEventDetails',
        value: { ...TASK_DETAILS, region: record.region, parameters: JSON.stringify(input) },
      });
      history.add('TaskStarted', { key: 'taskStartedEventDetails', value: { ...TASK_DETAILS } });
      if (!call) {
        const cause = `local AWS runs only Lambda tasks; ${state.Resource} is not supported`;
        history.add('TaskFailed', {
          key: 'taskFailedEventDetails',
          value: { ...TASK_DETAILS, error: 'States.TaskFailed', cause },
        });
        throw namedError('States.TaskFailed', cause);
      }
      if (!deps.warmFunctions.has(call.functionArn)) {
        deps.warmFunctions.add(call.functionArn);
        await sleep(deps.models?.coldStartMs() ?? 0, signal);
      }
      let result: unknown;
      try {
        result = await deps.invokeTask(call.payload, {
          region: record.region,
          functionArn: call.functionArn,
          stateName,
        });
      } catch (thrown) {
        const { error, cause } = lambdaError(thrown);
        history.add('TaskFailed', {
          key: 'taskFailedEventDetails',
          value: { ...TASK_DETAILS, error, cause },
        });
        throw namedError(error, cause);
      }
      const output = call.wrap(toJson(result));
      if (overDataLimit(output)) {
        // The wording AWS uses, as reported in https://github.com/NASA-IMPACT/csdap-cumulus/issues/296.
        exceedDataLimit(
          `The state/task '${call.functionArn}' returned a result with a size exceeding the maximum number of bytes service limit.`,
        );
        throw namedError(DATA_LIMIT_EXCEEDED, 'payload size quota exceeded');
      }
      history.add('TaskSucceeded', {
        key: 'taskSucceededEventDetails',
        value: { ...TASK_DETAILS, output: JSON.stringify(output), outputDetails: { truncated: false } },
      });
      return output;
    };

  const handlers: TaskHandlers = {};
  const retryIntervals: Record<string, number[]> = {};
  for (const [name, state] of allStates(definition)) {
    if (state.Type === 'Task') handlers[name] = bindTask(name, state);
    if ('Retry' in state && state.Retry && deps.retryIntervalScale !== 1) {
      // The library takes a fixed wait per retrier, so a scaled run keeps IntervalSeconds but not BackoffRate.
      retryIntervals[name] = state.Retry.map(
        (r) => (r.IntervalSeconds ?? 1) * 1000 * deps.retryIntervalScale,
      );
    }
  }

  history.add(
    'ExecutionStarted',
    {
      key: 'executionStartedEventDetails',
      value: { input: record.input, inputDetails: { truncated: false }, roleArn: machine.roleArn },
    },
    record.startDate,
  );
  const startTime = new Date(record.startDate);
  const run = withClockAt(startTime, () =>
    new StateMachine(definition, { validationOptions: { noValidate: true } }).run(JSON.parse(record.input), {
      noThrowOnAbort: true,
      overrides: { taskResourceLocalHandlers: handlers, retryIntervalOverrides: retryIntervals },
      context: {
        Execution: {
          Id: record.executionArn,
          Name: record.name,
          RoleArn: machine.roleArn,
          StartTime: startTime.toISOString(),
        },
        StateMachine: { Id: record.stateMachineArn, Name: machine.name },
      },
    }),
  );

  const pump = (async () => {
    for await (const event of run.eventLogs) {
      switch (event.type) {
        case 'StateEntered':
          transitions.entered++;
          if (overDataLimit(event.state.input)) {
            exceedDataLimit(
              `The state '${event.state.name}' received an input with a size exceeding the maximum number of bytes service limit.`,
            );
          }
          history.add(
            `${event.state.type}StateEntered`,
            {
              key: 'stateEnteredEventDetails',
              value: {
                name: event.state.name,
                input: JSON.stringify(event.state.input),
                inputDetails: { truncated: false },
              },
            },
            event.timestamp,
          );
          break;
        case 'StateExited':
          if (overDataLimit(event.state.output ?? null)) {
            exceedDataLimit(
              `The state '${event.state.name}' returned a result with a size exceeding the maximum number of bytes service limit.`,
            );
          }
          history.add(
            `${event.state.type}StateExited`,
            {
              key: 'stateExitedEventDetails',
              value: {
                name: event.state.name,
                output: JSON.stringify(event.state.output ?? null),
                outputDetails: { truncated: false },
              },
            },
            event.timestamp,
          );
          break;
        case 'ExecutionFailed':
          failure = {
            error: event.Error,
            cause: typeof event.Cause === 'string' ? event.Cause : String(event.Cause),
          };
          break;
        case 'ExecutionTimeout':
          timedOut = true;
          break;
        default:
          break;
      }
    }
  })();

  const close = (
    status: Exclude<ExecutionStatus, 'RUNNING'>,
    fields: { output?: string; error?: string; cause?: string },
  ): void => {
    if (history.isSealed) return;
    fields = {
      ...fields,
      ...(fields.error !== undefined ? { error: fields.error.slice(0, MAX_ERROR) } : {}),
      ...(fields.cause !== undefined ? { cause: limitCause(fields.cause) } : {}),
    };
    Object.assign(record, { status, stopDate: Date.now() }, fields);
    const errorFields = {
      ...(fields.error ? { error: fields.error } : {}),
      ...(fields.cause ? { cause: fields.cause } : {}),
    };
    if (status === 'SUCCEEDED') {
      history.add('ExecutionSucceeded', {
        key: 'executionSucceededEventDetails',
        value: { output: fields.output, outputDetails: { truncated: false } },
      });
    } else if (status === 'FAILED') {
      history.add('ExecutionFailed', { key: 'executionFailedEventDetails', value: errorFields });
    } else if (status === 'TIMED_OUT') {
      history.add('ExecutionTimedOut', { key: 'executionTimedOutEventDetails', value: errorFields });
    } else {
      history.add('ExecutionAborted', { key: 'executionAbortedEventDetails', value: errorFields });
    }
    history.seal();
    deps.log(`sfn ${record.region} ${record.name}: ${status}${fields.error ? ` ${fields.error}` : ''}`);
  };

  const done = (async () => {
    let output: unknown;
    let thrown: unknown;
    try {
      output = await run.result;
    } catch (error) {
      thrown = error ?? new Error('execution failed');
    }
    await pump;
    if (history.isSealed) return;
    try {
      await chargeTransitions(); // the states after the last task (Choice, Succeed, Fail)
    } catch {
      return; // stopped meanwhile
    }
    if (thrown === undefined && overDataLimit(output ?? null)) {
      close('FAILED', {
        error: DATA_LIMIT_EXCEEDED,
        cause: 'The execution output has a size exceeding the maximum number of bytes service limit.',
      });
    } else if (thrown === undefined) close('SUCCEEDED', { output: JSON.stringify(output ?? null) });
    else if (timedOut) close('TIMED_OUT', { error: 'States.Timeout' });
    else close('FAILED', failure ?? { error: 'States.Runtime', cause: String(thrown) });
  })();

  return {
    stop(error, cause) {
      close('ABORTED', { ...(error ? { error } : {}), ...(cause ? { cause } : {}) });
      controller.abort();
      run.abort();
    },
    done,
  };
}

/** Every state of the definition, including those inside Parallel branches and Map processors. */
function* allStates(definition: Pick<StateMachineDefinition, 'States'>): Generator<[string, AnyState]> {
  for (const [name, state] of Object.entries(definition.States)) {
    yield [name, state];
    if (state.Type === 'Parallel') for (const branch of state.Branches) yield* allStates(branch);
    if (state.Type === 'Map') {
      const processor = state.ItemProcessor ?? state.Iterator;
      if (processor) yield* allStates(processor);
    }
  }
}

/**
 * How a Task state calls its function. `arn:aws:states:::lambda:invoke` receives the resolved
 * `{ FunctionName, Payload }` and returns Lambda's Invoke response; a bare function ARN receives and
 * returns the payload itself.
 */
function lambdaCall(
  state: { Resource: string; Parameters?: unknown },
  input: JsonValue,
): { functionArn: string; payload: unknown; wrap: (result: JsonValue) => JsonValue } | undefined {
  if (LAMBDA_FUNCTION.test(state.Resource)) {
    return { functionArn: state.Resource, payload: input, wrap: (result) => result };
  }
  if (LAMBDA_INVOKE.test(state.Resource) && isObject(input) && typeof input.FunctionName === 'string') {
    return {
      functionArn: input.FunctionName,
      payload: input.Payload ?? null,
      wrap: (result) => ({
        ExecutedVersion: '$LATEST',
        Payload: result,
        SdkHttpMetadata: { httpStatusCode: 200 },
        StatusCode: 200,
      }),
    };
  }
  return undefined;
}

/**
 * Step Functions' payload size quota: 256 KiB of UTF-8 for each state's input and output and for the
 * execution's input and output ("Maximum input or output size for a task, state, or execution").
 * https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_StateExitedEventDetails.html (262144 bytes)
 */
export const MAX_PAYLOAD_BYTES = 262_144;
export const DATA_LIMIT_EXCEEDED = 'States.DataLimitExceeded';

const exceedsPayloadQuota = (value: unknown): boolean =>
  Buffer.byteLength(JSON.stringify(value ?? null), 'utf8') > MAX_PAYLOAD_BYTES;

/**
 * Error and cause limits of every failure event: error 256, cause 32,768 characters
 * (https://docs.aws.amazon.com/step-functions/latest/apireference/API_TaskFailedEventDetails.html,
 * API_ExecutionFailedEventDetails.html). AWS does not document how it shortens a longer cause; local
 * AWS keeps its first 32,768 characters, so a longer JSON cause is no longer valid JSON.
 */
export const MAX_CAUSE = 32_768;
const MAX_ERROR = 256;
export const limitCause = (cause: string): string =>
  cause.length > MAX_CAUSE ? cause.slice(0, MAX_CAUSE) : cause;

/**
 * A task's thrown error as Lambda reports it: Error = its name, Cause = Lambda's JSON error document
 * with the stack as `trace`, one line per entry, as the Node.js runtime writes it
 * (https://docs.aws.amazon.com/lambda/latest/dg/nodejs-exceptions.html), limited to 32,768 characters.
 */
function lambdaError(thrown: unknown): { error: string; cause: string } {
  const error = thrown instanceof Error ? thrown.name : 'Error';
  const message = thrown instanceof Error ? thrown.message : String(thrown);
  const trace = thrown instanceof Error && thrown.stack ? thrown.stack.split('\n') : [];
  return {
    error: error.slice(0, MAX_ERROR),
    cause: limitCause(JSON.stringify({ errorType: error, errorMessage: message, trace })),
  };
}

/**
 * The error the library sees. It matches Retry/Catch `ErrorEquals` on `name`, reports `cause ?? message`
 * as the execution's Cause and puts `message` in a Catch's `{Error, Cause}`, so `message` is the Cause.
 */
function namedError(name: string, cause: string): Error {
  const error = new Error(cause);
  error.name = name;
  return error;
}

function toJson(value: unknown): JsonValue {
  return value === undefined ? null : JSON.parse(JSON.stringify(value));
}

function isObject(value: unknown): value is Record<string, JsonValue> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

async function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms > 0) await delay(ms, undefined, { signal });
}

/**
 * Runs `start` with `new Date()` fixed at `at`. The library overwrites `$$.Execution.StartTime` with its
 * own `new Date()` when the run starts (synchronously inside `run`), and the tasks compare that value
 * with DescribeExecution's startDate, so both must be the same instant.
 */
function withClockAt<T>(at: Date, start: () => T): T {
  const RealDate = globalThis.Date;
  class PinnedDate extends RealDate {
    constructor(...args: [] | [string | number | Date]) {
      if (args.length === 0) super(at.getTime());
      else super(args[0]);
    }
  }
  globalThis.Date = PinnedDate as DateConstructor;
  try {
    return start();
  } finally {
    globalThis.Date = RealDate;
  }
}
