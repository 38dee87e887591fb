/** `vipctl policy --node | --lambda`: the least-privilege IAM policy, as JSON, for a cluster node or the task role. */
import {
  accessRolePolicy,
  accessTrustPolicy,
  directNodePolicy,
  lambdaPolicy,
  nodePolicy,
} from '../../workflow/policy';
import { createAwsClients } from '../aws/clients';
import { usageError } from '../core/cli-error';
import { loadConfig } from '../core/config';
import type { CommandContext } from '../core/context';
import { ExitCode } from '../core/exit-codes';

export interface PolicyOptions {
  readonly node?: boolean;
  readonly lambda?: boolean;
  /** With --node: add the VIP-route writes that direct runs need. */
  readonly direct?: boolean;
  /** Another account's key under `accounts`: its access role's policy and trust policy. */
  readonly account?: string;
}

export async function policyCommand(ctx: CommandContext, options: PolicyOptions): Promise<number> {
  if (!options.node && !options.lambda && options.account === undefined) {
    throw usageError(
      'policy needs --node, --lambda or --account <key>',
      "--node: what a cluster node needs; --lambda: the task role; --account: another account's access role",
    );
  }
  if (options.direct && !options.node) {
    throw usageError('--direct goes with --node', 'vipctl policy --node --direct');
  }
  const topology = await loadConfig(ctx);
  const account = await createAwsClients(ctx.globals, ctx.io.env, topology).account();
  if (options.account !== undefined) {
    const key = options.account;
    if (!topology.accounts?.[key]) {
      throw usageError(
        `no account ${key} under accounts in ${topology.cluster}'s topology`,
        `known: ${Object.keys(topology.accounts ?? {}).join(', ') || 'none (all tables are in the home account)'}`,
      );
    }
    // The role of the VipFailoverAccess-<cluster>-<key> stack: what it may do, and who may assume it.
    const access = {
      role: topology.accounts[key].role,
      policy: accessRolePolicy(topology, key),
      trustPolicy: accessTrustPolicy(topology, key, account),
    };
    ctx.io.stdout.write(`${JSON.stringify(access, null, 2)}\n`);
    return ExitCode.Ok;
  }
  const policy = options.node
    ? (options.direct ? directNodePolicy : nodePolicy)(topology, account)
    : lambdaPolicy(topology, account);
  // The policy document is the output both for people and for machines.
  ctx.io.stdout.write(`${JSON.stringify(policy, null, 2)}\n`);
  return ExitCode.Ok;
}
