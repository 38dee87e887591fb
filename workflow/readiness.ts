/**
 * Scheduled readiness of one region's stack (DESIGN section 9): an EventBridge Scheduler schedule per
 * node of the region that starts a drill to it, a CloudWatch alarm per node on the `Ready` metric the
 * task function emits, an EventBridge rule on the state machine's failed runs, and one SNS topic.
 */
import { Duration, Stack, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Rule } from 'aws-cdk-lib/aws-events';
import { SnsTopic } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { CfnSchedule } from 'aws-cdk-lib/aws-scheduler';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { METRIC_NAMESPACE, MetricName } from '../tasks/metrics';
import type { Topology } from '../tasks/topology';

export interface ReadinessProps {
  readonly topology: Topology;
  readonly stateMachine: IStateMachine;
  /** The region of the stack: its nodes are drilled here. */
  readonly region: string;
  /** Minutes between two drills of a node. */
  readonly everyMinutes: number;
  /**
   * Email address subscribed to the topic.
   * @default - no subscription
   */
  readonly notify?: string;
}

/** The schedules' universal target: Step Functions StartExecution, so the drill's execution name can be set. */
const START_EXECUTION_TARGET = 'arn:aws:scheduler:::aws-sdk:sfn:startExecution';

export class Readiness extends Construct {
  readonly topic: Topic;
  readonly schedulerRole: Role;
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: ReadinessProps) {
    super(scope, id);
    const { topology, stateMachine, region } = props;
    const nodes = Object.entries(topology.nodes)
      .filter(([, node]) => topology.vpcs[node.vpc]?.region === region)
      .map(([name]) => name);

    this.topic = new Topic(this, 'Topic', {
      displayName: `VIP failover of ${topology.cluster}: readiness and failed runs`,
      enforceSSL: true,
    });
    if (props.notify) this.topic.addSubscription(new EmailSubscription(props.notify));

    // Starts drills of this state machine and nothing else (no other action, no other resource).
    this.schedulerRole = new Role(this, 'SchedulerRole', {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
      description: `Starts the scheduled drills of cluster ${topology.cluster}`,
    });
    this.schedulerRole.addToPolicy(
      new PolicyStatement({
        sid: 'StartDrills',
        actions: ['states:StartExecution'],
        resources: [stateMachine.stateMachineArn],
      }),
    );

    for (const node of nodes) {
      new CfnSchedule(this, `Drill-${node}`, {
        description: `Drill of a failover to ${node} (cluster ${topology.cluster})`,
        scheduleExpression: `rate(${props.everyMinutes} minutes)`,
        flexibleTimeWindow: { mode: 'OFF' },
        state: 'ENABLED',
        target: {
          arn: START_EXECUTION_TARGET,
          roleArn: this.schedulerRole.roleArn,
          // Context attributes name the drill and date its request:
          // https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-schedule-context-attributes.html
          input: Stack.of(this).toJsonString({
            StateMachineArn: stateMachine.stateMachineArn,
            Name: `drill-${node}-<aws.scheduler.execution-id>`,
            Input: JSON.stringify(drillInput(node)),
          }),
          retryPolicy: { maximumRetryAttempts: 2, maximumEventAgeInSeconds: 300 },
        },
      });

      const ready = new Metric({
        namespace: METRIC_NAMESPACE,
        metricName: MetricName.Ready,
        dimensionsMap: { cluster: topology.cluster, node },
        statistic: 'Minimum',
        period: Duration.minutes(props.everyMinutes),
      });
      const alarm = new Alarm(this, `NotReady-${node}`, {
        alarmDescription: `A drill of a failover to ${node} (cluster ${topology.cluster}) was NOT READY, or no drill reported: vipctl drill --to ${node}`,
        metric: ready,
        threshold: 1,
        comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: 1,
        // No drill reported within the period: readiness is unknown, which is not ready.
        treatMissingData: TreatMissingData.BREACHING,
      });
      alarm.addAlarmAction(new SnsAction(this.topic));
      this.alarms.push(alarm);
    }

    new Rule(this, 'FailedRuns', {
      description: `Failed, timed-out and aborted runs of ${stateMachine.stateMachineArn}`,
      // https://docs.aws.amazon.com/step-functions/latest/dg/eventbridge-integration.html
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: {
          status: ['FAILED', 'TIMED_OUT', 'ABORTED'],
          stateMachineArn: [stateMachine.stateMachineArn],
        },
      },
      targets: [new SnsTopic(this.topic)],
    });

    Validations.of(this.topic).acknowledge({
      id: 'AwsSolutions::AwsSolutions-SNS2',
      reason:
        'The topic carries alarm states and run ARNs, nothing secret; the AWS managed SNS key cannot be used by EventBridge and CloudWatch alarms, and a customer managed key would add a key per region to manage.',
    });
  }
}

/** The execution input of a scheduled drill; `requestedAt` is the schedule's own time. */
export function drillInput(node: string): Record<string, string> {
  return {
    target: node,
    requestedAt: '<aws.scheduler.scheduled-time>',
    requestedBy: 'readiness schedule',
    mode: 'drill',
  };
}
