import 'aws-sdk-client-mock-vitest/extend';
import { type ExecutionStatus, ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { listExecutionsSince, parseExecutionArn } from '../../tasks/sfn';

const MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:vip-failover-orders-db';
const execution = (name: string, startDate: string, status: ExecutionStatus = 'SUCCEEDED') => ({
  executionArn: `arn:aws:states:us-east-1:123456789012:execution:vip-failover-orders-db:${name}`,
  stateMachineArn: MACHINE,
  name,
  status,
  startDate: new Date(startDate),
});

describe('listExecutionsSince', () => {
  const sfn = mockClient(SFNClient);
  afterEach(() => sfn.reset());

  it('stops paging at the first page that reaches back before the given time', async () => {
    sfn
      .on(ListExecutionsCommand, { nextToken: undefined })
      .resolves({
        executions: [execution('n3', '2026-11-25T12:09:00Z'), execution('n2', '2026-11-25T12:08:00Z')],
        nextToken: 'p2',
      })
      .on(ListExecutionsCommand, { nextToken: 'p2' })
      .resolves({
        executions: [execution('n1', '2026-11-25T12:07:00Z'), execution('old', '2026-11-25T11:00:00Z')],
        nextToken: 'p3',
      });

    const found = await listExecutionsSince(
      new SFNClient({ region: 'us-east-1' }),
      MACHINE,
      new Date('2026-11-25T12:05:00Z'),
    );

    expect(found.map((e) => e.name)).toEqual(['n3', 'n2', 'n1']);
    expect(sfn).toHaveReceivedCommandTimes(ListExecutionsCommand, 2);
    expect(sfn).toHaveReceivedNthCommandWith(ListExecutionsCommand, 1, {
      stateMachineArn: MACHINE,
      maxResults: 100,
    });
  });

  it('includes an execution that started at exactly the given time', async () => {
    sfn
      .on(ListExecutionsCommand)
      .resolves({ executions: [execution('same', '2026-11-25T12:05:00Z', 'RUNNING')] });

    const found = await listExecutionsSince(
      new SFNClient({ region: 'us-east-1' }),
      MACHINE,
      new Date('2026-11-25T12:05:00Z'),
    );

    expect(found).toEqual([
      {
        arn: execution('same', '2026-11-25T12:05:00Z').executionArn,
        name: 'same',
        status: 'RUNNING',
        startDate: new Date('2026-11-25T12:05:00Z'),
      },
    ]);
  });
});

describe('parseExecutionArn', () => {
  it('splits an execution ARN into partition, region, account, state machine and name', () => {
    expect(
      parseExecutionArn(
        'arn:aws-cn:states:cn-north-1:123456789012:execution:vip-failover-x:server-a-20261125T120356123',
      ),
    ).toEqual({
      partition: 'aws-cn',
      region: 'cn-north-1',
      account: '123456789012',
      stateMachine: 'vip-failover-x',
      name: 'server-a-20261125T120356123',
    });
  });

  it('refuses something that is not an execution ARN', () => {
    expect(() =>
      parseExecutionArn('arn:aws:states:us-east-1:123456789012:stateMachine:vip-failover-x'),
    ).toThrow('is not a Step Functions execution ARN');
  });
});
