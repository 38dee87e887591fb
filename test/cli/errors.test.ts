import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { metadataTimeoutMs } from '../../cli/aws/identity';
import { ExitCode } from '../../cli/core/exit-codes';
import { vipctl, worldFor } from './harness';

const sfn = mockClient(SFNClient);
const BAD = fileURLToPath(new URL('./fixtures/bad-topology.yaml', import.meta.url));

beforeEach(() => sfn.reset());

describe('bad input exits 2 with a message that says what and how to fix it', () => {
  it.each([
    {
      what: 'an unknown node',
      argv: ['failover', '--to', 'server-z'],
      message: "unknown node 'server-z' in --to",
      hint: "the topology's nodes are: server-a, server-b",
    },
    {
      what: 'a node name that cannot exist',
      argv: ['plan', '--to', 'not a node!'],
      message: "option '--to <node>' argument 'not a node!' is invalid",
    },
    { what: 'a missing --to', argv: ['failover'], message: "required option '--to <node>' not specified" },
    { what: 'an unknown flag', argv: ['status', '--bogus'], message: "unknown option '--bogus'" },
    { what: 'an unknown command', argv: ['fail-over'], message: "unknown command 'fail-over'" },
    {
      what: 'a --timeout that is not a number',
      argv: ['failover', '--to', 'server-a', '--timeout', 'abc'],
      message: "option '--timeout <seconds>' argument 'abc' is invalid. must be a positive number of seconds",
    },
    {
      what: 'an unknown --format',
      argv: ['status', '--format', 'yaml'],
      message:
        "option '--format <format>' argument 'yaml' is invalid. Allowed choices are table, json, mermaid.",
    },
    {
      what: 'a --limit of 0',
      argv: ['runs', '--limit', '0'],
      message: "option '--limit <n>' argument '0' is invalid. must be a whole number from 1 to 1000",
    },
    {
      what: 'a malformed run id',
      argv: ['show', 'not/a:run'],
      message: "'not/a:run' is not a run id",
      hint: 'pass an execution ARN',
    },
    {
      what: "a run of another cluster's state machine",
      argv: ['rollback', 'arn:aws:states:us-east-1:123456789012:execution:vip-failover-other:x-1', '--yes'],
      message: 'belongs to state machine vip-failover-other, not to this cluster',
    },
    { what: 'show without a run', argv: ['show'], message: 'show needs a run', hint: 'or --last' },
    {
      what: 'both a run and --last',
      argv: ['show', 'x', '--last'],
      message: 'give either a run or --last to show',
    },
    {
      what: 'policy without --node or --lambda',
      argv: ['policy'],
      message: 'policy needs --node, --lambda or --account <key>',
    },
    {
      what: 'policy with both --node and --lambda',
      argv: ['policy', '--node', '--lambda'],
      message: "option '--node' cannot be used with option '--lambda'",
    },
  ])('$what', async ({ argv, message, hint }) => {
    const result = await vipctl(argv, { world: worldFor('server-a') });

    expect(result.code).toBe(ExitCode.Usage);
    expect(result.stderr).toContain(message);
    if (hint) expect(result.stderr).toContain(hint);
    expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace without --debug
  });

  it('a missing topology file, naming the path and the ways to give one', async () => {
    const result = await vipctl(['status'], { config: '/nonexistent/cluster.yaml' });

    expect(result.code).toBe(ExitCode.Usage);
    expect(result.stderr).toContain('topology file /nonexistent/cluster.yaml not found');
    expect(result.stderr).toContain('pass --config <file>, set VIPCTL_CONFIG');
  });

  it('the topology file from VIPCTL_CONFIG, relative to the working directory', async () => {
    const result = await vipctl(['status'], { config: null, env: { VIPCTL_CONFIG: 'nowhere/cluster.yaml' } });

    expect(result.code).toBe(ExitCode.Usage);
    expect(result.stderr).toContain(`${process.cwd()}/nowhere/cluster.yaml not found`);
  });

  it('an invalid topology file, listing every problem', async () => {
    const result = await vipctl(['status'], { config: BAD });

    expect(result.code).toBe(ExitCode.Usage);
    expect(result.stderr).toContain('vpc-missing');
    expect(result.stderr).toContain('fix the topology file');
  });

  it('shows the stack only with --debug', async () => {
    const result = await vipctl(['status', '--debug'], { config: BAD });

    expect(result.code).toBe(ExitCode.Usage);
    expect(result.stderr).toMatch(/\n\s+at /);
  });

  it('--json also puts the error on stdout as JSON', async () => {
    const result = await vipctl(['plan', '--to', 'server-z', '--json'], { world: worldFor('server-a') });

    expect(result.code).toBe(ExitCode.Usage);
    expect(JSON.parse(result.stdout)).toEqual({
      error: {
        message: "unknown node 'server-z' in --to",
        hint: "the topology's nodes are: server-a, server-b",
        exitCode: 2,
      },
    });
  });
});

