/**
 * The one error type commands throw to stop with a message and an exit code. The message says what
 * went wrong and where; `hint` says how to fix it. `cli/program.ts` prints both, never a stack trace
 * unless `--debug` is given.
 */
import { ExitCode } from './exit-codes';

export class CliError extends Error {
  override name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    readonly hint?: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A usage or configuration problem (exit 2). */
export const usageError = (message: string, hint?: string, options?: ErrorOptions): CliError =>
  new CliError(message, ExitCode.Usage, hint, options);

/** AWS could not be reached (exit 4). */
export const unreachableError = (message: string, hint?: string, options?: ErrorOptions): CliError =>
  new CliError(message, ExitCode.Unreachable, hint, options);

/**
 * StartExecution failed in every cluster region with a network error, a 5xx or a throttle: Step
 * Functions is unavailable to this node (exit 4). `--direct-when-unavailable` falls back on it.
 */
export class StartUnavailableError extends CliError {
  override name = 'StartUnavailableError';
  constructor(
    message: string,
    readonly regions: readonly { readonly region: string; readonly code: string }[],
    hint?: string,
  ) {
    super(message, ExitCode.Unreachable, hint);
  }
}
