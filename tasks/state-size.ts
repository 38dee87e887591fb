/**
 * How big the state data and the error causes of a run may get, and where a run keeps what does not
 * fit. Every figure here is Step Functions' or derived from it.
 */

/**
 * Step Functions' limit on the input and output of a state, a task and an execution: 256 KiB of UTF-8.
 * A larger one fails the execution with States.DataLimitExceeded.
 * https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html#service-limits-task-executions
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_StateExitedEventDetails.html (262144)
 */
export const STATE_DATA_LIMIT_BYTES = 262_144;

/** Our target for every state of a run: half the limit, so a larger topology or a retry never meets it. */
export const STATE_DATA_TARGET_BYTES = STATE_DATA_LIMIT_BYTES / 2;

/**
 * Runs with more VIP routes than this keep their plan, their update results and their verification
 * in the stack's run bucket, and the state carries summaries and the objects' keys and digests.
 *
 * Inline, a route costs about 1.1 KB of the largest state (VerifyReachability's: the plan's change
 * and snapshot entries, then the output's result, snapshot entry and trace start), so 64 routes stay
 * near 70 KB, half the target, with room for the topology that every state carries.
 */
export const INLINE_ROUTES = 64;

/**
 * Step Functions' limit on an error cause: 32,768 characters. A longer one is cut off, so a Lambda
 * error's JSON (errorType, errorMessage, trace) would no longer parse.
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_TaskFailedEventDetails.html
 */
export const CAUSE_LIMIT_CHARS = 32_768;

/**
 * Our error messages stay under this. Lambda wraps the message in its JSON error document with the
 * error type and the stack trace (`trace`), whose first line repeats the message: the cause is about
 * twice the message plus the frames. A quarter of the cause limit leaves them room (a 996-write
 * failure measured 17,687 characters on local AWS, which adds `trace` as Lambda does).
 */
export const MESSAGE_LIMIT_CHARS = CAUSE_LIMIT_CHARS / 4;

/** Failures (or unreached tables, or failed traces) listed in the state when the full list is stored. */
export const LISTED_IN_STATE = 20;

/** `text` cut to `limit` characters, saying how much was left out. */
export function clip(text: string, limit = MESSAGE_LIMIT_CHARS): string {
  if (text.length <= limit) return text;
  const note = (left: number) => `\n  ... (${left} more characters left out)`;
  const keep = limit - note(text.length).length;
  return `${text.slice(0, keep)}${note(text.length - keep)}`;
}
