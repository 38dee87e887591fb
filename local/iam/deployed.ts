/**
 * What local AWS's IAM evaluates each caller against: the policies as the stacks deploy them, and the
 * refusal a JSON service (Step Functions, CloudWatch Logs) answers with when they do not allow a call.
 */
import { partitionOf } from '../../tasks/partition';
import { regionsOf } from '../../tasks/routing';
import type { Topology } from '../../tasks/topology';
import { accessRolePolicy, accessTrustPolicy, directNodePolicy, lambdaPolicy } from '../../workflow/policy';
import { localRunBucket } from '../task-functions';
import { IamPolicy, LocalIam } from './local-iam';
import type { Principal } from './principals';
import { fillArn, type ResourceType, resourcesOf } from './reference';

/**
 * The policies of every caller, as deployed for `topology` (and the other `clusters` local AWS serves):
 * - the task role's, as the stack deploys it (workflow/stack.ts builds its statements from lambdaPolicy);
 * - a node's instance role, as `vipctl policy --node --direct` prints it (the superset: direct runs too);
 * - each other account's access role, as its VipFailoverAccess stack deploys it (workflow/access-stack.ts),
 *   and the trust policy AssumeRole is checked against.
 */
export function deployedIam(topology: Topology, clusters: readonly Topology[], account: string): LocalIam {
  const others = Object.entries(topology.accounts ?? {});
  return new LocalIam(() => ({
    task: IamPolicy.parse({
      Version: '2012-10-17',
      Statement: clusters.flatMap((cluster) => [
        ...lambdaPolicy(cluster, account).Statement,
        // The stack adds the run bucket to the task role (workflow/stack.ts, statement RunRecords).
        ...regionsOf(cluster).map((region) => ({
          Sid: 'RunRecords',
          Effect: 'Allow',
          Action: ['s3:PutObject', 's3:GetObject'],
          Resource: [`arn:${partitionOf(region)}:s3:::${localRunBucket(cluster.cluster, region)}/runs/*`],
        })),
      ]),
    }),
    node: IamPolicy.parse({
      Version: '2012-10-17',
      Statement: clusters.flatMap((cluster) => directNodePolicy(cluster, account).Statement),
    }),
    access: Object.fromEntries(
      others.map(([key, a]) => [a.id, IamPolicy.parse(accessRolePolicy(topology, key))]),
    ),
    trust: Object.fromEntries(
      others.map(([key, a]) => [a.role, IamPolicy.parse(accessTrustPolicy(topology, key, account))]),
    ),
  }));
}

export interface JsonDenierOptions {
  readonly iam: LocalIam;
  readonly callerOf: (accessKey: string | undefined, region: string) => Principal;
  readonly partition: string;
  readonly account: string;
}

/** The AccessDenied answer of a JSON service's call, or undefined when IAM allows it. */
export function jsonDenier({ iam, callerOf, partition, account }: JsonDenierOptions) {
  return async (
    service: 'states' | 'logs',
    operation: string,
    accessKey: string | undefined,
    region: string,
    body: unknown,
  ): Promise<{ status: number; body: unknown } | undefined> => {
    const principal = callerOf(accessKey, region);
    const fields = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
    const field = (name: string) => (typeof fields[name] === 'string' ? (fields[name] as string) : undefined);
    const arnOf = (type: ResourceType) =>
      service === 'states'
        ? field(
            `${type.name === 'statemachine' ? 'stateMachine' : type.name === 'maprun' ? 'mapRun' : type.name}Arn`,
          )
        : fillArn(
            type.arn,
            (v) =>
              ({ Partition: partition, Region: region, Account: account })[v] ??
              field(`${v.charAt(0).toLowerCase()}${v.slice(1)}`),
          );
    const action = `${service}:${operation}`;
    const refusal = await iam.evaluate({
      principal,
      action,
      resources: await resourcesOf(service, operation, arnOf),
    });
    return (
      refusal && { status: 400, body: jsonAccessDenied(refusal.principal.arn, action, refusal.resource) }
    );
  };
}

/**
 * The message AWS gives when no identity-based policy allows a request: "User: <arn> is not authorized
 * to perform: <action> on resource: <arn> because no identity-based policy allows the <action> action"
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html).
 */
export function accessDeniedMessage(principal: string, action: string, resource: string): string {
  return `User: ${principal} is not authorized to perform: ${action} on resource: ${resource} because no identity-based policy allows the ${action} action`;
}

/**
 * A JSON service's refusal: `AccessDeniedException`, HTTP 400, for Step Functions
 * (https://docs.aws.amazon.com/step-functions/latest/apireference/CommonErrors.html) and CloudWatch Logs
 * (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/CommonErrors.html).
 */
function jsonAccessDenied(principal: string, action: string, resource: string) {
  return { __type: 'AccessDeniedException', message: accessDeniedMessage(principal, action, resource) };
}