describe('self', () => {
  let imds: Server;
  let url = '';
  beforeAll(async () => {
    imds = createServer((req, res) => {
      if (req.method === 'PUT' && req.url === '/latest/api/token') return res.end('token-1');
      if (req.headers['x-aws-ec2-metadata-token'] !== 'token-1') return res.writeHead(401).end();
      if (req.url === '/latest/meta-data/instance-id') return res.end('i-0b8d3f5a7c9e2b4d6');
      if (req.url === '/latest/meta-data/placement/region') return res.end('ap-southeast-1');
      return res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => imds.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(imds.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => imds.close(() => resolve())));

  it('resolves to the node whose instance answers the metadata service (IMDSv2)', async () => {
    const result = await vipctl(['plan', '--to', 'self', '--json'], {
      world: worldFor('server-b'),
      env: { AWS_EC2_METADATA_SERVICE_ENDPOINT: url },
    });

    expect(result.code).toBe(ExitCode.Ok);
    expect(JSON.parse(result.stdout)).toMatchObject({ target: 'server-b', converged: true });
  });

  it('outside EC2 says so plainly and exits 2', async () => {
    const result = await vipctl(['check', '--active', 'self'], {
      world: worldFor('server-a'),
      env: { AWS_EC2_METADATA_SERVICE_ENDPOINT: 'http://127.0.0.1:9' },
    });

    expect(result.code).toBe(ExitCode.Usage);
    expect(result.stderr).toContain('this does not look like an EC2 instance');
    expect(result.stderr).toContain('name the node instead');
  });

  it("takes each metadata request's time limit from AWS_METADATA_SERVICE_TIMEOUT (seconds, >= 1), else 1 s", () => {
    expect(metadataTimeoutMs({ AWS_METADATA_SERVICE_TIMEOUT: '5' })).toBe(5000);
    expect(metadataTimeoutMs({})).toBe(1000);
    expect(metadataTimeoutMs({ AWS_METADATA_SERVICE_TIMEOUT: '0.5' })).toBe(1000);
    expect(metadataTimeoutMs({ AWS_METADATA_SERVICE_TIMEOUT: 'soon' })).toBe(1000);
  });

  it('with instance metadata disabled and no endpoint, names the setting', async () => {
    const result = await vipctl(['check', '--active', 'self'], {
      world: worldFor('server-a'),
      env: { AWS_EC2_METADATA_DISABLED: 'true' },
    });

    expect(result.code).toBe(ExitCode.Usage);
    expect(result.stderr).toContain('AWS_EC2_METADATA_DISABLED=true turns it off');
  });
});

describe('vipctl policy', () => {
  it('prints the node policy for the cluster state machines as JSON', async () => {
    const result = await vipctl(['policy', '--node']);

    expect(result.code).toBe(ExitCode.Ok);
    const policy = JSON.parse(result.stdout);
    expect(JSON.stringify(policy)).toContain(
      'arn:aws:states:us-east-1:123456789012:stateMachine:vip-failover-orders-db',
    );
    expect(JSON.stringify(policy)).toContain('states:StartExecution');
  });
});

describe('vipctl policy --account', () => {
  const config = 'examples/multi-account.yaml';

  it("prints the access role's policy and its trust policy, trusting only the task roles", async () => {
    const result = await vipctl(['policy', '--account', 'clients'], { config });

    expect(result.code).toBe(ExitCode.Ok);
    const access = JSON.parse(result.stdout) as {
      role: string;
      policy: { Statement: { Sid: string; Resource: string[] }[] };
      trustPolicy: { Statement: { Principal: { AWS: string[] }; Condition?: unknown }[] };
    };
    expect(access.role).toBe('arn:aws:iam::333333333333:role/vip-failover-orders-db');
    expect(access.policy.Statement[0]?.Resource).toEqual([
      'arn:aws:ec2:us-east-1:333333333333:route-table/rtb-0c1e3a5c7e9b2d4f6',
    ]);
    expect(access.trustPolicy.Statement[0]?.Principal.AWS).toEqual([
      'arn:aws:iam::111111111111:role/vip-failover-orders-db-ap-southeast-1',
      'arn:aws:iam::111111111111:role/vip-failover-orders-db-us-east-1',
    ]);
    expect(access.trustPolicy.Statement[0]?.Condition).toEqual({
      StringEquals: { 'sts:ExternalId': 'orders-db-clients' },
    });
  });

  it('refuses an account the topology does not list (exit 2)', async () => {
    const result = await vipctl(['policy', '--account', 'nobody'], { config });

    expect(result.code).toBe(ExitCode.Usage);
    expect(result.stderr).toContain('no account nobody under accounts');
    expect(result.stderr).toContain('known: network, clients');
  });
});

describe('vipctl policy --node --direct', () => {
  it("adds the task role's VIP-route write statements, scoped to the same tables, to the node policy", async () => {
    const result = await vipctl(['policy', '--node', '--direct']);

    expect(result.code).toBe(ExitCode.Ok);
    const policy = JSON.parse(result.stdout) as {
      Statement: { Sid: string; Action: string[]; Resource: string[] }[];
    };
    const task = JSON.parse((await vipctl(['policy', '--lambda'])).stdout) as typeof policy;
    const writes = (p: typeof policy) =>
      p.Statement.filter((s) => s.Action.some((a) => /Route$/.test(a) && !a.includes('Describe')));
    expect(writes(policy).map((s) => [s.Action, s.Resource])).toEqual(
      writes(task).map((s) => [s.Action, s.Resource]),
    );
    expect(writes(policy).every((s) => s.Sid.startsWith('Direct'))).toBe(true);
    expect(JSON.stringify(policy)).toContain(
      'arn:aws:ec2:ap-southeast-1:123456789012:route-table/rtb-0b1d3f5a7c9e2b4d6',
    );
    expect(JSON.stringify(policy)).not.toContain('Delete');
    expect(JSON.stringify(policy)).toContain('states:StartExecution');
  });

  it('refuses --direct without --node (exit 2)', async () => {
    const result = await vipctl(['policy', '--lambda', '--direct']);

    expect(result.code).toBe(ExitCode.Usage);
    expect(result.stderr).toContain('--direct goes with --node');
  });
});

describe('help', () => {
  it('lists every command and exits 0', async () => {
    const result = await vipctl(['--help']);

    expect(result.code).toBe(ExitCode.Ok);
    for (const command of ['failover', 'plan', 'status', 'check', 'runs', 'show', 'rollback', 'policy']) {
      expect(result.stdout).toContain(command);
    }
  });
});
