import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Duration, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { beforeAll, describe, expect, it } from 'vitest';
import { TopologyError } from '../../tasks/errors';
import { loadTopology, type Topology } from '../../tasks/topology';
import { addNagChecks } from '../../workflow/nag';
import { addFailoverStacks, VipFailoverStack } from '../../workflow/stack';
import { type Statement, statementsOf } from './cfn';

const ACCOUNT = '123456789012';
const REGIONS = ['ap-southeast-1', 'us-east-1'];
/** two-region.yaml: each TGW's VPC attachment and the peering, in that TGW's region. */
const ATTACHMENT_ARNS = [
  `arn:aws:ec2:us-east-1:${ACCOUNT}:transit-gateway-attachment/tgw-attach-0a5c7e9b1d3f6a8c2`,
  `arn:aws:ec2:us-east-1:${ACCOUNT}:transit-gateway-attachment/tgw-attach-0c1d2e3f4a5b6c7d8`,
  `arn:aws:ec2:ap-southeast-1:${ACCOUNT}:transit-gateway-attachment/tgw-attach-0b6d8f1a3c5e7b9d4`,
  `arn:aws:ec2:ap-southeast-1:${ACCOUNT}:transit-gateway-attachment/tgw-attach-0c1d2e3f4a5b6c7d8`,
];

/** One synthesized app for the whole file: bundling off, cdk-nag on (synth throws on any finding). */
let app: App;
let topology: Topology;
type CfnTemplate = { Resources: Record<string, unknown> };
let templates: Record<string, CfnTemplate>;
let synthError: unknown;

beforeAll(async () => {
  topology = await loadTopology('examples/two-region.yaml');
  app = new App({
    outdir: mkdtempSync(join(tmpdir(), 'vip-failover-stack-test-')),
    context: { 'aws:cdk:bundling-stacks': [] },
    builtinCloudFormationValidation: false,
  });
  const stacks = addFailoverStacks(app, topology);
  addNagChecks(app);
  try {
    app.synth();
  } catch (error) {
    synthError = error;
  }
  templates = Object.fromEntries(
    stacks.map((s) => [s.region, Template.fromStack(s).toJSON() as CfnTemplate]),
  );
});

/** An app for a single-stack probe: no bundling, no CloudFormation validation (about 5 s each). */
const quickApp = (): App =>
  new App({ context: { 'aws:cdk:bundling-stacks': [] }, builtinCloudFormationValidation: false });

const statements = (region: string): Statement[] => statementsOf(templates[region]!);
const taskStatement = (region: string, sid: string): Statement => {
  const found = statements(region).filter((s) => s.sid === sid);
  expect(found).toHaveLength(1);
  return found[0]!;
};

