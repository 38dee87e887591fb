/**
 * Step Functions' payload and error limits on local AWS, through the real SDK client: 256 KiB (UTF-8)
 * per state input and output and per execution input and output, failing with the terminal
 * States.DataLimitExceeded; task failures carrying Lambda's error document with its `trace`; causes
 * limited to 32,768 characters.
 */
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  GetExecutionHistoryCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ADMIN_CREDENTIALS } from '../../local/iam/principals';
import { type LocalAws, startLocalAws } from '../../local/server';
import { loadTopology } from '../../tasks/topology';

const EAST = 'us-east-1';
const topology = await loadTopology('examples/two-region.yaml');
const PASS = { StartAt: 'Done', States: { Done: { Type: 'Pass', End: true } } };
const KB = 1024;

let aws: LocalAws;
let sfn: SFNClient;
const functionArn = () => `arn:aws:lambda:${EAST}:${aws.account}:function:model`;

/** The task function behind every Task state here: the payload says what it does. */
async function model(payload: unknown): Promise<unknown> {
  const { act, size } = payload as { act: string; size?: number };
  if (act === 'return') return { data: 'x'.repeat(size ?? 0) };
  if (act === 'fail') {
    const error = new Error(size ? 'y'.repeat(size) : 'route table rtb-0aaa is gone');
    error.name = 'RouteUpdateFailed';
    throw error;
  }
  return {};
}

beforeAll(async () => {
  aws = await startLocalAws({
    topology,
    port: 0,
    sfn: { synthesize: () => ({ [EAST]: PASS, 'ap-southeast-1': PASS }), invokeTask: model },
  });
  sfn = new SFNClient({
    region: EAST,
    endpoint: aws.url,
    credentials: ADMIN_CREDENTIALS,
    maxAttempts: 1,
  });
});
afterAll(async () => {
  sfn.destroy();
  await aws.close();
});

let machines = 0;
/** Creates a state machine and runs it to its end; returns DescribeExecution's answer. */
async function run(definition: object, input: unknown = {}): Promise<DescribeExecutionCommandOutput> {
  machines += 1;
  const { stateMachineArn } = await sfn.send(
    new CreateStateMachineCommand({
      name: `payloads-${machines}`,
      definition: JSON.stringify(definition),
      roleArn: `arn:aws:iam::${aws.account}:role/payloads`,
    }),
  );
  const { executionArn } = await sfn.send(
    new StartExecutionCommand({ stateMachineArn, input: JSON.stringify(input) }),
  );
  return vi.waitFor(
    async () => {
      const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      if (described.status === 'RUNNING') throw new Error('still running');
      return described;
    },
    { timeout: 20_000, interval: 20 },
  );
}

const task = (next: object = { End: true }) => ({
  Type: 'Task',
  Resource: functionArn(),
  ...next,
});

describe('256 KiB per state and execution', () => {
  it('fails a state of 300 KB with States.DataLimitExceeded', async () => {
    const result = await run({
      StartAt: 'Big',
      States: { Big: { Type: 'Pass', Result: 'x'.repeat(300 * KB), End: true } },
    });

    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('States.DataLimitExceeded');
    expect(result.cause).toMatch(/Big.*size exceeding the maximum number of bytes service limit/);
  });

  it('lets the quota be turned off for a test whose state does not fit yet', async () => {
    aws.models.update({ sfnPayloadLimit: false });
    try {
      const result = await run({
        StartAt: 'Big',
        States: { Big: { Type: 'Pass', Result: 'x'.repeat(300 * KB), End: true } },
      });

      expect(result.status).toBe('SUCCEEDED');
    } finally {
      aws.models.update({ sfnPayloadLimit: true });
    }
  });

  it('lets a state of 200 KB through', async () => {
    const result = await run({
      StartAt: 'Large',
      States: { Large: { Type: 'Pass', Result: 'x'.repeat(200 * KB), End: true } },
    });

    expect(result.status).toBe('SUCCEEDED');
  });

  it('fails a task whose result is too large, and no Catch of States.ALL handles it', async () => {
    const result = await run(
      {
        StartAt: 'Read',
        States: {
          Read: task({
            Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Caught' }],
            End: true,
          }),
          Caught: { Type: 'Succeed' },
        },
      },
      { act: 'return', size: 300 * KB },
    );
    const history = await sfn.send(new GetExecutionHistoryCommand({ executionArn: result.executionArn }));

    expect(result).toMatchObject({ status: 'FAILED', error: 'States.DataLimitExceeded' });
    expect(result.cause).toBe(
      `The state/task '${functionArn()}' returned a result with a size exceeding the maximum number of bytes service limit.`,
    );
    expect(history.events?.map((e) => e.type)).not.toContain('SucceedStateEntered');
  });

  it('counts UTF-8 bytes, not characters', async () => {
    // 100,000 euro signs are 300,000 bytes in UTF-8.
    const result = await run({
      StartAt: 'Euros',
      States: { Euros: { Type: 'Pass', Result: '€'.repeat(100_000), End: true } },
    });

    expect(result.error).toBe('States.DataLimitExceeded');
  });

  it('refuses an execution input over 256 KiB at StartExecution', async () => {
    const { stateMachineArn } = await sfn.send(
      new CreateStateMachineCommand({
        name: 'payloads-input',
        definition: JSON.stringify(PASS),
        roleArn: `arn:aws:iam::${aws.account}:role/payloads`,
      }),
    );

    await expect(
      sfn.send(
        new StartExecutionCommand({ stateMachineArn, input: JSON.stringify({ data: '€'.repeat(90_000) }) }),
      ),
    ).rejects.toMatchObject({ name: 'ValidationException' });
  });
});

describe('task failures as Lambda reports them', () => {
  it('puts errorType, errorMessage and the stack as trace into the cause', async () => {
    const result = await run({ StartAt: 'Write', States: { Write: task() } }, { act: 'fail' });

    expect(result).toMatchObject({ status: 'FAILED', error: 'RouteUpdateFailed' });
    const cause = JSON.parse(result.cause ?? '') as {
      errorType: string;
      errorMessage: string;
      trace: string[];
    };
    expect(cause.errorType).toBe('RouteUpdateFailed');
    expect(cause.errorMessage).toBe('route table rtb-0aaa is gone');
    expect(cause.trace[0]).toBe('RouteUpdateFailed: route table rtb-0aaa is gone');
    expect(cause.trace.length).toBeGreaterThan(1);
  });

  it('cuts a cause to its first 32,768 characters, in the history and in DescribeExecution', async () => {
    const result = await run({ StartAt: 'Write', States: { Write: task() } }, { act: 'fail', size: 40_000 });
    const history = await sfn.send(new GetExecutionHistoryCommand({ executionArn: result.executionArn }));
    const taskFailed = history.events?.find((e) => e.type === 'TaskFailed')?.taskFailedEventDetails;

    expect(result.cause).toHaveLength(32_768);
    expect(result.cause?.startsWith('{"errorType":"RouteUpdateFailed","errorMessage":"yyyy')).toBe(true);
    expect(() => JSON.parse(result.cause ?? '')).toThrow();
    expect(taskFailed?.cause).toBe(result.cause);
  });
});
