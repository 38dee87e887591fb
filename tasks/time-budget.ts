/**
 * The one time budget of a run, and everything derived from it (docs/deploy.md, "Time budget").
 *
 * A cluster manager gives a failover a fixed time: the EXPRESSCLUSTER start script and the Pacemaker
 * agent wait 150 s for `vipctl failover` (examples/), which itself waits 120 s by default. The run must
 * end before its caller gives up, or it keeps writing after the cluster has moved on. So:
 *
 *   run budget (state machine TimeoutSeconds)   110 s  <  vipctl --timeout 120 s  <  scripts 150 s
 *   task function timeout = run budget - 10 s    100 s   (the task's TimeoutSeconds is 5 s longer, so
 *                                                         the function always ends first and reports)
 *
 * The update tasks also stop starting write waves when the time left (of the function, and of the
 * run: the execution's start time plus the run budget) cannot cover one more wave.
 * Task and state machine TimeoutSeconds:
 * https://docs.aws.amazon.com/step-functions/latest/dg/state-task.html
 * https://docs.aws.amazon.com/step-functions/latest/dg/statemachine-structure.html
 */

/** The run budget, in seconds: the state machine's TimeoutSeconds. */
export const RUN_BUDGET_SECONDS = 110;

/** `vipctl failover` and `rollback` wait this long by default, then stop the run. */
export const CLI_WAIT_SECONDS = 120;

/** The cluster scripts' wait (examples/expresscluster/start.sh, examples/pacemaker/vipctl). */
export const CLUSTER_SCRIPT_WAIT_SECONDS = 150;

export interface RunTimeouts {
  /** The state machine's TimeoutSeconds. */
  readonly runSeconds: number;
  /** The task function's timeout. */
  readonly functionSeconds: number;
  /** Each Task state's TimeoutSeconds: a backstop after the function's own timeout. */
  readonly taskSeconds: number;
}

/** The timeouts derived from a run budget of `runSeconds` (at least 30 s). */
export function runTimeouts(runSeconds: number = RUN_BUDGET_SECONDS): RunTimeouts {
  if (!Number.isInteger(runSeconds) || runSeconds < 30) {
    throw new Error(`the run budget must be a whole number of seconds, at least 30 (got ${runSeconds})`);
  }
  const functionSeconds = Math.min(runSeconds - 10, 900);
  return { runSeconds, functionSeconds, taskSeconds: functionSeconds + 5 };
}

/**
 * Time past a write's retry budget that one write wave needs to finish and its step to report. An update
 * step starts a wave only while the time left (of the task function's invocation, or of a direct run's
 * --timeout) covers the retry budget plus this margin.
 */
export const WAVE_MARGIN_MS = 2_000;
