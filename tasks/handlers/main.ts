/**
 * The one Lambda function of the workflow. Every Task state invokes it with a `task` field
 * (plan, apply, verify); see tasks/contracts.ts for the shapes.
 */
import { z } from 'zod';
import { TaskInput } from '../contracts';
import { depsFromEnv, type TaskDeps } from '../deps';
import { InvalidRequestError } from '../errors';
import { describeIssues } from '../issues';
import { runApply } from '../run-apply';
import { runPlan } from '../run-plan';
import { runVerify } from '../run-verify';

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
    switch (input.task) {
      case 'plan':
        return runPlan(input, deps);
      case 'apply':
        return runApply(input, deps);
      case 'verify':
        return runVerify(input, deps);
    }
  };
}

let handle: ((event: unknown) => Promise<unknown>) | undefined;

/** Lambda entry: builds the deps on the first call, so importing this module reads no configuration. */
export const handler = async (event: unknown): Promise<unknown> => {
  handle ??= createTaskHandler(depsFromEnv());
  return handle(event);
};
