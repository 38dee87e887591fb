/**
 * IAM of local AWS: every request of the task role, a node's role and the access roles' sessions is
 * evaluated by @cloud-copilot/iam-simulate against the policies the project synthesizes
 * (workflow/policy.ts), on the resources the Service Authorization Reference lists for the action
 * (local/iam/reference.ts). An administrator (local/iam/principals.ts) is not evaluated.
 *
 * AssumeRole is evaluated twice over, as AWS does for a role of another account: the caller's identity
 * policy must allow `sts:AssumeRole` on the role, and the role's trust policy must allow the caller, with
 * its conditions (`sts:ExternalId`) evaluated against the request
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html).
 *
 * Policies can be replaced through the control API (`/_local/iam`, `/_local/access`) to deploy a broken
 * one; `{ deployed: true }` goes back to the synthesized ones.
 */
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { z } from 'zod';
import type { Principal } from './principals';

const OneOrMany = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);
const Statement = z.looseObject({
  Sid: z.string().optional(),
  Effect: z.enum(['Allow', 'Deny']),
  Action: OneOrMany.optional(),
  NotAction: OneOrMany.optional(),
  Resource: OneOrMany.optional(),
  NotResource: OneOrMany.optional(),
  Principal: z.unknown().optional(),
  Condition: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
});
/** A policy document, as far as local AWS checks its shape; iam-simulate validates the rest. */
export const IamPolicy = z.strictObject({
  Version: z.literal('2012-10-17'),
  Statement: z.array(Statement),
});
export type IamPolicy = z.infer<typeof IamPolicy>;

/** Everything allowed: an administrator's policy. */
const ADMINISTRATOR: IamPolicy = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
};
const NOTHING: IamPolicy = { Version: '2012-10-17', Statement: [] };

export interface DeployedPolicies {
  /** The task role's policy (every cluster's, when local AWS serves several). */
  readonly task: IamPolicy;
  /** A cluster node's instance role: `vipctl policy --node --direct`, which includes `--node`. */
  readonly node: IamPolicy;
  /** The access role of each other account, by account ID. */
  readonly access: Readonly<Record<string, IamPolicy>>;
  /** The trust policy of each access role, by role ARN. */
  readonly trust: Readonly<Record<string, IamPolicy>>;
}

export interface IamSettings {
  /** Whether calls are evaluated at all. */
  readonly enforce: boolean;
  /** The task role's policy. */
  readonly policy: IamPolicy;
  /** A node's role policy. */
  readonly node: IamPolicy;
}

/** Why a request was refused. */
export interface Refusal {
  readonly principal: Principal;
  readonly action: string;
  /** The first resource the request is not allowed on. */
  readonly resource: string;
  readonly explicitDeny: boolean;
}

export interface EvaluatedRequest {
  readonly principal: Principal;
  /** `service:Action`. */
  readonly action: string;
  readonly resources: readonly string[];
  /** The account that owns the resources. @default the principal's */
  readonly resourceAccount?: string;
  /** A resource-based policy that must allow the request too (a role's trust policy). */
  readonly resourcePolicy?: IamPolicy;
  /** Condition keys of the request, e.g. `sts:ExternalId`. */
  readonly context?: Readonly<Record<string, string>>;
}

const IamUpdate = z.strictObject({
  policy: IamPolicy.optional(),
  node: IamPolicy.optional(),
  enforce: z.boolean().optional(),
  deployed: z.literal(true).optional(),
});

export class LocalIam {
  private enforce = true;
  private policies: DeployedPolicies;

  constructor(private readonly deployed: () => DeployedPolicies) {
    this.policies = deployed();
  }

  get current(): IamSettings {
    return { enforce: this.enforce, policy: this.policies.task, node: this.policies.node };
  }

