import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import 'aws-sdk-client-mock-vitest/extend';
import { missingPermissions } from '../../cli/runs/direct';
import { directRunId } from '../../cli/runs/direct-run';
import { ACCOUNT, FIXTURE, NOW, vipctl } from './harness';

const sfn = mockClient(SFNClient);

/** The CLI fixture with its regions moved to another partition. */
function configIn(home: string, away: string): string {
  let text = readFileSync(FIXTURE, 'utf8');
  text = text.replaceAll('us-east-1', home).replaceAll('ap-southeast-1', away);
  const path = join(mkdtempSync(join(tmpdir(), 'vipctl-partition-')), 'cluster.yaml');
  writeFileSync(path, text);
  return path;
}

const cases = [
  { home: 'cn-north-1', away: 'cn-northwest-1', partition: 'aws-cn' },
  { home: 'us-gov-west-1', away: 'us-gov-east-1', partition: 'aws-us-gov' },
] as const;

beforeEach(() => {
  sfn.reset();
});

describe.each(cases)('a topology in $home and $away', ({ home, away, partition }) => {
  const machine = (region: string) =>
    `arn:${partition}:states:${region}:${ACCOUNT}:stateMachine:vip-failover-orders-db`;
  const execution = (region: string, name: string) =>
    `arn:${partition}:states:${region}:${ACCOUNT}:execution:vip-failover-orders-db:${name}`;

  it(`gets arn:${partition}: ARNs from vipctl policy`, async () => {
    const config = configIn(home, away);
    for (const kind of ['--node', '--lambda']) {
      const result = await vipctl(['policy', kind], { config });

      expect(result.code).toBe(0);
      const arns = (JSON.parse(result.stdout) as { Statement: { Resource: string[] }[] }).Statement.flatMap(
        (s) => s.Resource,
      ).filter((r) => r !== '*');
      expect(arns.length).toBeGreaterThan(0);
      for (const arn of arns) expect(arn.startsWith(`arn:${partition}:`)).toBe(true);
    }
  });

  it(`starts and looks up runs by arn:${partition}: ARNs`, async () => {
    const config = configIn(home, away);
    const name = 'server-b-20261125T120356123';
    sfn.on(ListExecutionsCommand).resolves({ executions: [] });
    sfn.on(GetExecutionHistoryCommand).resolves({ events: [] });
    sfn.on(StartExecutionCommand).resolves({ executionArn: execution(away, name), startDate: NOW });
    sfn.on(DescribeExecutionCommand).resolves({
      executionArn: execution(away, name),
      name,
      status: 'RUNNING',
      startDate: NOW,
      input: '{}',
    });

    const started = await vipctl(['failover', '--to', 'server-b', '--no-wait', '--json'], { config });
    const shown = await vipctl(['show', name, '--json'], { config });

    expect(started.code).toBe(0);
    expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, { stateMachineArn: machine(away), name });
    expect(sfn).toHaveReceivedCommandWith(ListExecutionsCommand, { stateMachineArn: machine(away) });
    expect(sfn).toHaveReceivedCommandWith(DescribeExecutionCommand, { executionArn: execution(home, name) });
    expect(sfn).toHaveReceivedCommandWith(DescribeExecutionCommand, { executionArn: execution(away, name) });
    for (const call of sfn.calls()) {
      const input = call.args[0].input as { stateMachineArn?: string; executionArn?: string };
      const arn = input.stateMachineArn ?? input.executionArn;
      expect(arn?.startsWith(`arn:${partition}:states:`)).toBe(true);
    }
    expect(shown.stderr).toBe('');
    expect(shown.code).toBe(0);
  });
});

describe('direct runs', () => {
  it.each([
    ['cn-north-1', 'aws-cn'],
    ['us-gov-west-1', 'aws-us-gov'],
    ['eu-west-1', 'aws'],
  ])('name a refused write in %s by an arn:%s: ARN', (region, partition) => {
    const cause = `1 route update(s) of step local-vpc failed:\n  replace 172.16.0.1/32 -> eni-0b2e4a6c8f1d3b5e7 in rtb-0b1d3f5a7c9e2b4d6 (${region}): failed UnauthorizedOperation`;

    expect(missingPermissions(cause, ACCOUNT)).toEqual([
      `ec2:ReplaceRoute on arn:${partition}:ec2:${region}:${ACCOUNT}:route-table/rtb-0b1d3f5a7c9e2b4d6`,
    ]);
  });

  it('names a direct run by an execution ARN of its region’s partition', () => {
    const topology = { cluster: 'orders-db' } as Parameters<typeof directRunId>[0];
    const input = { target: 'server-b', requestedAt: NOW.toISOString() };

    const { arn } = directRunId(topology, input, { account: ACCOUNT, region: 'cn-northwest-1' });

    expect(arn).toMatch(/^arn:aws-cn:states:cn-northwest-1:/);
  });
});