describe('the task role', () => {
  it.each(REGIONS)(
    'in %s writes VPC routes only in the topology tables of every region, by ARN',
    (region) => {
      const statement = taskStatement(region, 'WriteVipRoutesOfVpcRouteTables');
      expect(statement.actions.sort()).toEqual(['ec2:CreateRoute', 'ec2:ReplaceRoute']);
      expect(statement.resources.sort()).toEqual([
        `arn:aws:ec2:ap-southeast-1:${ACCOUNT}:route-table/rtb-0b1d3f5a7c9e2b4d6`,
        `arn:aws:ec2:ap-southeast-1:${ACCOUNT}:route-table/rtb-0b2e4a6c8d1f3b5e7`,
        `arn:aws:ec2:us-east-1:${ACCOUNT}:route-table/rtb-0a1c3e5f7b9d2a4c6`,
        `arn:aws:ec2:us-east-1:${ACCOUNT}:route-table/rtb-0a2d4f6b8c1e3a5d7`,
      ]);
    },
  );

  it.each(REGIONS)(
    'in %s writes TGW routes only in the topology TGW tables and toward its attachments, by ARN',
    (region) => {
      const statement = taskStatement(region, 'WriteVipRoutesOfTransitGatewayRouteTables');
      expect(statement.actions.sort()).toEqual([
        'ec2:CreateTransitGatewayRoute',
        'ec2:ReplaceTransitGatewayRoute',
      ]);
      expect(statement.resources.sort()).toEqual(
        [
          `arn:aws:ec2:ap-southeast-1:${ACCOUNT}:transit-gateway-route-table/tgw-rtb-0b1c2d3e4f5a6b7c8`,
          `arn:aws:ec2:us-east-1:${ACCOUNT}:transit-gateway-route-table/tgw-rtb-0a1b2c3d4e5f6a7b8`,
          ...ATTACHMENT_ARNS,
        ].sort(),
      );
    },
  );

  it.each(REGIONS)('in %s lists executions only of the cluster state machines', (region) => {
    const listing = statements(region).filter((s) => s.actions.includes('states:ListExecutions'));
    expect(listing).toHaveLength(1);
    expect(listing[0]!.actions).toEqual(['states:ListExecutions']);
    expect(listing[0]!.resources.sort()).toEqual([
      `arn:aws:states:ap-southeast-1:${ACCOUNT}:stateMachine:vip-failover-orders-db`,
      `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:vip-failover-orders-db`,
    ]);
  });

  it.each(REGIONS)('in %s grants no wildcard action and no EC2 Delete', (region) => {
    const actions = statements(region).flatMap((s) => s.actions);
    expect(actions.filter((a) => a.includes('*'))).toEqual([]);
    expect(actions.filter((a) => a.startsWith('ec2:Delete'))).toEqual([]);
    // The only Delete anywhere is the log-delivery management Step Functions logging requires:
    // https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html#cloudwatch-iam-policy
    expect(actions.filter((a) => a.includes(':Delete'))).toEqual(['logs:DeleteLogDelivery']);
  });

  it.each(REGIONS)(
    'in %s grants on a wildcard resource only reads and services without resource ARNs',
    (region) => {
      const onWildcard = statements(region)
        .filter((s) => s.resources.includes('*'))
        .flatMap((s) => s.actions);
      const allowed =
        /^(ec2:(Describe|Search)[A-Za-z]+|xray:(PutTraceSegments|PutTelemetryRecords|GetSamplingRules|GetSamplingTargets)|logs:(CreateLogDelivery|GetLogDelivery|UpdateLogDelivery|DeleteLogDelivery|ListLogDeliveries|PutResourcePolicy|DescribeResourcePolicies|DescribeLogGroups))$/;
      expect(onWildcard.length).toBeGreaterThan(0);
      expect(onWildcard.filter((a) => !allowed.test(a))).toEqual([]);
      const ec2Writes = statements(region).filter((s) =>
        s.actions.some((a) => /^ec2:(Create|Replace)/.test(a)),
      );
      expect(ec2Writes.flatMap((s) => s.resources).filter((r) => r.includes('*'))).toEqual([]);
    },
  );

  it('writes its logs only to its own log group', () => {
    const statement = taskStatement('us-east-1', 'WriteOwnLogs');
    expect(statement.actions.sort()).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
    expect(statement.resources).toHaveLength(1);
    expect(statement.resources[0]).toMatch(/^<TasksLogs[0-9A-F]+\.Arn>$/);
  });
});

describe('the task function', () => {
  it('runs the newest Node runtime with X-Ray, its own log group and the retry budget', () => {
    const template = Template.fromJSON(templates['us-east-1']!);
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'vip-failover-orders-db-tasks',
      Runtime: 'nodejs24.x',
      Handler: 'index.handler',
      TracingConfig: { Mode: 'Active' },
      Timeout: 100,
      Environment: { Variables: { RETRY_BUDGET_MS: '20000', RUN_BUDGET_MS: '110000' } },
      LoggingConfig: { LogGroup: { Ref: Match.stringLikeRegexp('^TasksLogs') } },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 365 });
  });

  it('has no reserved concurrency unless asked, and the asked amount when it is', () => {
    const fn = Object.values(templates['us-east-1']!.Resources).find(
      (r) => (r as { Type: string }).Type === 'AWS::Lambda::Function',
    ) as { Properties: Record<string, unknown> };
    expect(fn.Properties.ReservedConcurrentExecutions).toBeUndefined();

    const [stack] = addFailoverStacks(quickApp(), topology, { reservedConcurrency: 5 });
    Template.fromStack(stack!).hasResourceProperties('AWS::Lambda::Function', {
      ReservedConcurrentExecutions: 5,
    });
  });

  it('derives the function timeout from the run budget', () => {
    const [stack] = addFailoverStacks(quickApp(), topology, { runBudget: Duration.seconds(60) });
    Template.fromStack(stack!).hasResourceProperties('AWS::Lambda::Function', {
      Timeout: 50,
      Environment: { Variables: { RUN_BUDGET_MS: '60000' } },
    });
  });
});