  /**
   * `{ policy }` installs the task role's policy, `{ node }` a node's, `{ enforce }` turns evaluation on
   * or off, `{ deployed: true }` goes back to the synthesized policies (trust policies included). A policy
   * iam-simulate cannot evaluate is refused, and nothing changes.
   */
  async update(body: unknown): Promise<IamSettings> {
    const { policy, node, enforce, deployed } = IamUpdate.parse(body);
    for (const [name, document] of [
      ['policy', policy],
      ['node', node],
    ] as const)
      if (document) await assertEvaluable(name, document);
    const base = deployed ? this.deployed() : this.policies;
    this.policies = { ...base, task: policy ?? base.task, node: node ?? base.node };
    this.enforce = enforce ?? this.enforce;
    return this.current;
  }

  /** The trust policy of the role `arn`; undefined when local AWS has no such role. */
  trustOf(arn: string): IamPolicy | undefined {
    return this.policies.trust[arn];
  }

  /** The synthesized trust policy of the role `arn`. */
  deployedTrustOf(arn: string): IamPolicy | undefined {
    return this.deployed().trust[arn];
  }

  /**
   * Replaces the trust policy of the role `arn` (an access role of the topology); check a policy that
   * does not come from workflow/policy.ts with {@link assertEvaluable} first.
   */
  setTrust(arn: string, policy: IamPolicy): void {
    if (!this.policies.trust[arn])
      throw new Error(
        `no access role ${arn} (known: ${Object.keys(this.policies.trust).join(', ') || 'none'})`,
      );
    this.policies = { ...this.policies, trust: { ...this.policies.trust, [arn]: policy } };
  }

  reset(): void {
    this.enforce = true;
    this.policies = this.deployed();
  }

  /** The identity policy `principal` acts with. */
  policyOf(principal: Principal): IamPolicy {
    switch (principal.kind) {
      case 'admin':
        return ADMINISTRATOR;
      case 'task':
        return this.policies.task;
      case 'node':
        return this.policies.node;
      case 'access':
        return this.policies.access[principal.account] ?? NOTHING;
    }
  }

  /** Undefined when the request is allowed on every resource; else the first refusal. */
  async evaluate(request: EvaluatedRequest): Promise<Refusal | undefined> {
    const { principal, action } = request;
    if (!this.enforce || (principal.kind === 'admin' && !request.resourcePolicy)) return undefined;
    for (const resource of request.resources) {
      const result = await runSimulation(
        {
          request: {
            principal: principal.arn,
            action,
            resource: { resource, accountId: request.resourceAccount ?? principal.account },
            contextVariables: { ...request.context },
          },
          identityPolicies: [{ name: principal.kind, policy: this.policyOf(principal) }],
          serviceControlPolicies: [],
          resourceControlPolicies: [],
          ...(request.resourcePolicy ? { resourcePolicy: request.resourcePolicy } : {}),
        },
        {},
      );
      if (result.resultType === 'error')
        throw new Error(
          `local IAM cannot evaluate ${action} on ${resource}: ${JSON.stringify(result.errors)}`,
        );
      if (result.overallResult !== 'Allowed')
        return { principal, action, resource, explicitDeny: result.overallResult === 'ExplicitlyDenied' };
    }
    return undefined;
  }
}

/**
 * Refuses a policy iam-simulate reports errors for (an unknown action, a malformed condition), as an
 * identity policy or, for a trust policy, as a role's resource policy.
 */
export async function assertEvaluable(name: string, policy: IamPolicy, trust = false): Promise<void> {
  const result = await runSimulation(
    {
      request: {
        principal: 'arn:aws:iam::000000000000:user/check',
        action: trust ? 'sts:AssumeRole' : 'sts:GetCallerIdentity',
        resource: trust
          ? { resource: 'arn:aws:iam::000000000000:role/check', accountId: '000000000000' }
          : { resource: '*', accountId: '000000000000' },
        contextVariables: {},
      },
      identityPolicies: trust ? [] : [{ name, policy }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(trust ? { resourcePolicy: policy } : {}),
    },
    {},
  );
  if (result.resultType === 'error')
    throw new Error(`${name} is not a policy IAM can evaluate: ${JSON.stringify(result.errors)}`);
}
