/**
 * One region's deployment of a cluster's failover workflow: the task function, its role derived from
 * the topology, the state machine `vip-failover-<cluster>`, and their log groups (DESIGN sections 5, 8).
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  Aws,
  type CfnElement,
  Duration,
  RemovalPolicy,
  Stack,
  type StackProps,
  Token,
  Validations,
} from 'aws-cdk-lib';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, type IFunction, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct, IConstruct } from 'constructs';
import { TopologyError } from '../tasks/errors';
import { stateMachineName } from '../tasks/execution-name';
import { regionsOf } from '../tasks/routing';
import { RUN_BUDGET_SECONDS, runTimeouts } from '../tasks/time-budget';
import {
  Readiness as ReadinessSchema,
  readinessMinutes,
  Topology,
  type Readiness as TopologyReadiness,
  validateTopology,
} from '../tasks/topology';
import { addAccessStacks } from './access-stack';
import { lambdaPolicy, stackName, taskRoleName } from './policy';
import { Readiness } from './readiness';
import { failoverChain } from './state-machine';

/** The task handler's entry point (one function serves plan, apply and verify). */
export const TASKS_ENTRY = fileURLToPath(new URL('../tasks/handlers/main.ts', import.meta.url));

/** `vip-failover-<cluster>-tasks`: deterministic, so local AWS can bind the ASL's Lambda ARN to a handler. */
export const tasksFunctionName = (cluster: string): string => `vip-failover-${cluster}-tasks`;

/** `VipFailover-<cluster>`: the CloudFormation stack name in every region (the node policy names it too). */
export { stackName };

const MIN_RETRY_BUDGET = Duration.seconds(1);
const MIN_RUN_BUDGET = Duration.seconds(30);
// Lambda's maximum timeout is 900 s: https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
const MAX_RUN_BUDGET = Duration.seconds(910);

export interface VipFailoverStackProps extends StackProps {
  /** The cluster's validated topology. The state machine embeds it; the task role is derived from it. */
  readonly topology: Topology;

  /**
   * How long one EC2 call may spend retrying throttled or failing requests before the task reports the
   * region unreachable. Passed to the function as `RETRY_BUDGET_MS`. At most half the function timeout
   * (`runBudget` - 10 s), so that a task has time for a read and a write wave.
   * @default Duration.seconds(20)
   */
  readonly retryBudget?: Duration;

  /**
   * The run budget: the state machine's timeout, from which the function timeout (10 s less) and each
   * task's TimeoutSeconds (5 s less) are derived (tasks/time-budget.ts). Keep it below the wait of
   * whoever starts the runs: `vipctl failover --timeout` (default 120 s) and the cluster scripts' waits
   * (150 s), or a run may outlive its caller.
   * @default Duration.seconds(110)
   */
  readonly runBudget?: Duration;

  /**
   * Reserved concurrency of the task function. Reserving guarantees that other functions of the
   * account cannot take the concurrency a failover needs, but it also caps the function and takes
   * that many from the account's unreserved pool:
   * https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html
   * Throttled invocations are retried by every task either way (`Lambda.TooManyRequestsException`).
   * @default - none: the function uses the account's unreserved concurrency
   */
  readonly reservedConcurrency?: number;

  /**
   * Retention of the function's and the state machine's log groups.
   * @default RetentionDays.ONE_YEAR
   */
  readonly logRetention?: RetentionDays;

  /**
   * What happens to the log groups when the stack is deleted. The groups have names that
   * CloudFormation generates, so a kept group never blocks the next deployment. The default keeps
   * them (the audit trail) on delete, and removes them when the create that made them rolls back
   * (CloudFormation's RetainExceptOnCreate):
   * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-deletionpolicy.html
   * @default RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE
   */
  readonly logRemovalPolicy?: RemovalPolicy;

  /**
   * Scheduled drills, alarms and notifications (DESIGN section 9): `{ every: '30m', notify?: email }`.
   * @default - the topology's `readiness` section; none when it has none
   */
  readonly readiness?: TopologyReadiness;

