/**
 * The one Lambda function of the workflow. Every Task state invokes it with a `task` field
 * (plan, apply, verify); see tasks/contracts.ts for the shapes.
 */
import { z } from 'zod';
import { TaskInput } from '../contracts';
import { depsFromEnv, type TaskDeps } from '../deps';
import { InvalidRequestError } from '../errors';
import { describeIssues } from '../issues';
import { runMetricsOf } from '../metrics';
import { runApply } from '../run-apply';
import { runPlan } from '../run-plan';
import { runVerify } from '../run-verify';
import { clip } from '../state-size';
import { publishEmf } from './emf';

/** Sent by a scheduler or local AWS to load the function before a failover needs it. */
const Warmup = z.strictObject({ warmup: z.literal(true) });

/** The part of the Lambda context the tasks use: https://docs.aws.amazon.com/lambda/latest/dg/nodejs-context.html */
export interface InvocationContext {
  getRemainingTimeInMillis(): number;
}

export function createTaskHandler(
  deps: TaskDeps,
): (event: unknown, context?: InvocationContext) => Promise<unknown> {
  return async (event, context) => {
    if (Warmup.safeParse(event).success) return { warmup: true };
    const parsed = TaskInput.safeParse(event);
    if (!parsed.success) {
      throw new InvalidRequestError(
        `task input refused:\n  ${describeIssues(parsed.error.issues).join('\n  ')}`,
      );
    }
    const input = parsed.data;
    const run = (): Promise<unknown> => {
      switch (input.task) {
        case 'plan':
          return runPlan(input, deps);
        case 'apply':
          return runApply(
            input,
            deps,
            context ? { remainingMs: () => context.getRemainingTimeInMillis() } : {},
          );
        case 'verify':
          return runVerify(input, deps);
      }
    };
    const clipped = (error: unknown) => {
      // Step Functions cuts a longer cause off mid-JSON (tasks/state-size.ts).
      if (error instanceof Error) error.message = clip(error.message);
      return error;
    };
    if (!deps.publishMetrics) {
      return run().catch((error: unknown) => {
        throw clipped(error);
      });
    }
    const publish = deps.publishMetrics;
    return run().then(
      (value) => {
        const metrics = runMetricsOf(input, { ok: true, value }, deps.now());
        if (metrics) publish(metrics);
        return value;
      },
      (error: unknown) => {
        const metrics = runMetricsOf(input, { ok: false, error }, deps.now());
        if (metrics) publish(metrics);
        throw clipped(error);
      },
    );
  };
}

let handle: ((event: unknown, context?: InvocationContext) => Promise<unknown>) | undefined;

/** Lambda entry: builds the deps on the first call, so importing this module reads no configuration. */
export const handler = async (event: unknown, context?: InvocationContext): Promise<unknown> => {
  handle ??= createTaskHandler({ ...depsFromEnv(), publishMetrics: publishEmf });
  return handle(event, context);
};
