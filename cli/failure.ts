/**
 * Turns whatever a command threw into one or two lines (what, where, how to fix) and an exit code.
 */
import { isAccessDenied, isCredentialProblem, isUnreachable } from './aws/errors';
import { CliError } from './core/cli-error';
import { ExitCode } from './core/exit-codes';

export interface Failure {
  readonly message: string;
  readonly hint?: string;
  readonly exitCode: ExitCode;
}

/** `proxies`: the proxies the environment configures, named when AWS cannot be reached. */
export function describeFailure(
  error: unknown,
  profile: string | undefined,
  proxies: readonly string[] = [],
): Failure {
  if (error instanceof CliError)
    return { message: error.message, hint: error.hint, exitCode: error.exitCode };
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof Error && error.name === 'TopologyError') {
    return { message, hint: 'fix the topology file and run the command again', exitCode: ExitCode.Usage };
  }
  if (isCredentialProblem(error)) {
    const who = profile ? `profile '${profile}'` : 'the default credential chain (no AWS_PROFILE set)';
    return {
      message: `AWS credentials are missing or expired for ${who}: ${message}`,
      hint: profile
        ? `refresh them (e.g. aws sso login --profile ${profile}) or pick another with --profile`
        : 'set AWS_PROFILE or --profile, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY',
      exitCode: ExitCode.Usage,
    };
  }
  if (isAccessDenied(error)) {
    return {
      message: `AWS refused the call: ${message}`,
      hint: /sts:AssumeRole/.test(message)
        ? "the access role does not trust this caller: add it to the role's trust policy (vipctl policy --account <key> prints the role's policy and trust policy)"
        : 'grant the role the policy printed by `vipctl policy --node`',
      exitCode: ExitCode.Usage,
    };
  }
  if (isUnreachable(error)) {
    return {
      message: `AWS could not be reached${proxies.length > 0 ? ` through the proxy ${proxies.join(', ')}` : ''}: ${message}`,
      hint:
        proxies.length > 0
          ? 'check that the proxy runs and lets the calls through, or list the endpoints in NO_PROXY'
          : 'check the network, --endpoint-url and AWS_ENDPOINT_URL',
      exitCode: ExitCode.Unreachable,
    };
  }
  return { message, hint: 'run again with --debug for details', exitCode: ExitCode.Failed };
}