  /**
   * How long the run bucket keeps a run's records: the plan, step results and output of runs too
   * large for the state data (tasks/state-size.ts), and the list of writes of a failed step.
   * `vipctl show` and `rollback` of a run need its records.
   * @default Duration.days(365)
   */
  readonly recordRetention?: Duration;

  /**
   * The task handler's source file.
   * @default tasks/handlers/main.ts
   */
  readonly entry?: string;
}

/**
 * The failover workflow of one cluster in one region. Deploy one per region of the topology
 * (see `workflow/app.ts`): every stack can fail the VIP over to any node, because its function
 * writes the route tables of all regions.
 */
export class VipFailoverStack extends Stack {
  readonly tasks: IFunction;
  readonly stateMachine: StateMachine;
  /** Scheduled drills and alarms, when enabled (props or topology). */
  readonly readiness?: Readiness;
  /** The run bucket: records of runs too large for Step Functions' state data. */
  readonly runRecords: Bucket;

  constructor(scope: Construct, id: string, props: VipFailoverStackProps) {
    validateProps(props);
    super(scope, id, { stackName: stackName(props.topology.cluster), ...props });
    const { topology } = props;
    const account = topology.account ?? this.account;
    const retryBudget = props.retryBudget ?? Duration.seconds(20);
    const retention = props.logRetention ?? RetentionDays.ONE_YEAR;
    const removalPolicy = props.logRemovalPolicy ?? RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE;
    const timeouts = runTimeouts((props.runBudget ?? Duration.seconds(RUN_BUDGET_SECONDS)).toSeconds());
    const functionName = tasksFunctionName(topology.cluster);

    // No fixed log group names: a group kept after `cdk destroy` (or after a rolled-back first create)
    // would stop the next deployment with "already exists". The function logs to its group through its
    // logging config, so the name does not matter to it.
    const functionLogs = new LogGroup(this, 'TasksLogs', {
      retention,
      removalPolicy,
    });
    const role = new Role(this, 'TasksRole', {
      // Other accounts' access roles trust this role by ARN, so its name is fixed when there are any.
      ...(topology.accounts ? { roleName: taskRoleName(topology.cluster, this.region) } : {}),
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Writes the VIP routes of cluster ${topology.cluster}'s route tables`,
    });
    for (const statement of lambdaPolicy(topology, account, { partition: Aws.PARTITION }).Statement) {
      role.addToPolicy(
        new PolicyStatement({
          sid: statement.Sid,
          effect: Effect.ALLOW,
          actions: [...statement.Action],
          resources: [...statement.Resource],
        }),
      );
    }
    // Step Functions state data is limited to 256 KiB; large runs keep their records here
    // (tasks/run-records.ts). Names are generated, as for the log groups, and the records are kept on
    // delete (the audit trail) but removed when the create that made them rolls back.
    this.runRecords = new Bucket(this, 'RunRecords', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      lifecycleRules: [
        {
          id: 'ExpireRunRecords',
          prefix: 'runs/',
          expiration: props.recordRetention ?? Duration.days(365),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    });
    role.addToPolicy(
      new PolicyStatement({
        sid: 'RunRecords',
        actions: ['s3:PutObject', 's3:GetObject'],
        resources: [this.runRecords.arnForObjects('runs/*')],
      }),
    );
    role.addToPolicy(
      new PolicyStatement({
        sid: 'WriteOwnLogs',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [functionLogs.logGroupArn],
      }),
    );

    const entry = props.entry ?? TASKS_ENTRY;
    // The package root holds the lock file; naming it keeps synthesis independent of the working
    // directory (NodejsFunction otherwise searches upwards from process.cwd()).
    const projectRoot = resolve(dirname(entry), '..', '..');
    const tasks = new NodejsFunction(this, 'Tasks', {
      functionName,
      description: `Plan, apply and verify tasks of the VIP failover of cluster ${topology.cluster}`,
      entry,
      projectRoot,
      depsLockFilePath: join(projectRoot, 'package-lock.json'),
      handler: 'handler',
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: 512,
      // Derived from the run budget; the update tasks stop starting waves before it runs out, so a
      // slow step reports what it wrote instead of ending in Sandbox.Timedout.
      timeout: Duration.seconds(timeouts.functionSeconds),
      environment: {
        RETRY_BUDGET_MS: String(retryBudget.toMilliseconds()),
        RUN_BUDGET_MS: String(timeouts.runSeconds * 1000),
        RUN_BUCKET: this.runRecords.bucketName,
      },
      ...(props.reservedConcurrency !== undefined
        ? { reservedConcurrentExecutions: props.reservedConcurrency }
        : {}),
      tracing: Tracing.ACTIVE,
      logGroup: functionLogs,
      role,
      bundling: {
        minify: true,
        target: 'node22',
        format: OutputFormat.CJS,
        sourceMap: false,
        // Bundle the AWS SDK too: the function runs the client versions that the tests ran, not
        // whatever the Lambda runtime ships. From the packages' ES module builds, so that esbuild
        // drops the commands and schemas the tasks never call: a smaller bundle, a shorter cold start
        // (bench/bundle.ts measures both).
        mainFields: ['module', 'main'],
        externalModules: [],
      },
    });
    this.tasks = tasks;

    // A generated name, for the same reason as the function's group. (The `/aws/vendedlogs/` prefix
    // that https://docs.aws.amazon.com/step-functions/latest/dg/bp-cwl.html recommends only keeps the
    // CloudWatch Logs resource policy small; it cannot be combined with a generated name.)
    const machineLogs = new LogGroup(this, 'StateMachineLogs', {
      retention,
      removalPolicy,
    });
    this.stateMachine = new StateMachine(this, 'StateMachine', {
      stateMachineName: stateMachineName(topology.cluster),
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromChainable(
        failoverChain(this, { tasks, topology, taskTimeout: Duration.seconds(timeouts.taskSeconds) }),
      ),
      timeout: Duration.seconds(timeouts.runSeconds),
      logs: { destination: machineLogs, level: LogLevel.ALL, includeExecutionData: true },
      tracingEnabled: true,
    });

    const readiness = props.readiness ?? topology.readiness;
    if (readiness) {
      const { every, notify } = ReadinessSchema.parse(readiness);
      this.readiness = new Readiness(this, 'Readiness', {
        topology,
        stateMachine: this.stateMachine,
        region: props.env?.region ?? this.region,
        everyMinutes: readinessMinutes(every),
        ...(notify ? { notify } : {}),
      });
    }

    this.acknowledgeFindings(role, functionLogs);
  }

  /** `<LogicalId.Arn>` as cdk-nag names a GetAtt inside a finding. */
  private arnRef(construct: IConstruct): string {
    return `<${this.getLogicalId(construct.node.defaultChild as CfnElement)}.Arn>`;
  }

  /** The wildcards AWS requires, each with the reason it cannot be narrowed. */
  private acknowledgeFindings(tasksRole: Role, functionLogs: LogGroup): void {
    Validations.of(tasksRole).acknowledge(
      {
        id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
        reason:
          'EC2 Describe*/Search* actions and X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions; every write is scoped to the topology route table ARNs.',
      },
      {
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::${this.arnRef(functionLogs)}:*]`,
        reason: 'Log streams of the function’s own log group only.',
      },
      {
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::${this.arnRef(this.runRecords)}/runs/*]`,
        reason:
          'Run records of this stack’s own run bucket only (one object per run and step, named at run time).',
      },
    );
    Validations.of(this.runRecords).acknowledge({
      id: 'AwsSolutions::AwsSolutions-S1',
      reason:
        'The run bucket is written only by the task function; CloudTrail data events, not a second log bucket (which would need its own logging), are the way to audit access to it.',
    });
    Validations.of(this.stateMachine).acknowledge(
      {
        id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
        reason:
          'CloudWatch Logs delivery and X-Ray actions used by Step Functions logging and tracing support no resource-level permissions.',
      },
      {
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::${this.arnRef(this.tasks)}:*]`,
        reason: 'Invokes versions and aliases of the workflow’s own task function only.',
      },
    );
  }
}

function validateProps(props: VipFailoverStackProps): void {
  const { topology, env } = props;
  const source = `topology of VipFailoverStack ${topology.cluster}`;
  const schema = Topology.safeParse(topology);
  if (!schema.success) {
    throw new TopologyError(
      source,
      schema.error.issues.map((issue) => ({
        path: issue.path.map(String).join('.'),
        message: issue.message,
      })),
    );
  }
  const problems = validateTopology(topology);
  if (problems.length > 0) throw new TopologyError(source, problems);
  const region = env?.region;
  if (region === undefined || Token.isUnresolved(region)) {
    throw new Error(
      `VipFailoverStack for cluster ${topology.cluster}: set env.region to one of the topology's regions (${regionsOf(topology).join(', ')}); the stack cannot be environment-agnostic`,
    );
  }
  if (!regionsOf(topology).includes(region)) {
    throw new Error(
      `VipFailoverStack for cluster ${topology.cluster}: region ${region} is not a region of the topology (${regionsOf(topology).join(', ')})`,
    );
  }
  const account = env?.account;
  if (topology.account && account && !Token.isUnresolved(account) && account !== topology.account) {
    throw new Error(
      `VipFailoverStack for cluster ${topology.cluster}: env.account ${account} differs from the topology's account ${topology.account}; deploy into the account the topology names`,
    );
  }
  const runBudget = props.runBudget ?? Duration.seconds(RUN_BUDGET_SECONDS);
  const runSeconds = runBudget.toSeconds({ integral: false });
  if (
    !Number.isInteger(runSeconds) ||
    runSeconds < MIN_RUN_BUDGET.toSeconds() ||
    runSeconds > MAX_RUN_BUDGET.toSeconds()
  ) {
    throw new Error(
      `VipFailoverStack for cluster ${topology.cluster}: runBudget must be a whole number of seconds between 30 and 910 (it was ${runBudget.toHumanString()}), so that the function timeout (10 s less) stays within Lambda's 15 minutes; keep it below vipctl --timeout and the cluster scripts' waits`,
    );
  }
  const budget = props.retryBudget;
  const functionSeconds = runTimeouts(runSeconds).functionSeconds;
  if (
    budget &&
    (budget.toMilliseconds() < MIN_RETRY_BUDGET.toMilliseconds() ||
      budget.toMilliseconds() > (functionSeconds * 1000) / 2)
  ) {
    throw new Error(
      `VipFailoverStack for cluster ${topology.cluster}: retryBudget must be between 1 second and half the function timeout, ${functionSeconds / 2} seconds (it was ${budget.toHumanString()}), so that a task has time for a read and a write wave; lower it or raise runBudget`,
    );
  }
  const reserved = props.reservedConcurrency;
  if (reserved !== undefined && (!Number.isInteger(reserved) || reserved < 1)) {
    throw new Error(
      `VipFailoverStack for cluster ${topology.cluster}: reservedConcurrency must be a positive whole number (it was ${reserved}); leave it unset to use the account's unreserved concurrency`,
    );
  }
}

export interface FailoverStacksOptions extends Omit<VipFailoverStackProps, 'topology' | 'env' | 'stackName'> {
  /**
   * The account to deploy into when the topology names none.
   * @default - the topology's account, else environment-agnostic
   */
  readonly account?: string;
}

/**
 * Adds one {@link VipFailoverStack} per region of the topology to `scope`, with construct ids
 * `VipFailover-<cluster>-<region>` (all stacks share the CloudFormation name `VipFailover-<cluster>`).
 */
export function addFailoverStacks(
  scope: Construct,
  topology: Topology,
  options: FailoverStacksOptions = {},
): VipFailoverStack[] {
  const { account: fallbackAccount, ...props } = options;
  const account = topology.account ?? fallbackAccount;
  const stacks = regionsOf(topology).map(
    (region) =>
      new VipFailoverStack(scope, `${stackName(topology.cluster)}-${region}`, {
        ...props,
        topology,
        env: { region, account },
      }),
  );
  // Besides the regions' stacks, one access stack per other account (deployed after them: its trust
  // policy names their task roles, which IAM requires to exist).
  addAccessStacks(scope, topology, account, regionsOf(topology)[0] ?? 'us-east-1');
  return stacks;
}
