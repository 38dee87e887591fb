/**
 * vipctl's exit codes. Cluster start and monitor scripts branch on them, so they are stable:
 * never renumber, only add.
 */
export const ExitCode = {
  /** The command did what was asked; `check`: the routes are converged. */
  Ok: 0,
  /** The run failed, or `check` found the routes not converged. */
  Failed: 1,
  /** Bad flags, a bad topology file, an unknown node or run: fix the command or the file. */
  Usage: 2,
  /** The run succeeded as DEGRADED: the target's region is converged, another region was unreachable. */
  Degraded: 3,
  /** AWS could not be reached, so the state could not be determined. */
  Unreachable: 4,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
