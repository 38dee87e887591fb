/**
 * IAM for the task role's EC2 calls. Local AWS knows the task function by the access key its clients
 * sign with ({@link TASK_ROLE_ACCESS_KEY}), and the sessions of other accounts' access roles by the keys
 * AssumeRole handed out (local/accounts.ts), evaluated against that role's policy; every other caller
 * (vipctl, tests) has full access, as an administrator would.
 *
 * An action is allowed when the policy allows it on every resource IAM checks for that request, and no
 * statement denies it. The resources checked per action are the resource types the Service Authorization
 * Reference lists ("Actions, resources, and condition keys for Amazon EC2",
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html):
 * - CreateRoute, ReplaceRoute, DeleteRoute: `route-table*`;
 * - CreateTransitGatewayRoute, ReplaceTransitGatewayRoute: `transit-gateway-route-table*` and, when the
 *   request names one, `transit-gateway-attachment`;
 * - DeleteTransitGatewayRoute: `transit-gateway-route-table*`;
 * - Describe*, Search* and Get*: no resource type, so the policy must allow them on `*`.
 *
 * A refusal is `UnauthorizedOperation` (HTTP 403) with the message EC2 gives, "You are not authorized to
 * perform this operation. Encoded authorization failure message: …"
 * (https://repost.aws/knowledge-center/ec2-not-auth-launch). The encoded part here is base64 of the JSON
 * that `sts decode-authorization-message` would show (allowed, explicitDeny, context with principal, action
 * and resource; https://docs.aws.amazon.com/STS/latest/APIReference/API_DecodeAuthorizationMessage.html);
 * on AWS it is opaque, so nothing may depend on decoding it.
 *
 * DryRun: the request is checked for permission only. Allowed: `DryRunOperation`, "Request would have
 * succeeded, but DryRun flag is set." (HTTP 412); refused: `UnauthorizedOperation`
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html). How far AWS also
 * validates parameters under DryRun is not documented; local AWS validates none.
 *
 * Condition, NotAction, NotResource and Principal are not modelled: a policy that uses them is refused when
 * installed, so a test never believes a condition was evaluated.
 */
import { z } from 'zod';
import { partitionOf } from '../../tasks/partition';
import { SESSION_KEY } from '../accounts';
import { Ec2Error, ec2Errors } from './errors';
import type { QueryParams } from './query';

/** The access key the task function's EC2 clients use against local AWS. */
export const TASK_ROLE_ACCESS_KEY = 'LOCALTASKROLEKEY';

const OneOrMany = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);
const Statement = z.strictObject({
  Sid: z.string().optional(),
  Effect: z.enum(['Allow', 'Deny']),
  Action: OneOrMany,
  Resource: OneOrMany,
});
/** An identity-based policy document, as far as local AWS evaluates one. */
export const IamPolicy = z.strictObject({
  Version: z.literal('2012-10-17'),
  Statement: z.array(Statement),
});
export type IamPolicy = z.infer<typeof IamPolicy>;

const list = (value: string | readonly string[]): readonly string[] =>
  typeof value === 'string' ? [value] : value;

