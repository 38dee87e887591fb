/** `vipctl policy --node | --lambda`: the least-privilege IAM policy, as JSON, for a cluster node or the task role. */
import { directNodePolicy, lambdaPolicy, nodePolicy } from '../workflow/policy';
import { createAwsClients } from './aws';
import { usageError } from './cli-error';
import { loadConfig } from './config';
import type { CommandContext } from './context';
import { ExitCode } from './exit-codes';

export interface PolicyOptions {
  readonly node?: boolean;
  readonly lambda?: boolean;
  /** With --node: add the VIP-route writes that direct runs need. */
  readonly direct?: boolean;
}

export async function policyCommand(ctx: CommandContext, options: PolicyOptions): Promise<number> {
  if (!options.node && !options.lambda) {
    throw usageError(
      'policy needs --node or --lambda',
      '--node: what a cluster node needs; --lambda: the task role',
    );
  }
  if (options.direct && !options.node) {
    throw usageError('--direct goes with --node', 'vipctl policy --node --direct');
  }
  const topology = await loadConfig(ctx);
  const account = await createAwsClients(ctx.globals, ctx.io.env, topology).account();
  const policy = options.node
    ? (options.direct ? directNodePolicy : nodePolicy)(topology, account)
    : lambdaPolicy(topology, account);
  // The policy document is the output both for people and for machines.
  ctx.io.stdout.write(`${JSON.stringify(policy, null, 2)}\n`);
  return ExitCode.Ok;
}
