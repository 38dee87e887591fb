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
import { publishEmf } from './emf';

/** Sent by a scheduler or local AWS to load the function before a failover needs it. */
const Warmup = z.strictObject({ warmup: z.literal(true) });

export function createTaskHandler(deps: TaskDeps): (event: unknown) => Promise<unknown> {
  return async (event) => {
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
          return runApply(input, deps);
        case 'verify':
          return runVerify(input, deps);
      }
    };
    if (!deps.publishMetrics) return run();
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
        throw error;
      },
    );
  };
}

let handle: ((event: unknown) => Promise<unknown>) | undefined;

/** Lambda entry: builds the deps on the first call, so importing this module reads no configuration. */
export const handler = async (event: unknown): Promise<unknown> => {
  handle ??= createTaskHandler({ ...depsFromEnv(), publishMetrics: publishEmf });
  return handle(event);
};
