/** `vipctl check`'s verdict, whether it comes from reading the routes (check.ts) or from a drill (check-via-workflow.ts). */
/** What a check found, from reading the routes or from a drill. */
export interface CheckFindings {
  readonly exitCode: number;
  readonly notConverged: boolean;
  readonly unknown: boolean;
  readonly notOnHost: readonly string[];
  /** The `--json` result. */
  readonly result: Record<string, unknown>;
}
