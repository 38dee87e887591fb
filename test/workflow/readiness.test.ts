/**
 * The readiness resources of the CDK app (DESIGN section 9) for examples/two-region.yaml, which turns
 * them on: schedules, the scheduler's role, alarms, the failed-runs rule, the topic, and cdk-nag.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadTopology } from '../../tasks/topology';
import { addNagChecks } from '../../workflow/nag';
import { addFailoverStacks } from '../../workflow/stack';

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;
const templates: Record<string, { Resources: Resources }> = {};
let synthError: unknown;
let withoutReadiness: Resources;

const ofType = (region: string, type: string) =>
  Object.entries(templates[region]!.Resources).filter(([, r]) => r.Type === type);
const only = (region: string, type: string) => {
  const found = ofType(region, type);
  expect(found, type).toHaveLength(1);
  return found[0]!;
};

beforeAll(async () => {
  const topology = await loadTopology('examples/two-region.yaml');
  const app = new App({
    outdir: mkdtempSync(join(tmpdir(), 'vip-readiness-test-')),
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
  for (const s of stacks) templates[s.region] = Template.fromStack(s).toJSON() as { Resources: Resources };

  const { readiness: _, ...plain } = topology;
  const bare = new App({
    outdir: mkdtempSync(join(tmpdir(), 'vip-readiness-test-')),
    context: { 'aws:cdk:bundling-stacks': [] },
    builtinCloudFormationValidation: false,
  });
  const [first] = addFailoverStacks(bare, plain);
  withoutReadiness = (Template.fromStack(first!).toJSON() as { Resources: Resources }).Resources;
});

describe('readiness of examples/two-region.yaml', () => {
  it('schedules a drill of each node of the region, every 30 minutes, named and dated by the scheduler', () => {
    const [, schedule] = only('ap-southeast-1', 'AWS::Scheduler::Schedule');
    expect(schedule.Properties.ScheduleExpression).toBe('rate(30 minutes)');
    const target = schedule.Properties.Target as { Arn: string; Input: unknown; RoleArn: unknown };
    expect(target.Arn).toBe('arn:aws:scheduler:::aws-sdk:sfn:startExecution');
    // Fn::Join of literal parts and the state machine's Ref: join with the Ref as a placeholder.
    const join = target.Input as { 'Fn::Join': [string, (string | object)[]] };
    const text = join['Fn::Join'][1]
      .map((part) => (typeof part === 'string' ? part : 'STATE_MACHINE'))
      .join('');
    const request = JSON.parse(text) as { StateMachineArn: string; Name: string; Input: string };
    expect(request.StateMachineArn).toBe('STATE_MACHINE');
    expect(request.Name).toBe('drill-server-b-<aws.scheduler.execution-id>');
    const parsed: unknown = JSON.parse(request.Input);
    expect(parsed).toEqual({
      target: 'server-b',
      requestedAt: '<aws.scheduler.scheduled-time>',
      requestedBy: 'readiness schedule',
      mode: 'drill',
    });
    expect(only('us-east-1', 'AWS::Scheduler::Schedule')[1].Properties.Target).toMatchObject({
      Arn: 'arn:aws:scheduler:::aws-sdk:sfn:startExecution',
    });
  });

  it('lets the scheduler role start executions of this state machine and do nothing else', () => {
    const [roleId, role] = ofType('us-east-1', 'AWS::IAM::Role').find(([, r]) =>
      JSON.stringify(r.Properties.AssumeRolePolicyDocument).includes('scheduler.amazonaws.com'),
    )!;
    expect(JSON.stringify(role.Properties.AssumeRolePolicyDocument)).toContain('aws:SourceAccount');
    const policies = ofType('us-east-1', 'AWS::IAM::Policy').filter(([, p]) =>
      JSON.stringify(p.Properties.Roles).includes(roleId),
    );
    expect(policies).toHaveLength(1);
    const statements = (policies[0]![1].Properties.PolicyDocument as { Statement: unknown[] }).Statement;
    expect(statements).toEqual([
      {
        Sid: 'StartDrills',
        Effect: 'Allow',
        Action: 'states:StartExecution',
        Resource: { Ref: expect.stringMatching(/^StateMachine/) },
      },
    ]);
  });

  it('alarms per node when Ready drops below 1 or goes missing, to the topic', () => {
    const [, alarm] = only('us-east-1', 'AWS::CloudWatch::Alarm');
    expect(alarm.Properties).toMatchObject({
      Namespace: 'TgwVipFailover',
      MetricName: 'Ready',
      Dimensions: [
        { Name: 'cluster', Value: 'orders-db' },
        { Name: 'node', Value: 'server-a' },
      ],
      Statistic: 'Minimum',
      Period: 1800,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
      AlarmActions: [{ Ref: expect.stringMatching(/^ReadinessTopic/) }],
    });
  });

  it('sends FAILED, TIMED_OUT and ABORTED runs of this state machine to the topic', () => {
    const [, rule] = only('us-east-1', 'AWS::Events::Rule');
    expect(rule.Properties.EventPattern).toEqual({
      source: ['aws.states'],
      'detail-type': ['Step Functions Execution Status Change'],
      detail: {
        status: ['FAILED', 'TIMED_OUT', 'ABORTED'],
        stateMachineArn: [{ Ref: expect.stringMatching(/^StateMachine/) }],
      },
    });
    expect(rule.Properties.Targets).toEqual([
      expect.objectContaining({ Arn: { Ref: expect.stringMatching(/^ReadinessTopic/) } }),
    ]);
  });

  it('has one topic with the email subscription', () => {
    only('us-east-1', 'AWS::SNS::Topic');
    const [, subscription] = only('us-east-1', 'AWS::SNS::Subscription');
    expect(subscription.Properties).toMatchObject({ Protocol: 'email', Endpoint: 'ops@example.com' });
  });

  it('adds none of it without a readiness section', () => {
    const types = new Set(Object.values(withoutReadiness).map((r) => r.Type));
    for (const type of [
      'AWS::Scheduler::Schedule',
      'AWS::CloudWatch::Alarm',
      'AWS::Events::Rule',
      'AWS::SNS::Topic',
    ])
      expect(types.has(type), type).toBe(false);
  });

  it('has no unacknowledged cdk-nag finding', () => {
    expect(synthError).toBeUndefined();
  });
});
