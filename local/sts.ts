/** STS GetCallerIdentity, the one STS call the project makes (the account when the topology has none). */
import { randomUUID } from 'node:crypto';

export function callerIdentityXml(account: string): string {
  return (
    '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">' +
    '<GetCallerIdentityResult>' +
    `<Arn>arn:aws:iam::${account}:user/local</Arn>` +
    '<UserId>AIDALOCALAWSUSER00001</UserId>' +
    `<Account>${account}</Account>` +
    '</GetCallerIdentityResult>' +
    `<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata>` +
    '</GetCallerIdentityResponse>'
  );
}

/**
 * STS AssumeRole for the access roles of a topology's other accounts (DESIGN section 7), as the
 * VipFailoverAccess stacks create them: each role trusts the task role, with the account's external ID
 * as a condition when the topology gives one.
 * - Refused: `AccessDenied`, HTTP 403, "User: <caller> is not authorized to perform: sts:AssumeRole on
 *   resource: <role>" (https://repost.aws/knowledge-center/iam-assume-role-error), also for a role that
 *   does not exist and for a missing or wrong external ID
 *   (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_common-scenarios_third-party.html).
 * - RoleSessionName is 2-64 of `[\w+=,.@-]`, ExternalId 2-1224 of `[\w+=,.@:/-]`, DurationSeconds 900 to
 *   the role's maximum, 3600 by default; a value outside is a `ValidationError`, HTTP 400
 *   (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html,
 *   https://docs.aws.amazon.com/STS/latest/APIReference/CommonErrors.html).
 * - The credentials' access key embeds the role's account (local/accounts.ts), so EC2 calls signed with
 *   them act as that account, with no session table to lose on a restart.
 * - Local simplification: callers other than the task function (vipctl, tests) act as an administrator
 *   of the home account whom every access role trusts, so `vipctl status` and `check` can read every
 *   account; `trust: "none"` (control API) takes the role away from everyone.
 */
export interface AccessRole {
  readonly key: string;
  readonly account: string;
  readonly arn: string;
  readonly externalId?: string;
}

export interface StsAnswer {
  readonly status: number;
  readonly body: string;
}

const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;
const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;

export class LocalSts {
  /** Account keys whose access role trusts nobody (the role is missing or its trust policy is wrong). */
  private readonly refused = new Set<string>();

  constructor(
    private readonly roles: readonly AccessRole[],
    /** The ARN of the principal a caller's access key stands for. */
    private readonly principalOf: (accessKey: string | undefined) => string,
    private readonly now: () => number = Date.now,
  ) {}

  /** `{ account: <key>, trust: "task-role" | "none" }`: put back or take away an account's access role. */
  setTrust(account: string, trust: 'task-role' | 'none'): { account: string; trust: string } {
    if (!this.roles.some((r) => r.key === account))
      throw new Error(
        `no account ${account} in the topology (known: ${this.roles.map((r) => r.key).join(', ')})`,
      );
    if (trust === 'none') this.refused.add(account);
    else this.refused.delete(account);
    return { account, trust };
  }

  reset(): void {
    this.refused.clear();
  }

  assumeRole(params: URLSearchParams, accessKey: string | undefined, requestId: string): StsAnswer {
    const arn = params.get('RoleArn') ?? '';
    const sessionName = params.get('RoleSessionName') ?? '';
    const externalId = params.get('ExternalId') ?? undefined;
    const duration = Number(params.get('DurationSeconds') ?? 3600);
    if (!SESSION_NAME.test(sessionName))
      return stsError(
        400,
        'ValidationError',
        `1 validation error detected: Value '${sessionName}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*`,
        requestId,
      );
    if (externalId !== undefined && !EXTERNAL_ID.test(externalId))
      return stsError(
        400,
        'ValidationError',
        "1 validation error detected: Value at 'externalId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@:\\/-]*",
        requestId,
      );
    if (!Number.isInteger(duration) || duration < 900 || duration > 3600)
      return stsError(
        400,
        'ValidationError',
        `The requested DurationSeconds exceeds the MaxSessionDuration set for this role.`,
        requestId,
      );
    const caller = this.principalOf(accessKey);
    const role = this.roles.find((r) => r.arn === arn);
    const trusted =
      role !== undefined &&
      !this.refused.has(role.key) &&
      (role.externalId === undefined || role.externalId === externalId);
    if (!role || !trusted)
      return stsError(
        403,
        'AccessDenied',
        `User: ${caller} is not authorized to perform: sts:AssumeRole on resource: ${arn}`,
        requestId,
      );
    const random = randomUUID().replace(/-/g, '').toUpperCase();
    const accessKeyId = `ASIA${role.account}${random.slice(0, 8)}`;
    const expiration = new Date(this.now() + duration * 1000).toISOString();
    const roleName = arn.slice(arn.lastIndexOf('/') + 1);
    const partition = arn.split(':')[1] ?? 'aws';
    return {
      status: 200,
      body:
        '<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>' +
        `<AssumedRoleUser><Arn>arn:${partition}:sts::${role.account}:assumed-role/${roleName}/${sessionName}</Arn>` +
        `<AssumedRoleId>AROALOCAL${random.slice(8, 20)}:${sessionName}</AssumedRoleId></AssumedRoleUser>` +
        `<Credentials><AccessKeyId>${accessKeyId}</AccessKeyId><SecretAccessKey>${random}</SecretAccessKey>` +
        `<SessionToken>local-session-${random}</SessionToken><Expiration>${expiration}</Expiration></Credentials>` +
        `</AssumeRoleResult><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></AssumeRoleResponse>`,
    };
  }
}

function stsError(status: number, code: string, message: string, requestId: string): StsAnswer {
  const escaped = message.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return {
    status,
    body:
      '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">' +
      `<Error><Type>Sender</Type><Code>${code}</Code><Message>${escaped}</Message></Error>` +
      `<RequestId>${requestId}</RequestId></ErrorResponse>`,
  };
}
