/** Reads an execution's history from local AWS and turns it into per-step timings and counts. */
import type { LocalAws } from '../local/index';

interface Event {
  readonly timestamp: number;
  readonly type: string;
  readonly stateEnteredEventDetails?: { name: string };
  readonly stateExitedEventDetails?: { name: string };
}

export interface StepTiming {
  readonly name: string;
  readonly type: string;
  /** ms since the execution started */
  readonly startMs: number;
  readonly endMs: number;
}

export interface ExecutionSummary {
  readonly durationMs: number;
  readonly steps: StepTiming[];
  /** States entered: what Step Functions Standard bills as state transitions. */
  readonly transitions: number;
  readonly lambdaInvocations: number;
  /** Each Lambda invocation's duration (TaskStarted to its end), ms. */
  readonly lambdaDurationsMs: number[];
  /** Distinct functions invoked: each pays one cold start in a fresh environment. */
  readonly functions: number;
  /**
   * Per update step that wrote, how old its covering stale-run guard listing was when its oldest-covered
   * wave went out (the step's `guardAgeMs`), ms.
   */
  readonly guardAgesMs: number[];
}

export async function executionHistory(local: LocalAws, arn: string): Promise<Event[]> {
  const region = arn.split(':')[3] ?? 'us-east-1';
  const result = await local.sfn?.handle(
    'GetExecutionHistory',
    { executionArn: arn, maxResults: 1000 },
    { region },
  );
  const body = result?.body as { events?: Event[] } | undefined;
  if (!body?.events) throw new Error(`no history for ${arn}: ${JSON.stringify(result?.body)}`);
  return body.events;
}

export function summarize(events: readonly Event[]): ExecutionSummary {
  const t0 = (events[0]?.timestamp ?? 0) * 1000;
  const ms = (e: Event) => e.timestamp * 1000 - t0;
  const steps: StepTiming[] = [];
  const open = new Map<string, { type: string; startMs: number }>();
  const durations: number[] = [];
  const functions = new Set<string>();
  let taskStart: number | undefined;
  let transitions = 0;
  const guardAges: number[] = [];
  for (const event of events) {
    const entered = event.stateEnteredEventDetails?.name;
    const exited = event.stateExitedEventDetails?.name;
    if (entered !== undefined) {
      transitions++;
      open.set(entered, { type: event.type.replace(/StateEntered$/, ''), startMs: ms(event) });
    } else if (exited !== undefined) {
      const start = open.get(exited);
      if (start) steps.push({ name: exited, type: start.type, startMs: start.startMs, endMs: ms(event) });
    } else if (event.type === 'TaskScheduled') {
      const parameters = (event as { taskScheduledEventDetails?: { parameters?: string } })
        .taskScheduledEventDetails?.parameters;
      const name = parameters
        ? (JSON.parse(parameters) as { FunctionName?: string }).FunctionName
        : undefined;
      functions.add(name ?? 'unknown');
    } else if (event.type === 'TaskStarted') taskStart = ms(event);
    if (event.type === 'TaskSucceeded') {
      const output = (event as { taskSucceededEventDetails?: { output?: string } }).taskSucceededEventDetails
        ?.output;
      const age = output ? (JSON.parse(output) as { guardAgeMs?: unknown }).guardAgeMs : undefined;
      if (typeof age === 'number') guardAges.push(age);
    }
    if ((event.type === 'TaskSucceeded' || event.type === 'TaskFailed') && taskStart !== undefined) {
      durations.push(ms(event) - taskStart);
      taskStart = undefined;
    }
  }
  const last = events[events.length - 1];
  return {
    durationMs: last ? ms(last) : 0,
    steps,
    transitions,
    lambdaInvocations: durations.length,
    lambdaDurationsMs: durations,
    functions: functions.size,
    guardAgesMs: guardAges,
  };
}
