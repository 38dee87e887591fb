/**
 * The ARN partition of a region. Every ARN this project builds (state machines, executions, route
 * tables in IAM policies) takes its partition from the region it names, so China and GovCloud
 * topologies address their own resources. A partition is a group of regions, and each account is
 * scoped to one: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html
 * GovCloud ARNs begin with `arn:aws-us-gov`:
 * https://docs.aws.amazon.com/govcloud-us/latest/UserGuide/using-govcloud-arns.html
 */

/** `aws-cn` for `cn-*`, `aws-us-gov` for `us-gov-*`, else `aws` (the regions the topology accepts). */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}
