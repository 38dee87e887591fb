/**
 * Local AWS evaluates the EC2 calls of the task role and of a node's role against their policies
 * (iam-simulate, with the resource types of the Service Authorization Reference), through the real SDK.
 * The expected ARNs are written out by hand.
 */
import {
  CreateRouteCommand,
  CreateTransitGatewayRouteCommand,
  DescribeRouteTablesCommand,
  EC2Client,
  ReplaceTransitGatewayRouteCommand,
} from '@aws-sdk/client-ec2';
import { DecodeAuthorizationMessageCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN_ACCESS_KEY, TASK_ROLE_ACCESS_KEY } from '../../local/iam/principals';
import { type LocalAws, startLocalAws } from '../../local/server';
import { loadTopology } from '../../tasks/topology';

const VIP = '172.16.0.1/32';
const topology = await loadTopology('examples/two-region.yaml');
const ACCOUNT = '123456789012';
const TGW_TABLE_A = topology.transitGateways['tgw-a']!.routeTables[0]!;
const VPC_TABLE_A = topology.vpcs['vpc-a']!.routeTables[0]!;
const PEERING = 'tgw-attach-0c1d2e3f4a5b6c7d8';
const ENI_A = topology.nodes['server-a']!.eni;

/** A task role allowed the TGW tables but none of the attachments: the policy before the fix. */
const TABLES_ONLY = {
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Action: ['ec2:CreateTransitGatewayRoute', 'ec2:ReplaceTransitGatewayRoute'],
      Resource: [`arn:aws:ec2:us-east-1:${ACCOUNT}:transit-gateway-route-table/${TGW_TABLE_A}`],
    },
    {
      Effect: 'Allow',
      Action: ['ec2:CreateRoute', 'ec2:ReplaceRoute'],
      Resource: [`arn:aws:ec2:us-east-1:${ACCOUNT}:route-table/${VPC_TABLE_A}`],
    },
    { Effect: 'Allow', Action: ['ec2:Describe*'], Resource: '*' },
  ],
};

let aws: LocalAws;
let task: EC2Client;
let admin: EC2Client;
let node: EC2Client;

