/**
 * Direct runs (failover --direct, --direct-when-unavailable) in-process against local AWS with the
 * real SDK: Step Functions down per service, EC2 answering. Routes are judged against hand-written
 * expectations (test/fixtures/two-region-routes.ts), never against the run's own trace.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CliDeps } from '../../cli/core/context';
import { ExitCode } from '../../cli/core/exit-codes';
import { run } from '../../cli/program';
import type { DirectRun } from '../../cli/runs/journal';
import { batchesOf, recordMessages } from '../../cli/runs/run-log';
import { localEnvironment } from '../../local/client-env';
import { ADMIN_CREDENTIALS } from '../../local/iam/principals';
import { localTasksLogGroup } from '../../local/logs/service';
import { type LocalAws, startLocalAws } from '../../local/server';
import { executionName, stateMachineArn } from '../../tasks/execution-name';
import { loadTopology, type Topology } from '../../tasks/topology';
import { expectedTargets, VIP, vipTargets } from '../fixtures/two-region-routes';

const CONFIG = 'examples/two-region.yaml';
const REGIONS = ['us-east-1', 'ap-southeast-1'];

let topology: Topology;
let aws: LocalAws;
let journal: string;

beforeAll(async () => {
  topology = await loadTopology(CONFIG);
  aws = await startLocalAws({ topology, port: 0, active: 'server-a', sfn: { retryIntervalScale: 0.01 } });
});
afterAll(async () => {
  await aws?.close();
});
beforeEach(async () => {
  journal = await mkdtemp(join(tmpdir(), 'vipctl-journal-'));
});
afterEach(async () => {
  for (const region of REGIONS) {
    aws.models.setOutage(region, false);
    aws.models.setOutage(region, false, 'states');
  }
  aws.models.clearFaults();
  await fetch(`${aws.url}/_local/reset`, { method: 'POST' });
  await rm(journal, { recursive: true, force: true });
});

interface Result {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function vipctl(argv: readonly string[], deps: Partial<CliDeps> = {}): Promise<Result> {
  let stdout = '';
  let stderr = '';
  const code = await run(
    ['--config', CONFIG, '--endpoint-url', aws.url, '--journal', journal, ...argv],
    {
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { write: (s: string) => (stderr += s) },
      isTTY: false,
      env: { ...localEnvironment(aws.url), AWS_REGION: 'us-east-1' },
      cwd: process.cwd(),
    },
    { requestedBy: 'test', ...deps },
  );
  return { code, stdout, stderr };
}

const stepFunctionsDown = () => {
  for (const region of REGIONS) aws.models.setOutage(region, true, 'states');
};
const stepFunctionsUp = () => {
  for (const region of REGIONS) aws.models.setOutage(region, false, 'states');
};

/** The messages of a log stream, read back through the CloudWatch Logs API of local AWS, as an administrator. */
async function logEvents(region: string, stream: string): Promise<string[]> {
  const client = new CloudWatchLogsClient({
    region,
    endpoint: aws.url,
    credentials: ADMIN_CREDENTIALS,
  });
  try {
    const out = await client.send(
      new GetLogEventsCommand({
        logGroupName: localTasksLogGroup('orders-db'),
        logStreamName: stream,
        startFromHead: true,
      }),
    );
    return (out.events ?? []).map((e) => e.message ?? '');
  } finally {
    client.destroy();
  }
}

async function journalFiles(): Promise<string[]> {
  return (await readdir(journal)).sort();
}

