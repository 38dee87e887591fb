/**
 * IAM for EC2 requests: the glue between the EC2 Query endpoint and local IAM (local/iam/local-iam.ts).
 * The resources checked are the action's resource types in the Service Authorization Reference
 * (local/iam/reference.ts), their ARN formats filled in from the request's parameters, which EC2 names
 * like the formats' variables (`RouteTableId`, `TransitGatewayRouteTableId`,
 * `TransitGatewayAttachmentId`; "Actions, resources, and condition keys for Amazon EC2",
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html).
 *
 * A refusal is `UnauthorizedOperation` (HTTP 403) with the message EC2 gives, "You are not authorized to
 * perform this operation. Encoded authorization failure message: …"
 * (https://repost.aws/knowledge-center/ec2-not-auth-launch). The encoded part here is base64url of the
 * JSON that `sts decode-authorization-message` shows (allowed, explicitDeny, context with principal,
 * action and resource; https://docs.aws.amazon.com/STS/latest/APIReference/API_DecodeAuthorizationMessage.html),
 * and local STS decodes it; on AWS it is opaque, so nothing may depend on its form.
 *
 * DryRun: the request is checked for permission only. Allowed: `DryRunOperation`, "Request would have
 * succeeded, but DryRun flag is set." (HTTP 412); refused: `UnauthorizedOperation`
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html). How far AWS also
 * validates parameters under DryRun is not documented; local AWS validates none.
 */
import type { LocalIam, Refusal } from '../iam/local-iam';
import type { Principal } from '../iam/principals';
import { fillArn, resourcesOf } from '../iam/reference';
import { Ec2Error, ec2Errors } from './errors';
import type { QueryParams } from './query';

/** The ARNs IAM checks for the EC2 request `action` with these parameters, in `account`'s ARNs. */
export function ec2ResourcesOf(
  action: string,
  params: QueryParams,
  region: string,
  account: string,
  partition: string,
): Promise<string[]> {
  const known: Record<string, string> = { Partition: partition, Region: region, Account: account };
  return resourcesOf('ec2', action, (type) => fillArn(type.arn, (v) => known[v] ?? params.get(v)));
}

/**
 * Throws UnauthorizedOperation when IAM refuses the request, or DryRunOperation when it is a dry run and
 * allowed. Returns when the request may go on.
 */
export async function authorizeEc2(
  iam: LocalIam,
  principal: Principal,
  request: { action: string; params: QueryParams; region: string; partition: string },
): Promise<void> {
  const { action, params, region, partition } = request;
  const resources = await ec2ResourcesOf(action, params, region, principal.account, partition);
  const refusal = await iam.evaluate({ principal, action: `ec2:${action}`, resources });
  if (refusal) throw unauthorized(refusal, region);
  if (params.booleanParam('DryRun')) throw ec2Errors.dryRunOperation();
}

/** What `sts decode-authorization-message` shows for a refusal (the shape of AWS's decoded message). */
export function decodedRefusal(refusal: Refusal, region: string) {
  return {
    allowed: false,
    explicitDeny: refusal.explicitDeny,
    matchedStatements: { items: [] },
    failures: { items: [] },
    context: {
      principal: { arn: refusal.principal.arn },
      action: refusal.action,
      resource: refusal.resource,
      conditions: { items: [{ key: 'aws:Region', values: { items: [{ value: region }] } }] },
    },
  };
}

function unauthorized(refusal: Refusal, region: string): Ec2Error {
  const encoded = Buffer.from(JSON.stringify(decodedRefusal(refusal, region))).toString('base64url');
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