async function control(path: string, body: unknown): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${aws.url}${path}`, { method: 'POST', body: JSON.stringify(body) });
  return { status: response.status, body: await response.json() };
}

async function failureOf(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e as { name: string; message: string; $metadata: { httpStatusCode?: number } },
  );
  if (!error) throw new Error('the call succeeded');
  return { code: error.name, message: error.message, status: error.$metadata.httpStatusCode };
}

const replaceTgw = (DryRun?: boolean) =>
  new ReplaceTransitGatewayRouteCommand({
    TransitGatewayRouteTableId: TGW_TABLE_A,
    DestinationCidrBlock: VIP,
    TransitGatewayAttachmentId: PEERING,
    DryRun,
  });

beforeAll(async () => {
  aws = await startLocalAws({ topology, port: 0, sfn: false, active: 'server-a' });
  const client = (accessKeyId: string) =>
    new EC2Client({
      region: 'us-east-1',
      endpoint: aws.url,
      credentials: { accessKeyId, secretAccessKey: 'test' },
      maxAttempts: 1,
    });
  task = client(TASK_ROLE_ACCESS_KEY);
  admin = client(ADMIN_ACCESS_KEY);
  // The key of local AWS's environment is a cluster node's.
  node = client('test');
});
afterAll(async () => {
  task.destroy();
  admin.destroy();
  node.destroy();
  await aws.close();
});
beforeEach(() => aws.iam.update({ deployed: true, enforce: true }));

describe('IAM of the task role in local AWS', () => {
  it('allows the deployed policy a TGW write toward a peering attachment, and its DryRun', async () => {
    await expect(task.send(replaceTgw())).resolves.toBeDefined();
    expect(await failureOf(task.send(replaceTgw(true)))).toEqual({
      code: 'DryRunOperation',
      message: 'Request would have succeeded, but DryRun flag is set.',
      status: 412,
    });
  });

  it('refuses a TGW write whose attachment the policy does not name, with the encoded message EC2 gives', async () => {
    expect((await control('/_local/iam', { policy: TABLES_ONLY })).status).toBe(200);
    const before = aws.world.findRoute('us-east-1', TGW_TABLE_A, VIP);

    for (const dryRun of [undefined, true]) {
      const failure = await failureOf(task.send(replaceTgw(dryRun)));
      expect(failure.code).toBe('UnauthorizedOperation');
      expect(failure.status).toBe(403);
      expect(failure.message).toMatch(
        /^You are not authorized to perform this operation\. Encoded authorization failure message: [A-Za-z0-9_-]+$/,
      );
      const encoded = failure.message.split(': ')[1]!;
      const decoded = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8'));
      expect(decoded).toMatchObject({
        allowed: false,
        explicitDeny: false,
        context: {
          action: 'ec2:ReplaceTransitGatewayRoute',
          resource: `arn:aws:ec2:us-east-1:${ACCOUNT}:transit-gateway-attachment/${PEERING}`,
        },
      });
    }
    expect(aws.world.findRoute('us-east-1', TGW_TABLE_A, VIP)).toEqual(before);
  });

  it('checks only the route table of a VPC route write, not its ENI target', async () => {
    await control('/_local/iam', { policy: TABLES_ONLY });
    const failure = await failureOf(
      task.send(
        new CreateRouteCommand({
          RouteTableId: VPC_TABLE_A,
          DestinationCidrBlock: '172.16.9.9/32',
          NetworkInterfaceId: ENI_A,
          DryRun: true,
        }),
      ),
    );
    expect(failure.code).toBe('DryRunOperation');
  });

  it('refuses a write to a table the policy does not name', async () => {
    await control('/_local/iam', { policy: TABLES_ONLY });
    const other = topology.vpcs['vpc-a']!.routeTables[1]!;
    const failure = await failureOf(
      task.send(
        new CreateRouteCommand({
          RouteTableId: other,
          DestinationCidrBlock: '172.16.9.9/32',
          NetworkInterfaceId: ENI_A,
        }),
      ),
    );
    expect(failure.code).toBe('UnauthorizedOperation');
  });

  it('honours an explicit Deny over an Allow', async () => {
    await aws.iam.update({
      policy: {
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Action: 'ec2:*', Resource: '*' },
          {
            Effect: 'Deny',
            Action: 'ec2:Replace*',
            Resource: `arn:aws:ec2:*:*:transit-gateway-attachment/*`,
          },
        ],
      },
    });
    const failure = await failureOf(task.send(replaceTgw()));
    expect(failure.code).toBe('UnauthorizedOperation');
    const decoded = JSON.parse(Buffer.from(failure.message.split(': ')[1]!, 'base64url').toString('utf8'));
    expect(decoded.explicitDeny).toBe(true);
  });

  it('requires reads on *', async () => {
    await aws.iam.update({ policy: { Version: '2012-10-17', Statement: [] } });
    expect((await failureOf(task.send(new DescribeRouteTablesCommand({})))).code).toBe(
      'UnauthorizedOperation',
    );
  });

  it('decodes the message with sts decode-authorization-message', async () => {
    await control('/_local/iam', { policy: TABLES_ONLY });
    const failure = await failureOf(task.send(replaceTgw()));
    const sts = new STSClient({
      region: 'us-east-1',
      endpoint: aws.url,
      credentials: { accessKeyId: ADMIN_ACCESS_KEY, secretAccessKey: 'test' },
    });
    try {
      const { DecodedMessage } = await sts.send(
        new DecodeAuthorizationMessageCommand({ EncodedMessage: failure.message.split(': ')[1]! }),
      );
      expect(JSON.parse(DecodedMessage!)).toMatchObject({
        allowed: false,
        context: {
          principal: {
            arn: `arn:aws:sts::${ACCOUNT}:assumed-role/vip-failover-orders-db-us-east-1/vip-failover-orders-db-tasks`,
          },
          action: 'ec2:ReplaceTransitGatewayRoute',
        },
      });
    } finally {
      sts.destroy();
    }
  });

  it('leaves an administrator alone; its DryRun answers DryRunOperation', async () => {
    await aws.iam.update({
      policy: { Version: '2012-10-17', Statement: [] },
      node: { Version: '2012-10-17', Statement: [] },
    });
    await expect(admin.send(new DescribeRouteTablesCommand({}))).resolves.toBeDefined();
    const failure = await failureOf(
      admin.send(
        new CreateTransitGatewayRouteCommand({
          TransitGatewayRouteTableId: TGW_TABLE_A,
          DestinationCidrBlock: '172.16.9.9/32',
          TransitGatewayAttachmentId: PEERING,
          DryRun: true,
        }),
      ),
    );
    expect(failure.code).toBe('DryRunOperation');
  });

  it('stops evaluating when told to', async () => {
    await control('/_local/iam', { policy: { Version: '2012-10-17', Statement: [] }, enforce: false });
    await expect(task.send(replaceTgw())).resolves.toBeDefined();
  });

  it('evaluates a condition of the policy', async () => {
    await aws.iam.update({
      policy: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: 'ec2:*',
            Resource: '*',
            Condition: { StringEquals: { 'aws:RequestedRegion': 'eu-west-1' } },
          },
        ],
      },
    });
    expect((await failureOf(task.send(replaceTgw()))).code).toBe('UnauthorizedOperation');
  });

  it('refuses to install a policy IAM cannot evaluate, and keeps the one it had', async () => {
    const response = await control('/_local/iam', {
      policy: {
        Version: '2012-10-17',
        // IAM refuses a Principal in an identity policy (MalformedPolicyDocument on AWS).
        Statement: [{ Effect: 'Allow', Action: 'ec2:*', Resource: '*', Principal: '*' }],
      },
    });
    expect(response.status).toBe(400);
    expect(JSON.stringify(response.body)).toContain('Principal is not allowed in an identity policy');
    expect(aws.iam.current.policy.Statement.length).toBeGreaterThan(0);
  });
});

describe("IAM of a node's role in local AWS", () => {
  it('allows the reads and the direct-run writes of `vipctl policy --node --direct`', async () => {
    await expect(node.send(new DescribeRouteTablesCommand({}))).resolves.toBeDefined();
    expect((await failureOf(node.send(replaceTgw(true)))).code).toBe('DryRunOperation');
  });

  it('refuses a node whose policy is `vipctl policy --node` (no route writes) a route write', async () => {
    const { nodePolicy } = await import('../../workflow/policy');
    await aws.iam.update({ node: nodePolicy(topology, ACCOUNT) });
    const before = aws.world.findRoute('us-east-1', TGW_TABLE_A, VIP);
    const failure = await failureOf(node.send(replaceTgw()));
    expect(failure.code).toBe('UnauthorizedOperation');
    await expect(node.send(new DescribeRouteTablesCommand({}))).resolves.toBeDefined();
    expect(aws.world.findRoute('us-east-1', TGW_TABLE_A, VIP)).toEqual(before);
  });
});