/** A normal failover through local Step Functions, to the end. */
async function normalFailover(target: string): Promise<void> {
  const region = target === 'server-a' ? 'us-east-1' : 'ap-southeast-1';
  const client = new SFNClient({
    region,
    endpoint: aws.url,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  try {
    const requestedAt = new Date().toISOString();
    const { executionArn } = await client.send(
      new StartExecutionCommand({
        stateMachineArn: stateMachineArn(topology.cluster, region, aws.account),
        name: executionName(target, requestedAt),
        input: JSON.stringify({ target, requestedAt }),
      }),
    );
    for (;;) {
      const d = await client.send(new DescribeExecutionCommand({ executionArn }));
      if (d.status !== 'RUNNING') {
        expect(d.status, d.cause).toBe('SUCCEEDED');
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    client.destroy();
  }
}

describe('failover --direct-when-unavailable', () => {
  it('runs the failover from this node when Step Functions is down in every region, and converges', async () => {
    stepFunctionsDown();

    const result = await vipctl(['failover', '--to', 'server-b', '--direct-when-unavailable']);

    expect(result.code, result.stdout + result.stderr).toBe(ExitCode.Ok);
    expect(vipTargets(aws)).toEqual(expectedTargets('server-b'));
    expect(result.stderr).toContain('running it directly from this node');
    for (const step of ['Plan', 'UpdateLocalVpcRoutes', 'UpdateTgwRouteTables', 'UpdateRemoteVpcRoutes']) {
      expect(result.stdout).toMatch(new RegExp(`^${step}\\s`, 'm'));
    }
    expect(result.stdout).toMatch(/^VerifyReachability\s+reachable \(SUCCEEDED\)/m);
    expect(result.stdout).toContain('SUCCEEDED');
    expect(result.stdout).toContain('VIP routes lead to server-b (6 routes changed)');
    const files = await journalFiles();
    expect(files).toEqual([expect.stringMatching(/^direct-server-b-\d{8}T\d{9}\.json$/)]);
    const record = JSON.parse(await readFile(join(journal, files[0]!), 'utf8'));
    expect(record).toMatchObject({ kind: 'direct', status: 'SUCCEEDED', cluster: 'orders-db' });
    expect(record.output.status).toBe('SUCCEEDED');
    expect(record.output.snapshot).toHaveLength(6);
    expect(Object.keys(record.output.timings)).toEqual(
      expect.arrayContaining(['plan', 'local-vpc', 'tgw', 'remote-vpc', 'verify']),
    );
    // The snapshot is the world before the run: every route led to server-a.
    const before = expectedTargets('server-a');
    for (const route of record.output.snapshot) expect(route.target).toBe(before[route.table]);
    // The same record, in a stream named after the run in the task log group of the target's region.
    expect(result.stdout).toContain(`and in CloudWatch Logs: ${localTasksLogGroup('orders-db')}`);
    const logged = await logEvents('ap-southeast-1', record.name);
    expect(JSON.parse(logged.join(''))).toEqual(record);
  });

  it('starts a normal run when Step Functions answers, and records no direct run', async () => {
    const result = await vipctl(['failover', '--to', 'server-b', '--direct-when-unavailable']);

    expect(result.code, result.stdout + result.stderr).toBe(ExitCode.Ok);
    expect(result.stdout).toMatch(/started server-b-\d{8}T\d{9} in ap-southeast-1/);
    expect(vipTargets(aws)).toEqual(expectedTargets('server-b'));
    await expect(readdir(journal)).resolves.toEqual([]);
  });

  it('exits 4 and writes nothing when EC2 is down too', async () => {
    for (const region of REGIONS) aws.models.setOutage(region, true);
    const before = vipTargets(aws);

    const result = await vipctl(['failover', '--to', 'server-b', '--direct-when-unavailable', '--json']);

    expect(result.code, result.stdout + result.stderr).toBe(ExitCode.Unreachable);
    expect(aws.models.stats().writes).toBe(0);
    expect(vipTargets(aws)).toEqual(before);
    expect(JSON.parse(result.stdout)).toMatchObject({
      direct: true,
      status: 'FAILED',
      exitCode: ExitCode.Unreachable,
      failure: { step: 'Plan', error: 'RegionUnreachable' },
    });
  });
});

describe('failover --direct', () => {
  it('names the missing permission and writes nothing when the node may not write routes', async () => {
    stepFunctionsDown();
    aws.models.addFault({ action: 'ReplaceRoute', code: 'UnauthorizedOperation' });

    const result = await vipctl(['failover', '--to', 'server-b', '--direct']);

    expect(result.code).toBe(ExitCode.Failed);
    expect(result.stdout).toContain('FAILED');
    expect(result.stdout).toContain('at UpdateLocalVpcRoutes: RouteUpdateFailed');
    expect(result.stdout).toContain(
      'ec2:ReplaceRoute on arn:aws:ec2:ap-southeast-1:123456789012:route-table/rtb-0b1d3f5a7c9e2b4d6',
    );
    expect(result.stdout).toContain('vipctl policy --node --direct');
    expect(aws.models.stats().writes).toBe(0);
    expect(vipTargets(aws)).toEqual(expectedTargets('server-a'));
  });

  it('refuses --no-wait before doing anything', async () => {
    const result = await vipctl(['failover', '--to', 'server-b', '--direct', '--no-wait']);

    expect(result.code).toBe(ExitCode.Usage);
    expect(result.stderr).toContain('--no-wait does not go with --direct');
    expect(aws.models.stats().writes).toBe(0);
  });

  it('goes on without a journal when the journal cannot be written, and says so', async () => {
    const blocked = join(journal, 'file');
    await writeFile(blocked, 'not a directory');
    stepFunctionsDown();

    const result = await vipctl([
      '--journal',
      join(blocked, 'runs'),
      'failover',
      '--to',
      'server-b',
      '--direct',
    ]);

    expect(result.code, result.stdout + result.stderr).toBe(ExitCode.Ok);
    expect(result.stderr).toContain('could not be recorded');
    expect(vipTargets(aws)).toEqual(expectedTargets('server-b'));
  });
});

describe('drill --direct', () => {
  it('proves from the node, with Step Functions down, that a direct failover would work, writing nothing', async () => {
    stepFunctionsDown();
    const before = vipTargets(aws);

    const result = await vipctl(['drill', '--to', 'server-b', '--direct', '--json']);

    expect(result.code, result.stdout + result.stderr).toBe(ExitCode.Ok);
    expect(JSON.parse(result.stdout)).toMatchObject({
      ready: true,
      drills: [{ target: 'server-b', status: 'READY' }],
    });
    expect(aws.models.stats().writes).toBe(0);
    expect(vipTargets(aws)).toEqual(before);
    await expect(readdir(journal)).resolves.toEqual([]);
  });

  it('is NOT READY, naming the refused write, when the node may not write TGW routes', async () => {
    stepFunctionsDown();
    aws.models.addFault({ action: 'ReplaceTransitGatewayRoute', code: 'UnauthorizedOperation' });

    const result = await vipctl(['drill', '--to', 'server-b', '--direct', '--json']);

    expect(result.code).toBe(ExitCode.Failed);
    const report = JSON.parse(result.stdout);
    expect(report.drills[0]).toMatchObject({ status: 'NOT_READY', error: 'NotReady' });
    expect(report.drills[0].reasons.join('\n')).toMatch(
      /ReplaceTransitGatewayRoute[\s\S]*UnauthorizedOperation/,
    );
    expect(aws.models.stats().writes).toBe(0);
  });
});

describe('a direct run racing a newer normal run', () => {
  for (const step of ['UpdateLocalVpcRoutes', 'UpdateTgwRouteTables', 'UpdateRemoteVpcRoutes']) {
    it(`stops as Superseded when the newer run to the other node ends before ${step}`, async () => {
      stepFunctionsDown();
      const beforeDirectStep = async (name: string) => {
        if (name !== step) return;
        // Step Functions comes back and a newer failover to server-a runs to its end.
        stepFunctionsUp();
        await normalFailover('server-a');
      };

      const result = await vipctl(['failover', '--to', 'server-b', '--direct-when-unavailable'], {
        beforeDirectStep,
      });

      expect(result.code).toBe(ExitCode.Failed);
      expect(result.stdout).toContain(`at ${step}: Superseded`);
      expect(vipTargets(aws)).toEqual(expectedTargets('server-a'));
    });
  }
});

describe('the snapshot guard of a direct run', () => {
  it('stops as Superseded, Step Functions still down, when another writer changed a VIP route', async () => {
    stepFunctionsDown();
    const drifted = { region: 'us-east-1', table: 'rtb-0a1c3e5f7b9d2a4c6', target: 'tgw-0a9b8c7d6e5f4a3b2' };
    const beforeDirectStep = async (name: string) => {
      // Another node's writer (a direct run of its own) moves a route after this run planned.
      if (name === 'UpdateTgwRouteTables')
        aws.world.setRoute(drifted.region, drifted.table, VIP, drifted.target);
    };

    const result = await vipctl(['failover', '--to', 'server-b', '--direct'], { beforeDirectStep });

    expect(result.code).toBe(ExitCode.Failed);
    expect(result.stdout).toContain('at UpdateTgwRouteTables: Superseded');
    expect(result.stdout).toContain(
      'rtb-0a1c3e5f7b9d2a4c6 (us-east-1) 172.16.0.1/32: eni-0a1f3c5e7b9d2f4a6 -> tgw-0a9b8c7d6e5f4a3b2',
    );
    // Only the first step was written; the TGW and remote steps were not.
    const now = vipTargets(aws);
    expect(now['rtb-0b1d3f5a7c9e2b4d6']).toBe('eni-0b2e4a6c8f1d3b5e7');
    expect(now['tgw-rtb-0a1b2c3d4e5f6a7b8']).toBe(expectedTargets('server-a')['tgw-rtb-0a1b2c3d4e5f6a7b8']);
  });
});

describe('runs, show and rollback of a direct run', () => {
  it('lists the direct run beside executions, shows it, and rolls it back from its snapshot', async () => {
    await normalFailover('server-b');
    stepFunctionsDown();
    const direct = await vipctl(['failover', '--to', 'server-a', '--direct-when-unavailable', '--json']);
    expect(direct.code, direct.stdout + direct.stderr).toBe(ExitCode.Ok);
    const name: string = JSON.parse(direct.stdout).run.name;
    expect(vipTargets(aws)).toEqual(expectedTargets('server-a'));

    // Step Functions down: the journal still answers.
    const offline = await vipctl(['runs']);
    expect(offline.code).toBe(ExitCode.Ok);
    expect(offline.stdout).toContain(name);
    expect(offline.stderr).toContain('Step Functions');

    stepFunctionsUp();
    const listed = await vipctl(['runs', '--json']);
    expect(listed.code).toBe(ExitCode.Ok);
    const runs = JSON.parse(listed.stdout).runs as { name: string; direct: boolean; outcome: string }[];
    expect(runs.map((r) => r.name)).toContain(name);
    expect(runs.find((r) => r.name === name)).toMatchObject({ direct: true, outcome: 'SUCCEEDED' });
    expect(runs.some((r) => !r.direct && /^server-b-/.test(r.name))).toBe(true);

    const shown = await vipctl(['show', name]);
    expect(shown.code).toBe(ExitCode.Ok);
    expect(shown.stdout).toContain(name);
    expect(shown.stdout).toContain('direct');
    expect(shown.stdout).toContain('snapshot (VIP routes before the run):');
    expect(shown.stdout).toContain('UpdateTgwRouteTables');

    // The snapshot says server-b was active before the direct run: a restore execution brings it back.
    const rolled = await vipctl(['rollback', name, '--yes']);
    expect(rolled.code, rolled.stdout + rolled.stderr).toBe(ExitCode.Ok);
    expect(vipTargets(aws)).toEqual(expectedTargets('server-b'));
  });

  it('rolls a direct run back directly while Step Functions is down', async () => {
    stepFunctionsDown();
    const direct = await vipctl(['failover', '--to', 'server-b', '--direct', '--json']);
    const name: string = JSON.parse(direct.stdout).run.name;
    expect(vipTargets(aws)).toEqual(expectedTargets('server-b'));

    const rolled = await vipctl(['rollback', name, '--yes', '--direct-when-unavailable']);

    expect(rolled.code, rolled.stdout + rolled.stderr).toBe(ExitCode.Ok);
    expect(vipTargets(aws)).toEqual(expectedTargets('server-a'));
    expect(await journalFiles()).toHaveLength(2);
  });
});

describe('the CloudWatch Logs copy of a direct run', () => {
  it('never holds the failover up when CloudWatch Logs hangs, and says where the record is', async () => {
    stepFunctionsDown();
    for (const region of REGIONS) aws.models.setOutage(region, true, 'logs', 'hang');

    const result = await vipctl(['failover', '--to', 'server-b', '--direct', '--json']);

    expect(result.code, result.stderr).toBe(ExitCode.Ok);
    expect(vipTargets(aws)).toEqual(expectedTargets('server-b'));
    expect(result.stderr).toMatch(/not sent to CloudWatch Logs \(.+\); the journal has it/);
    expect(JSON.parse(result.stdout).cloudWatchLogs).toBeUndefined();
    expect(await journalFiles()).toHaveLength(1);
    expect(aws.models.stats().hung).toBeGreaterThan(0);
  });

  it('cuts a record larger than one log event into events that give the document back', () => {
    const big = 'x'.repeat(600 * 1024);
    const run = { kind: 'direct', name: 'direct-server-b-20261201T000000000', note: `${big}é` };

    const messages = recordMessages(run as unknown as DirectRun);

    expect(messages.length).toBe(3);
    for (const m of messages) expect(Buffer.byteLength(m, 'utf8')).toBeLessThanOrEqual(256 * 1024 - 26);
    expect(JSON.parse(messages.join(''))).toEqual(run);
    expect(batchesOf(messages).map((b) => b.length)).toEqual([3]);
    expect(batchesOf(Array.from({ length: 5 }, () => 'y'.repeat(300_000))).map((b) => b.length)).toEqual([
      3, 2,
    ]);
  });
});

describe('--timeout of a direct run', () => {
  it('starts no step its first wave could not finish in time, and reports what it wrote', async () => {
    stepFunctionsDown();
    // The clock jumps 200 s while the TGW step is about to start: more than the 120 s --timeout.
    let offset = 0;
    const now = () => new Date(Date.now() + offset);
    const beforeDirectStep = async (name: string) => {
      if (name === 'UpdateTgwRouteTables') offset += 200_000;
    };

    const result = await vipctl(['failover', '--to', 'server-b', '--direct', '--json'], {
      now,
      beforeDirectStep,
    });

    expect(result.code, result.stderr).toBe(ExitCode.Failed);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({ status: 'TIMED_OUT', failure: { step: 'UpdateTgwRouteTables' } });
    const vpcB = ['rtb-0b1d3f5a7c9e2b4d6', 'rtb-0b2e4a6c8d1f3b5e7'];
    expect(report.stopped.written.map((r: { table: string }) => r.table).sort()).toEqual(vpcB);
    // Only the local VPC step wrote: its tables lead to server-b, the TGW tables still to server-a.
    const world = vipTargets(aws);
    for (const table of vpcB) expect(world[table]).toBe('eni-0b2e4a6c8f1d3b5e7');
    expect(world['tgw-rtb-0b1c2d3e4f5a6b7c8']).toBe(expectedTargets('server-a')['tgw-rtb-0b1c2d3e4f5a6b7c8']);
    const [file] = await journalFiles();
    const record = JSON.parse(await readFile(join(journal, file!), 'utf8'));
    expect(record).toMatchObject({ status: 'TIMED_OUT', pid: process.pid });
    expect(record.written).toHaveLength(2);
  });
});

describe('a direct run whose process is gone', () => {
  /** A journal record as a killed run leaves it: RUNNING, never finished. */
  async function leftRunning(name: string, fields: Record<string, unknown>): Promise<void> {
    const startedAt = new Date(Date.now() - 5_000).toISOString();
    const record = {
      kind: 'direct',
      version: 1,
      name,
      arn: `arn:aws:states:ap-southeast-1:${aws.account}:execution:vip-failover-orders-db:${name}`,
      cluster: 'orders-db',
      region: 'ap-southeast-1',
      status: 'RUNNING',
      startedAt,
      input: { target: 'server-b', requestedAt: startedAt },
      applied: {},
      steps: [{ name: 'UpdateTgwRouteTables', type: 'Task', enteredAt: startedAt }],
      ...fields,
    };
    await writeFile(join(journal, `${name}.json`), JSON.stringify(record));
  }

  it('is listed as ABORTED when its process no longer exists, and RUNNING while it does', async () => {
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    await leftRunning('direct-server-b-20261201T000000001', { pid: dead, host: hostname() });
    await leftRunning('direct-server-b-20261201T000000002', { pid: process.pid, host: hostname() });
    // Another host's run cannot be asked; its deadline passed long ago.
    await leftRunning('direct-server-b-20261201T000000003', {
      pid: 1,
      host: 'another-node',
      deadlineAt: new Date(Date.now() - 120_000).toISOString(),
    });
    stepFunctionsDown();

    const listed = await vipctl(['runs', '--json']);
    const shown = await vipctl(['show', 'direct-server-b-20261201T000000001']);

    const status = Object.fromEntries(
      JSON.parse(listed.stdout).runs.map((r: { name: string; status: string }) => [
        r.name.slice(-1),
        r.status,
      ]),
    );
    expect(status).toEqual({ '1': 'ABORTED', '2': 'RUNNING', '3': 'ABORTED' });
    expect(shown.stdout).toContain('ABORTED');
    expect(shown.stdout).toContain(`its process (${dead} on ${hostname()}) is gone`);
  });
});
