/**
 * Local STS: GetCallerIdentity, AssumeRole into the access roles of a topology's other accounts (DESIGN
 * section 7), and DecodeAuthorizationMessage for the refusals local EC2 encodes.
 */
import { randomUUID } from 'node:crypto';
import type { LocalIam } from './iam/local-iam';
import type { Principal } from './iam/principals';

/**
 * GetCallerIdentity names the caller as AWS does: an assumed role's session ARN, or a user's ARN
 * (https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html). It needs no permission.
 */
export function callerIdentityXml(principal: Pick<Principal, 'account' | 'arn'>): string {
  return (
    '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">' +
    '<GetCallerIdentityResult>' +
    `<Arn>${principal.arn}</Arn>` +
    '<UserId>AIDALOCALAWSUSER00001</UserId>' +
    `<Account>${principal.account}</Account>` +
    '</GetCallerIdentityResult>' +
    `<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata>` +
    '</GetCallerIdentityResponse>'
  );
}

/**
 * An access role of the topology, as its VipFailoverAccess stack creates it; its trust policy is the
 * synthesized one (workflow/policy.ts accessTrustPolicy), held by local IAM.
 */
export interface AccessRole {
  readonly key: string;
  readonly account: string;
  readonly arn: string;
}

export interface StsAnswer {
  readonly status: number;
  readonly body: string;
}

const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;
const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;
const NOBODY = { Version: '2012-10-17' as const, Statement: [] };

/**
 * AssumeRole, evaluated by local IAM: the caller's identity policy must allow `sts:AssumeRole` on the
 * role and the role's trust policy must allow the caller, its `sts:ExternalId` condition evaluated
 * against the request's ExternalId (local/iam/local-iam.ts).
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
 * - Local simplification: an administrator (local/iam/principals.ts) is trusted by every access role,
 *   so that a test can read every account without being the task role; the trust policies name only the
 *   task roles (DESIGN section 8), so on AWS an operator or a node cannot assume them.
 */
export class LocalSts {
  constructor(
    private readonly roles: readonly AccessRole[],
    private readonly iam: LocalIam,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * `{ account: <key>, trust: "task-role" | "none" | <trust policy> }`: the synthesized trust policy,
   * one that trusts nobody (the role is missing or its trust policy is wrong), or another one.
   */
  setTrust(account: string, trust: 'task-role' | 'none' | object): { account: string; trust: unknown } {
    const role = this.roles.find((r) => r.key === account);
    if (!role)
      throw new Error(
        `no account ${account} in the topology (known: ${this.roles.map((r) => r.key).join(', ')})`,
      );
    const policy =
      trust === 'task-role' ? this.iam.deployedTrustOf(role.arn) : trust === 'none' ? NOBODY : trust;
    this.iam.setTrust(role.arn, policy as typeof NOBODY);
    return { account, trust };
  }

  async assumeRole(params: URLSearchParams, caller: Principal, requestId: string): Promise<StsAnswer> {
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
    const role = this.roles.find((r) => r.arn === arn);
    const trust = role && this.iam.trustOf(role.arn);
    const refused =
      !role ||
      !trust ||
      (caller.kind !== 'admin' &&
        (await this.iam.evaluate({
          principal: caller,
          action: 'sts:AssumeRole',
          resources: [arn],
          resourceAccount: role.account,
          resourcePolicy: trust,
          context: externalId === undefined ? {} : { 'sts:ExternalId': externalId },
        })) !== undefined);
    if (!role || refused)
      return stsError(
        403,
        'AccessDenied',
        `User: ${caller.arn} is not authorized to perform: sts:AssumeRole on resource: ${arn}`,
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

  /**
   * DecodeAuthorizationMessage: the JSON behind an `UnauthorizedOperation` message of local EC2
   * (local/ec2/iam.ts). It needs `sts:DecodeAuthorizationMessage`; a message that is not one is
   * `InvalidAuthorizationMessageException`, HTTP 400
   * (https://docs.aws.amazon.com/STS/latest/APIReference/API_DecodeAuthorizationMessage.html).
   */
  async decodeAuthorizationMessage(
    params: URLSearchParams,
    caller: Principal,
    requestId: string,
  ): Promise<StsAnswer> {
    const refused = await this.iam.evaluate({
      principal: caller,
      action: 'sts:DecodeAuthorizationMessage',
      resources: ['*'],
    });
    if (refused)
      return stsError(
        403,
        'AccessDenied',
        `User: ${caller.arn} is not authorized to perform: sts:DecodeAuthorizationMessage`,
        requestId,
      );
    const decoded = decodeMessage(params.get('EncodedMessage') ?? '');
    if (decoded === undefined)
      return stsError(
        400,
        'InvalidAuthorizationMessageException',
        'The message is not a valid authorization message.',
        requestId,
      );
    return {
      status: 200,
      body:
        '<DecodeAuthorizationMessageResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">' +
        `<DecodeAuthorizationMessageResult><DecodedMessage>${escapeXml(decoded)}</DecodedMessage></DecodeAuthorizationMessageResult>` +
        `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></DecodeAuthorizationMessageResponse>`,
    };
  }
}

function decodeMessage(encoded: string): string | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(encoded)) return undefined;
  const text = Buffer.from(encoded, 'base64url').toString('utf8');
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && 'allowed' in parsed ? text : undefined;
  } catch {
    return undefined;
  }
}

const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function stsError(status: number, code: string, message: string, requestId: string): StsAnswer {
  return {
    status,
    body:
      '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">' +
      `<Error><Type>Sender</Type><Code>${code}</Code><Message>${escapeXml(message)}</Message></Error>` +
      `<RequestId>${requestId}</RequestId></ErrorResponse>`,
  };
}