describe('the log groups', () => {
  type Resource = { Type: string; Properties?: Record<string, unknown>; DeletionPolicy?: string };
  const logGroups = (region: string): Resource[] =>
    Object.values(templates[region]!.Resources as Record<string, Resource>).filter(
      (r) => r.Type === 'AWS::Logs::LogGroup',
    );

  it.each(REGIONS)(
    'in %s never combine a fixed name with a plain Retain, so destroy and redeploy works',
    (region) => {
      const groups = logGroups(region);
      expect(groups).toHaveLength(2);
      for (const group of groups) {
        const fixedName = group.Properties?.LogGroupName !== undefined;
        expect(fixedName && group.DeletionPolicy === 'Retain').toBe(false);
      }
    },
  );

  it.each(REGIONS)(
    'in %s get generated names, kept on delete and removed when their create rolls back',
    (region) => {
      for (const group of logGroups(region)) {
        expect(group.Properties?.LogGroupName).toBeUndefined();
        expect(group.DeletionPolicy).toBe('RetainExceptOnCreate');
      }
    },
  );
});

describe('the state machine', () => {
  it.each(REGIONS)(
    'in %s is the Standard machine vip-failover-<cluster> logging ALL with X-Ray',
    (region) => {
      const template = Template.fromJSON(templates[region]!);
      template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
      template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
        StateMachineName: 'vip-failover-orders-db',
        StateMachineType: 'STANDARD',
        TracingConfiguration: { Enabled: true },
        LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: true },
      });
      template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
        LoggingConfiguration: {
          Destinations: [
            {
              CloudWatchLogsLogGroup: {
                LogGroupArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^StateMachineLogs'), 'Arn'] },
              },
            },
          ],
        },
      });
    },
  );
});

describe('cdk-nag', () => {
  it('reports no unacknowledged finding', () => {
    expect(synthError).toBeUndefined();
  });

  it('fails synthesis on a wildcard nobody acknowledged', () => {
    const probe = new App({
      context: { 'aws:cdk:bundling-stacks': [] },
      builtinCloudFormationValidation: false,
    });
    const [stack] = addFailoverStacks(probe, topology);
    stack!.stateMachine.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['ec2:DescribeVpcs'], resources: ['arn:aws:ec2:*:*:vpc/*'] }),
    );
    addNagChecks(probe);
    expect(() => probe.synth()).toThrow(/AwsSolutions-IAM5/);
  });

  it('sees only acknowledgements that carry a reason', () => {
    const acknowledgements = app.node
      .findAll()
      .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY))
      .flatMap((m) => Object.entries(m.data as Record<string, string>));
    expect(acknowledgements.length).toBeGreaterThan(0);
    for (const [id, reason] of acknowledgements) {
      // Wildcards AWS requires, the readiness topic's encryption (workflow/readiness.ts says why), and
      // the run bucket's missing access-log bucket (S1).
      expect(id).toMatch(/^AwsSolutions::AwsSolutions-(IAM5\[Resource::.+\]|SNS2|S1)$/);
      expect(reason.length).toBeGreaterThan(30);
    }
  });
});

