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
