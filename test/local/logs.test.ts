/**
 * Local AWS's CloudWatch Logs, through the real SDK client: the errors and limits of the API reference
 * (local/logs/service.ts cites them), checked against hand-written expectations.
 */
import {
  CloudWatchLogsClient,
  CreateLogStreamCommand,
  DescribeLogGroupsCommand,
  GetLogEventsCommand,
  PutLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_CREDENTIALS } from '../../local/iam/principals';
import { localTasksLogGroup } from '../../local/logs/service';
import { type LocalAws, startLocalAws } from '../../local/server';
import { loadTopology } from '../../tasks/topology';

let aws: LocalAws;
let logs: CloudWatchLogsClient;
const GROUP = localTasksLogGroup('orders-db');

beforeAll(async () => {
  aws = await startLocalAws({
    topology: await loadTopology('examples/two-region.yaml'),
    port: 0,
    sfn: false,
  });
  logs = new CloudWatchLogsClient({
    region: 'us-east-1',
    endpoint: aws.url,
    credentials: ADMIN_CREDENTIALS,
    maxAttempts: 1,
  });
});
afterAll(async () => {
  logs?.destroy();
  await aws?.close();
});

const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: { name: string }) => e.name,
  );

describe('local CloudWatch Logs', () => {
  it('finds the stack task log group by its prefix', async () => {
    const found = await logs.send(
      new DescribeLogGroupsCommand({ logGroupNamePrefix: 'VipFailover-orders-db-TasksLogs' }),
    );
    expect(found.logGroups?.map((g) => g.logGroupName)).toEqual([GROUP]);
    const none = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: 'Other' }));
    expect(none.logGroups).toEqual([]);
  });

  it('creates a stream once, takes events in order, and gives them back', async () => {
    const stream = { logGroupName: GROUP, logStreamName: 'direct-server-b-20261201T000000000' };
    await logs.send(new CreateLogStreamCommand(stream));
    expect(await codeOf(logs.send(new CreateLogStreamCommand(stream)))).toBe(
      'ResourceAlreadyExistsException',
    );
    await logs.send(
      new PutLogEventsCommand({
        ...stream,
        logEvents: [
          { timestamp: 1, message: 'a' },
          { timestamp: 2, message: 'b' },
        ],
      }),
    );

    const out = await logs.send(new GetLogEventsCommand({ ...stream, startFromHead: true }));

    expect(out.events?.map((e) => e.message)).toEqual(['a', 'b']);
  });

  it('refuses a missing group or stream, an event over 256 KB, a batch over 1 MB and events out of order', async () => {
    const stream = { logGroupName: GROUP, logStreamName: 'limits' };
    await logs.send(new CreateLogStreamCommand(stream));
    const put = (logEvents: { timestamp: number; message: string }[], where = stream) =>
      codeOf(logs.send(new PutLogEventsCommand({ ...where, logEvents })));

    expect(
      await codeOf(logs.send(new CreateLogStreamCommand({ logGroupName: 'nope', logStreamName: 's' }))),
    ).toBe('ResourceNotFoundException');
    expect(
      await put([{ timestamp: 1, message: 'x' }], { logGroupName: GROUP, logStreamName: 'missing' }),
    ).toBe('ResourceNotFoundException');
    expect(await put([{ timestamp: 1, message: 'x'.repeat(262_145) }])).toBe('InvalidParameterException');
    // Five events of 250,000 bytes: 1,250,130 bytes with the 26-byte overheads, over 1,048,576.
    expect(await put(Array.from({ length: 5 }, () => ({ timestamp: 1, message: 'y'.repeat(250_000) })))).toBe(
      'InvalidParameterException',
    );
    expect(await put(Array.from({ length: 4 }, () => ({ timestamp: 1, message: 'y'.repeat(250_000) })))).toBe(
      'ok',
    );
    expect(
      await put([
        { timestamp: 2, message: 'b' },
        { timestamp: 1, message: 'a' },
      ]),
    ).toBe('InvalidParameterException');
  });
});