/** IAM's wildcard match: `*` any run of characters, `?` one; actions case-insensitively. */
function matches(pattern: string, value: string, ignoreCase = false): boolean {
  const source = pattern
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`, ignoreCase ? 'i' : '').test(value);
}

/** The resources IAM checks for `action` with these parameters (see the file comment). */
export function resourcesOf(action: string, params: QueryParams, region: string, account: string): string[] {
  const arn = (type: string, id: string) =>
    `arn:${partitionOf(region)}:ec2:${region}:${account}:${type}/${id}`;
  switch (action) {
    case 'CreateRoute':
    case 'ReplaceRoute':
    case 'DeleteRoute':
      return [arn('route-table', params.get('RouteTableId') ?? '')];
    case 'CreateTransitGatewayRoute':
    case 'ReplaceTransitGatewayRoute': {
      const attachment = params.get('TransitGatewayAttachmentId');
      return [
        arn('transit-gateway-route-table', params.get('TransitGatewayRouteTableId') ?? ''),
        ...(attachment ? [arn('transit-gateway-attachment', attachment)] : []),
      ];
    }
    case 'DeleteTransitGatewayRoute':
      return [arn('transit-gateway-route-table', params.get('TransitGatewayRouteTableId') ?? '')];
    default:
      return ['*'];
  }
}

/** The resources of `resources` that `policy` does not allow `ec2:<action>` on (empty: allowed). */
export function refusedResources(policy: IamPolicy, action: string, resources: readonly string[]): string[] {
  const qualified = `ec2:${action}`;
  const applies = (s: IamPolicy['Statement'][number], resource: string) =>
    list(s.Action).some((a) => matches(a, qualified, true)) &&
    list(s.Resource).some((r) => matches(r, resource));
  return resources.filter((resource) => {
    const denied = policy.Statement.some((s) => s.Effect === 'Deny' && applies(s, resource));
    const allowed = policy.Statement.some((s) => s.Effect === 'Allow' && applies(s, resource));
    return denied || !allowed;
  });
}

export interface IamSettings {
  /** Whether the task role's calls are evaluated at all. */
  readonly enforce: boolean;
  readonly policy: IamPolicy;
}

/** The task role's IAM: the deployed policy, replaceable through the control API to deploy a broken one. */
export class TaskRoleIam {
  private settings: IamSettings;

  constructor(
    private readonly deployed: () => IamPolicy,
    private readonly account: string,
    /**
     * The policies of other accounts' access roles, by account ID (the VipFailoverAccess stacks'): a call
     * signed with credentials AssumeRole returned for that account is evaluated against it.
     */
    private readonly accessPolicies: Readonly<Record<string, IamPolicy>> = {},
  ) {
    this.settings = { enforce: true, policy: deployed() };
  }

  get current(): IamSettings {
    return this.settings;
  }

  /** Installs a policy and/or turns enforcement on or off; `{ deployed: true }` goes back to the deployed policy. */
  update(body: unknown): IamSettings {
    const { policy, enforce, deployed } = IamUpdate.parse(body);
    this.settings = {
      enforce: enforce ?? this.settings.enforce,
      policy: deployed ? this.deployed() : (policy ?? this.settings.policy),
    };
    return this.settings;
  }

  reset(): void {
    this.settings = { enforce: true, policy: this.deployed() };
  }

  /**
   * Throws UnauthorizedOperation when the caller is the task role and the policy refuses the request, or
   * DryRunOperation when the request is a dry run and allowed. Returns when the request may go on.
   */
  authorize(accessKey: string | undefined, action: string, params: QueryParams, region: string): void {
    const dryRun = params.booleanParam('DryRun');
    const session = accessKey === undefined ? undefined : SESSION_KEY.exec(accessKey)?.[1];
    const principal =
      accessKey === TASK_ROLE_ACCESS_KEY
        ? { account: this.account, policy: this.settings.policy }
        : session !== undefined && this.accessPolicies[session]
          ? { account: session, policy: this.accessPolicies[session] }
          : undefined;
    if (principal && this.settings.enforce) {
      const resources = resourcesOf(action, params, region, principal.account);
      const refused = refusedResources(principal.policy, action, resources);
      if (refused.length > 0) {
        const explicit = principal.policy.Statement.some(
          (st) =>
            st.Effect === 'Deny' &&
            list(st.Action).some((a) => matches(a, `ec2:${action}`, true)) &&
            list(st.Resource).some((r) => matches(r, refused[0]!)),
        );
        throw unauthorized(principal.account, action, refused[0]!, region, explicit);
      }
    }
    if (dryRun) throw ec2Errors.dryRunOperation();
  }
}

const IamUpdate = z.strictObject({
  policy: IamPolicy.optional(),
  enforce: z.boolean().optional(),
  deployed: z.literal(true).optional(),
});

function unauthorized(
  account: string,
  action: string,
  resource: string,
  region: string,
  explicitDeny: boolean,
): Ec2Error {
  const decoded = {
    allowed: false,
    explicitDeny,
    matchedStatements: { items: [] },
    failures: { items: [] },
    context: {
      principal: { arn: `arn:aws:sts::${account}:assumed-role/local-task-role/task` },
      action: `ec2:${action}`,
      resource,
      conditions: { items: [{ key: 'aws:Region', values: { items: [{ value: region }] } }] },
    },
  };
  const encoded = Buffer.from(JSON.stringify(decoded)).toString('base64url');
  return new Ec2Error(
    'UnauthorizedOperation',
    `You are not authorized to perform this operation. Encoded authorization failure message: ${encoded}`,
    403,
  );
}

const ACCESS_KEY = /Credential=([^/,\s]+)\//;

/** The access key ID of a SigV4 `Authorization` header. */
export function accessKeyOf(authorization: string | undefined): string | undefined {
  return authorization ? ACCESS_KEY.exec(authorization)?.[1] : undefined;
}
