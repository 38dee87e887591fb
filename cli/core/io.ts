/**
 * Everything a command may touch of the process it runs in. `cli/index.ts` passes the real process;
 * tests pass captured streams, so commands never read `process` themselves.
 */
export interface CliIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  /** True when stdout is a terminal: live progress, colour and prompts are only for people. */
  readonly isTTY: boolean;
  readonly env: Record<string, string | undefined>;
  readonly cwd: string;
  /** Asks a yes/no question on the terminal. Absent when there is nobody to ask. */
  confirm?(question: string): Promise<boolean>;
  /**
   * Resolves with the signal's name at the next SIGINT or SIGTERM, for commands that run until
   * stopped (`vipctl local`). Handlers are installed only when called. Absent when nothing can stop it.
   */
  untilSignal?(): Promise<string>;
}
