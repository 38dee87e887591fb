import { EC2Client } from '@aws-sdk/client-ec2';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import 'aws-sdk-client-mock-vitest/extend';
import { ExitCode } from '../../cli/core/exit-codes';
import type { Observation } from '../../tasks/world';
import { connectionRefused, EXEC, NOW, runOutput, vipctl, worldFor } from './harness';

const sfn = mockClient(SFNClient);
const ec2 = mockClient(EC2Client);

beforeEach(() => {
  sfn.reset();
  ec2.reset();
});

/** server-a's world, except that one of vpc-b's tables still sends the VIP to server-b's ENI. */
function oneWrongRoute(): Observation {
  const world = worldFor('server-a');
  return {
    ...world,
    routes: world.routes.map((r) =>
      r.table === 'rtb-0b1d3f5a7c9e2b4d6' ? { ...r, target: 'eni-0b2e4a6c8f1d3b5e7' } : r,
    ),
  };
}

/** server-a's world with ap-southeast-1 unreadable. */
function apUnreachable(): Observation {
  const world = worldFor('server-a');
  const apTables = new Set(['rtb-0b1d3f5a7c9e2b4d6', 'rtb-0b2e4a6c8d1f3b5e7', 'tgw-rtb-0b1c2d3e4f5a6b7c8']);
  return {
    ...world,
    routes: world.routes.map((r) => (apTables.has(r.table) ? { ...r, target: null, state: 'unknown' } : r)),
    unreachable: [{ region: 'ap-southeast-1', code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' }],
  };
}

describe('vipctl plan', () => {
  it('prints current -> desired for every route a failover would change, and writes nothing', async () => {
    const result = await vipctl(['plan', '--to', 'server-b'], { world: worldFor('server-a') });

    expect(result.code).toBe(ExitCode.Ok);
    expect(result.stdout).toMatch(
      /rtb-0b2e4a6c8d1f3b5e7\s+ap-southeast-1\s+172\.16\.0\.1\/32\s+tgw-0b9c8d7e6f5a4b3c2 -> eni-0b2e4a6c8f1d3b5e7\s+replace/,
    );
    expect(result.stdout).toContain('6 changes, 0 already right. Nothing was written.');
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
    expect(ec2.calls()).toHaveLength(0);
  });

  it('says there is nothing to change when the routes already lead to the target', async () => {
    const result = await vipctl(['plan', '--to', 'server-a', '--json'], { world: worldFor('server-a') });

    expect(result.code).toBe(ExitCode.Ok);
    expect(JSON.parse(result.stdout)).toMatchObject({ target: 'server-a', converged: true, changes: [] });
  });

  it('exits 4 when no cluster region could be read, instead of planning blind', async () => {
    const world = worldFor('server-a');
    const result = await vipctl(['plan', '--to', 'server-b'], {
      world: {
        ...world,
        routes: world.routes.map((r) => ({ ...r, target: null, state: 'unknown' as const })),
        unreachable: ['us-east-1', 'ap-southeast-1'].map((region) => ({
          region,
          code: 'ETIMEDOUT',
          message: 'timed out',
        })),
      },
    });

    expect(result.code).toBe(ExitCode.Unreachable);
    expect(result.stderr).toContain(
      'EC2 could not be read in any cluster region (us-east-1: ETIMEDOUT, ap-southeast-1: ETIMEDOUT)',
    );
    expect(result.stdout).toBe('');
  });
});

describe('vipctl check', () => {
  it('exits 0 when every VIP route leads to the active node', async () => {
    const result = await vipctl(['check', '--active', 'server-a'], { world: worldFor('server-a') });

    expect(result.code).toBe(ExitCode.Ok);
    expect(result.stdout).toContain('converged: every VIP route leads to server-a');
  });

  it('exits 1 and names the wrong route when a table points elsewhere', async () => {
    const result = await vipctl(['check', '--active', 'server-a'], { world: oneWrongRoute() });

    expect(result.code).toBe(ExitCode.Failed);
    expect(result.stdout).toContain('not converged on server-a');
    expect(result.stdout).toContain(
      'rtb-0b1d3f5a7c9e2b4d6 (ap-southeast-1) 172.16.0.1/32: server-b (eni-0b2e4a6c8f1d3b5e7)',
    );
  });

  it('exits 4, not 1, when a region cannot be read and the readable routes are right', async () => {
    const result = await vipctl(['check', '--active', 'server-a', '--json'], { world: apUnreachable() });

    expect(result.code).toBe(ExitCode.Unreachable);
    const json = JSON.parse(result.stdout);
    expect(json).toMatchObject({ converged: false, exitCode: 4, wrong: [] });
    expect(result.stderr).toContain('EC2 in ap-southeast-1 could not be read (ECONNREFUSED');
  });

  it('exits 4 when reading the routes fails at the network level', async () => {
    const result = await vipctl(['check', '--active', 'server-a'], {
      world: () => Promise.reject(connectionRefused()),
    });

    expect(result.code).toBe(ExitCode.Unreachable);
    expect(result.stderr).toContain('AWS could not be reached');
  });

  it('starts a failover to the active node with --repair and returns its exit code', async () => {
    const name = 'server-a-20261125T120356123';
    sfn.on(StartExecutionCommand).resolves({ executionArn: EXEC('us-east-1', name), startDate: NOW });
    sfn.on(DescribeExecutionCommand).resolves({
      name,
      status: 'SUCCEEDED',
      startDate: NOW,
      stopDate: NOW,
      output: JSON.stringify(runOutput('server-a', 'DEGRADED')),
    });
    sfn.on(GetExecutionHistoryCommand).resolves({ events: [] });

    const result = await vipctl(['check', '--active', 'server-a', '--repair'], { world: oneWrongRoute() });

    expect(result.code).toBe(ExitCode.Degraded);
    const input = JSON.parse(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input.input ?? '{}');
    expect(input).toMatchObject({
      target: 'server-a',
      reason: 'vipctl check --repair: routes not converged',
    });
  });

  it('stops a repair that is still running when --timeout expires, as failover does', async () => {
    const name = 'server-a-20261125T120356123';
    const arn = EXEC('us-east-1', name);
    let stopped = false;
    sfn.on(StartExecutionCommand).resolves({ executionArn: arn, startDate: NOW });
    sfn.on(StopExecutionCommand).callsFake(() => {
      stopped = true;
      return {};
    });
    sfn
      .on(DescribeExecutionCommand)
      .callsFake(() => ({ name, status: stopped ? 'ABORTED' : 'RUNNING', startDate: NOW }));
    sfn.on(GetExecutionHistoryCommand).resolves({ events: [] });

    const result = await vipctl(['check', '--active', 'server-a', '--repair', '--timeout', '5'], {
      world: oneWrongRoute(),
      tickMs: 1000,
    });

    expect(result.code).toBe(ExitCode.Failed);
    expect(sfn).toHaveReceivedCommandWith(StopExecutionCommand, { executionArn: arn });
    expect(result.stdout).toContain('so vipctl stopped it');
  });

  it('does not start anything with --repair when the routes are converged', async () => {
    const result = await vipctl(['check', '--active', 'server-a', '--repair'], {
      world: worldFor('server-a'),
    });

    expect(result.code).toBe(ExitCode.Ok);
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });
});

describe('vipctl status', () => {
  it('lists every VIP route and where each VPC sends the VIP', async () => {
    const result = await vipctl(['status'], { world: worldFor('server-b') });

    expect(result.code).toBe(ExitCode.Ok);
    expect(result.stdout).toMatch(
      /tgw-rtb-0a1b2c3d4e5f6a7b8\s+tgw-a\s+us-east-1\s+172\.16\.0\.1\/32\s+tgw-b \(tgw-attach-0c1d2e3f4a5b6c7d8\)\s+active/,
    );
    expect(result.stdout).toMatch(/vpc-a\s+rtb-0a1c3e5f7b9d2a4c6\s+172\.16\.0\.1\/32\s+arrives at server-b/);
    expect(result.stdout).toContain('converged: every VIP route leads to server-b');
  });

  it('shows a filtered VPC route and a pending TGW route in states of their own', async () => {
    const world = worldFor('server-b');
    const states: Record<string, Observation['routes'][number]['state']> = {
      'rtb-0b1d3f5a7c9e2b4d6': 'filtered',
      'tgw-rtb-0b1c2d3e4f5a6b7c8': 'pending',
    };

    const result = await vipctl(['status'], {
      world: { ...world, routes: world.routes.map((r) => ({ ...r, state: states[r.table] ?? r.state })) },
    });

    expect(result.stdout).toMatch(
      /rtb-0b1d3f5a7c9e2b4d6\s+vpc-b\s+ap-southeast-1\s+172\.16\.0\.1\/32\s+.*\s+filtered/,
    );
    expect(result.stdout).toMatch(
      /tgw-rtb-0b1c2d3e4f5a6b7c8\s+tgw-b\s+ap-southeast-1\s+172\.16\.0\.1\/32\s+.*\s+pending/,
    );
    expect(result.stdout).toMatch(
      /vpc-b\s+rtb-0b1d3f5a7c9e2b4d6\s+172\.16\.0\.1\/32\s+filtered at rtb-0b1d3f5a7c9e2b4d6/,
    );
    expect(result.stdout).toMatch(
      /vpc-a\s+rtb-0a1c3e5f7b9d2a4c6\s+172\.16\.0\.1\/32\s+pending at tgw-rtb-0b1c2d3e4f5a6b7c8/,
    );
  });

  it('gives the routes, the node and the trace as JSON with --format json', async () => {
    const result = await vipctl(['status', '--format', 'json'], { world: worldFor('server-b') });

    const json = JSON.parse(result.stdout);
    expect(json.node).toBe('server-b');
    expect(json.routes).toHaveLength(6);
    expect(json.trace.converged).toBe(true);
  });

  it('draws the VIP path as a mermaid flowchart with --format mermaid', async () => {
    const result = await vipctl(['status', '--format', 'mermaid'], { world: worldFor('server-b') });

    expect(result.stdout.startsWith('flowchart LR\n')).toBe(true);
    expect(result.stdout).toContain('vpc_vpc_b ==>|172.16.0.1/32| node_server_b');
    expect(result.stdout).toContain('tgw_tgw_a ==>|172.16.0.1/32| tgw_tgw_b');
    expect(result.stdout).toContain('class node_server_b active');
  });
});