describe('the run bucket', () => {
  const resourcesOf = (region: string, type: string) =>
    Object.entries(templates[region]!.Resources).filter(([, r]) => (r as { Type: string }).Type === type) as [
      string,
      { Properties: Record<string, unknown>; DeletionPolicy?: string },
    ][];

  it.each(REGIONS)('in %s is encrypted, private, SSL only, and expires run records', (region) => {
    const buckets = resourcesOf(region, 'AWS::S3::Bucket');
    expect(buckets).toHaveLength(1);
    const [id, bucket] = buckets[0]!;
    expect(bucket.Properties).toMatchObject({
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LifecycleConfiguration: {
        Rules: [expect.objectContaining({ Prefix: 'runs/', ExpirationInDays: 365, Status: 'Enabled' })],
      },
    });
    expect(bucket.Properties).not.toHaveProperty('BucketName');
    expect(bucket.DeletionPolicy).toBe('RetainExceptOnCreate');
    const policies = resourcesOf(region, 'AWS::S3::BucketPolicy');
    expect(policies).toHaveLength(1);
    expect(JSON.stringify(policies[0]![1].Properties)).toContain('"aws:SecureTransport":"false"');
    expect(JSON.stringify(policies[0]![1].Properties)).toContain(id);
  });

  it.each(REGIONS)('in %s is the only S3 resource of the task role, and only its runs/ objects', (region) => {
    const s3 = statements(region).filter((s) => s.actions.some((a) => a.startsWith('s3:')));
    expect(s3).toHaveLength(1);
    const [id] = resourcesOf(region, 'AWS::S3::Bucket')[0]!;
    expect(s3[0]!.actions.sort()).toEqual(['s3:GetObject', 's3:PutObject']);
    expect(s3[0]!.resources).toEqual([`<${id}.Arn>/runs/*`]);
  });

  it.each(REGIONS)('in %s is named to the task function as RUN_BUCKET', (region) => {
    const [id] = resourcesOf(region, 'AWS::S3::Bucket')[0]!;
    const functions = resourcesOf(region, 'AWS::Lambda::Function');
    const env = functions.map(
      ([, f]) => (f.Properties.Environment as { Variables?: Record<string, unknown> })?.Variables,
    );
    expect(env.some((v) => JSON.stringify(v?.RUN_BUCKET) === JSON.stringify({ Ref: id }))).toBe(true);
  });
});

describe('stacks per region', () => {
  it.each([
    ['examples/two-region.yaml', ['ap-southeast-1', 'us-east-1']],
    ['examples/three-region.yaml', ['ap-southeast-1', 'eu-west-1', 'us-east-1']],
  ])('%s gives one VipFailover-<cluster> stack per region', async (path, regions) => {
    const example = await loadTopology(path);
    const stacks = addFailoverStacks(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), example);
    expect(stacks.map((s) => s.region).sort()).toEqual(regions);
    expect(new Set(stacks.map((s) => s.stackName))).toEqual(new Set([`VipFailover-${example.cluster}`]));
    expect(stacks.every((s) => s.account === example.account)).toBe(true);
  });
});

describe('bad input', () => {
  it('refuses a region the topology does not use', () => {
    expect(() => new VipFailoverStack(new App(), 'S', { topology, env: { region: 'eu-central-1' } })).toThrow(
      /region eu-central-1 is not a region of the topology \(ap-southeast-1, us-east-1\)/,
    );
  });

  it('refuses an environment-agnostic region', () => {
    expect(() => new VipFailoverStack(new App(), 'S', { topology })).toThrow(/set env.region/);
  });

  it('refuses an account other than the topology account', () => {
    expect(
      () =>
        new VipFailoverStack(new App(), 'S', {
          topology,
          env: { region: 'us-east-1', account: '999999999999' },
        }),
    ).toThrow(/env.account 999999999999 differs from the topology's account 123456789012/);
  });

  it('refuses a dangling topology with every problem and its path', () => {
    const dangling: Topology = {
      ...topology,
      vpcs: { ...topology.vpcs, 'vpc-b': { ...topology.vpcs['vpc-b']!, transitGateway: 'tgw-x' } },
    };
    let error: unknown;
    try {
      addFailoverStacks(new App(), dangling);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TopologyError);
    expect((error as TopologyError).problems.map((p) => p.path)).toContain('vpcs.vpc-b.transitGateway');
  });

  it('refuses a topology that does not fit the schema', () => {
    const broken = { ...topology, vips: ['10.0.0.0/8'] } as Topology;
    expect(() => addFailoverStacks(new App(), broken)).toThrow(TopologyError);
  });

  it('refuses a retry budget that would not fit the Lambda timeout', () => {
    expect(() => addFailoverStacks(new App(), topology, { retryBudget: Duration.minutes(10) })).toThrow(
      /retryBudget must be between 1 second and half the function timeout, 50 seconds/,
    );
  });

  it('refuses a run budget outside 30 s to Lambda’s 15 minutes', () => {
    for (const runBudget of [Duration.seconds(10), Duration.minutes(20), Duration.millis(45_500)]) {
      expect(() => addFailoverStacks(new App(), topology, { runBudget })).toThrow(
        /runBudget must be a whole number of seconds between 30 and 910/,
      );
    }
  });

  it('refuses a reserved concurrency that is not a positive whole number', () => {
    expect(() => addFailoverStacks(new App(), topology, { reservedConcurrency: 0 })).toThrow(
      /reservedConcurrency must be a positive whole number/,
    );
  });
});
