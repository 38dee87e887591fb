/**
 * The access stack of one other account (DESIGN section 8): `VipFailoverAccess-<cluster>-<key>`, deployed
 * into that account. It holds the role the task function assumes to write that account's tables: trusted
 * only by the cluster's task roles (and the external ID), allowed only that account's VIP-route writes on
 * its own tables and targets, plus the reads. Its policy and trust policy are workflow/policy.ts's, which
 * `vipctl policy --account <key>` prints.
 */
import { Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { ArnPrincipal, CompositePrincipal, Effect, PolicyStatement, Role } from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { ROLE_ARN, type Topology } from '../tasks/topology';
import { accessRolePolicy, accessTrustPolicy } from './policy';

export interface VipFailoverAccessStackProps extends StackProps {
  readonly topology: Topology;
  /** The account's key under the topology's `accounts`. */
  readonly accountKey: string;
  /** The home account, whose task roles the access role trusts. */
  readonly homeAccount: string;
}

/** `VipFailoverAccess-<cluster>-<key>`. */
export const accessStackName = (cluster: string, key: string): string =>
  `VipFailoverAccess-${cluster}-${key}`;

export class VipFailoverAccessStack extends Stack {
  readonly role: Role;

  constructor(scope: Construct, id: string, props: VipFailoverAccessStackProps) {
    const { topology, accountKey, homeAccount } = props;
    const account = topology.accounts?.[accountKey];
    if (!account)
      throw new Error(
        `no account ${accountKey} under accounts in ${topology.cluster}'s topology: add it or drop the stack`,
      );
    super(scope, id, { stackName: accessStackName(topology.cluster, accountKey), ...props });
    // The role the topology names: its path and name come from the ARN the task function assumes.
    const [, , path = '', name = ''] =
      /^arn:[^:]+:iam::(\d{12}):role(\/(?:[!-~]*\/)?)?([\w+=,.@-]+)$/.exec(account.role) ?? [];
    if (!ROLE_ARN.test(account.role) || !name)
      throw new Error(`accounts.${accountKey}.role ${account.role} is no IAM role ARN; fix cluster.yaml`);
    const trust = accessTrustPolicy(topology, accountKey, homeAccount).Statement[0]!;
    this.role = new Role(this, 'AccessRole', {
      roleName: name,
      path: path || '/',
      description: `Lets cluster ${topology.cluster}'s task function write the VIP routes of this account's tables`,
      assumedBy: new CompositePrincipal(...trust.Principal.AWS.map((arn) => new ArnPrincipal(arn))),
      ...(account.externalId ? { externalIds: [account.externalId] } : {}),
    });
    for (const statement of accessRolePolicy(topology, accountKey).Statement) {
      this.role.addToPolicy(
        new PolicyStatement({
          sid: statement.Sid,
          effect: Effect.ALLOW,
          actions: [...statement.Action],
          resources: [...statement.Resource],
        }),
      );
    }
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      reason:
        'EC2 Describe*/Search* actions support no resource-level permissions; every write is scoped to this account’s route table ARNs.',
    });
  }
}

/** One access stack per other account of the topology, each in its account (IAM is global; the first region hosts it). */
export function addAccessStacks(
  scope: Construct,
  topology: Topology,
  homeAccount: string | undefined,
  region: string,
): VipFailoverAccessStack[] {
  const keys = Object.keys(topology.accounts ?? {});
  if (keys.length === 0) return [];
  if (!homeAccount)
    throw new Error(
      `${topology.cluster}: other accounts' access roles trust the home account's task roles, so give the home account: account: "<12 digits>" in cluster.yaml`,
    );
  return keys.map(
    (key) =>
      new VipFailoverAccessStack(scope, accessStackName(topology.cluster, key), {
        topology,
        accountKey: key,
        homeAccount,
        env: { account: topology.accounts?.[key]?.id, region },
      }),
  );
}
