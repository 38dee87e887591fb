import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadTopology, type Topology } from '../../tasks/topology';
import { addNagChecks } from '../../workflow/nag';
import { accessRolePolicy, accessTrustPolicy, lambdaPolicy } from '../../workflow/policy';
import { addFailoverStacks } from '../../workflow/stack';
import { statementsOf } from './cfn';

const HOME = '111111111111';
const TASK_ROLES = [
  `arn:aws:iam::${HOME}:role/vip-failover-orders-db-ap-southeast-1`,
  `arn:aws:iam::${HOME}:role/vip-failover-orders-db-us-east-1`,
];
type CfnTemplate = { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };

/** One synthesized app of examples/multi-account.yaml for the file: bundling off, cdk-nag on. */
let topology: Topology;
let templates: Record<string, CfnTemplate>;
let synthError: unknown;

beforeAll(async () => {
  topology = await loadTopology('examples/multi-account.yaml');
  const app = new App({
    outdir: mkdtempSync(join(tmpdir(), 'vip-failover-access-test-')),
    context: { 'aws:cdk:bundling-stacks': [] },
    builtinCloudFormationValidation: false,
  });
  addFailoverStacks(app, topology);
  addNagChecks(app);
  try {
    app.synth();
  } catch (error) {
    synthError = error;
  }
  templates = Object.fromEntries(
    app.node.children
      .filter((c): c is Stack => c instanceof Stack)
      .map((s) => [s.node.id, Template.fromStack(s).toJSON() as CfnTemplate]),
  );
});

const roleOf = (template: CfnTemplate) =>
  Object.values(template.Resources).find((r) => r.Type === 'AWS::IAM::Role')?.Properties ?? {};

describe('access stacks of other accounts', () => {
  it('synthesizes one VipFailoverAccess stack per other account, with no cdk-nag finding', () => {
    expect(synthError).toBeUndefined();
    expect(Object.keys(templates).sort()).toEqual([
      'VipFailover-orders-db-ap-southeast-1',
      'VipFailover-orders-db-us-east-1',
      'VipFailoverAccess-orders-db-clients',
      'VipFailoverAccess-orders-db-network',
    ]);
  });

  it('holds the role the topology names, trusted only by the task roles and with the external ID', () => {
    const role = roleOf(templates['VipFailoverAccess-orders-db-clients']!);
    expect(role.RoleName).toBe('vip-failover-orders-db');
    const trust = role.AssumeRolePolicyDocument as { Statement: Record<string, unknown>[] };
    for (const statement of trust.Statement)
      expect(statement).toMatchObject({
        Action: 'sts:AssumeRole',
        Effect: 'Allow',
        Condition: { StringEquals: { 'sts:ExternalId': 'orders-db-clients' } },
      });
    const principals = trust.Statement.map((st) => JSON.stringify((st.Principal as { AWS: unknown }).AWS));
    expect(principals).toHaveLength(2);
    expect(principals.join(' ')).toContain('vip-failover-orders-db-us-east-1');
    expect(principals.join(' ')).toContain('vip-failover-orders-db-ap-southeast-1');
  });

  it("allows the network account's role only the writes of its own TGW tables and their attachments, and the reads", () => {
    const statements = statementsOf(templates['VipFailoverAccess-orders-db-network']!);
    expect(statements.map((s) => s.sid)).toEqual([
      'WriteVipRoutesOfTransitGatewayRouteTables',
      'ReadRoutesAndHealth',
      'ReadRoutesAndHealthOnTransitGatewayRouteTable',
      'DiscoverTopology',
    ]);
    // SearchTransitGatewayRoutes acts on TGW route tables: this account's own only.
    expect(statements[2]!.actions).toEqual(['ec2:SearchTransitGatewayRoutes']);
    expect(
      statements[2]!.resources.every((arn) => arn.includes(':222222222222:transit-gateway-route-table/')),
    ).toBe(true);
    // vipctl discover reads the shared TGWs through this role: Describe actions only, nothing it could change.
    expect(statements[3]!.actions.every((a) => a.startsWith('ec2:Describe'))).toBe(true);
    const writes = statements[0]!;
    expect(writes.actions).toEqual(['ec2:CreateTransitGatewayRoute', 'ec2:ReplaceTransitGatewayRoute']);
    expect(writes.resources).toContain(
      'arn:aws:ec2:us-east-1:222222222222:transit-gateway-route-table/tgw-rtb-0a1b2c3d4e5f6a7b8',
    );
    expect(writes.resources.every((arn) => arn.includes(':222222222222:'))).toBe(true);
    expect(writes.resources.some((arn) => arn.includes(':route-table/'))).toBe(false);
  });

  it('gives the home task role its own tables and sts:AssumeRole on exactly the access roles', () => {
    const statements = statementsOf(templates['VipFailover-orders-db-us-east-1']!);
    const assume = statements.filter((s) => s.actions.includes('sts:AssumeRole'));
    expect(assume).toHaveLength(1);
    expect(assume[0]!.resources).toEqual([
      'arn:aws:iam::222222222222:role/vip-failover-orders-db',
      'arn:aws:iam::333333333333:role/vip-failover-orders-db',
    ]);
    expect(statements.some((s) => s.actions.includes('ec2:CreateTransitGatewayRoute'))).toBe(false);
    const vpcWrites = statements.find((s) => s.sid === 'WriteVipRoutesOfVpcRouteTables')!;
    expect(vpcWrites.resources).not.toContain(
      'arn:aws:ec2:us-east-1:111111111111:route-table/rtb-0c1e3a5c7e9b2d4f6',
    );
    expect(vpcWrites.resources).toHaveLength(4);
    expect(roleOf(templates['VipFailover-orders-db-us-east-1']!).RoleName).toBe(
      'vip-failover-orders-db-us-east-1',
    );
  });

  it('prints the same policies as the deployed stacks (vipctl policy --account)', () => {
    expect(accessTrustPolicy(topology, 'network', HOME).Statement[0]?.Principal.AWS).toEqual(TASK_ROLES);
    expect(accessTrustPolicy(topology, 'network', HOME).Statement[0]?.Condition).toBeUndefined();
    expect(accessRolePolicy(topology, 'clients').Statement.map((s) => s.Sid)).toEqual([
      'WriteVipRoutesOfVpcRouteTables',
      'ReadRoutesAndHealth',
      'DiscoverTopology',
    ]);
    expect(accessRolePolicy(topology, 'clients').Statement[0]?.Resource).toEqual([
      'arn:aws:ec2:us-east-1:333333333333:route-table/rtb-0c1e3a5c7e9b2d4f6',
    ]);
    expect(lambdaPolicy(topology, HOME).Statement.map((s) => s.Sid)).toEqual([
      'WriteVipRoutesOfVpcRouteTables',
      'ReadRoutesAndHealth',
      'ListClusterRuns',
      'EnterOtherAccounts',
    ]);
  });
});
