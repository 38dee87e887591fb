import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  DescribeStateMachineCommand,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSfnService, type SfnService } from '../../local/sfn/service';
import { NotConvergedError, RouteUpdateFailedError, SupersededError } from '../../tasks/errors';

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const PLAN_FN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:vip-failover-tasks`;
const OTHER_FN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:other`;
const smArn = (name: string, region = REGION) => `arn:aws:states:${region}:${ACCOUNT}:stateMachine:${name}`;

/** A stand-in for the task functions: each test sets what the function does. */
type Task = (payload: unknown, ctx: { functionArn: string; stateName: string }) => Promise<unknown>;
let task: Task = async (payload) => payload;
const calls: { payload: unknown; functionArn: string; stateName: string }[] = [];
const model = { coldStarts: 0, transitions: 0 };

let service: SfnService;
let server: Server;
let endpoint: string;

const client = (region = REGION) =>
  new SFNClient({
    region,
    endpoint,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
let sfn: SFNClient;

/** The smallest HTTP front a JSON 1.0 client needs: target header -> operation, SigV4 scope -> region. */
function listen(svc: SfnService): Promise<Server> {
  const srv = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const operation = String(req.headers['x-amz-target'] ?? '').replace(/^AWSStepFunctions\./, '');
      const region =
        /Credential=[^/]+\/\d+\/([^/]+)\//.exec(String(req.headers.authorization))?.[1] ?? REGION;
      const text = Buffer.concat(chunks).toString('utf8');
      const { status, body } = await svc.handle(operation, text ? JSON.parse(text) : {}, { region });
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
      res.end(JSON.stringify(body));
    });
  });
  return new Promise((resolve) => srv.listen(0, '127.0.0.1', () => resolve(srv)));
}

beforeAll(async () => {
  service = createSfnService({
    account: ACCOUNT,
    invokeTask: (payload, ctx) => {
      calls.push({ payload, ...ctx });
      return task(payload, ctx);
    },
    models: {
      coldStartMs: () => {
        model.coldStarts++;
        return 0;
      },
      transitionMs: () => {
        model.transitions++;
        return 0;
      },
    },
    retryIntervalScale: 0.001,
  });
  server = await listen(service);
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  sfn = client();
});

afterAll(async () => {
  await service.close();
  await new Promise((resolve) => server.close(resolve));
});

afterEach(() => {
  task = async (payload) => payload;
  calls.length = 0;
});

let machines = 0;
/** Creates a state machine with a fresh name and returns its ARN. */
async function createMachine(definition: object, name = `sm-${++machines}`): Promise<string> {
  const out = await sfn.send(
    new CreateStateMachineCommand({
      name,
      definition: JSON.stringify(definition),
      roleArn: `arn:aws:iam::${ACCOUNT}:role/test`,
    }),
  );
  return out.stateMachineArn!;
}

async function finished(executionArn: string): Promise<DescribeExecutionCommandOutput> {
  for (;;) {
    const out = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (out.status !== 'RUNNING') return out;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function history(executionArn: string): Promise<HistoryEvent[]> {
  return (await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }))).events ?? [];
}

/** A promise the test resolves, for tasks that must stay in flight. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 2));
}

/** The shape of the real workflow: inject, task with the context object, choice, succeed. */
const planFlow = {
  StartAt: 'LoadTopology',
  States: {
    LoadTopology: {
      Type: 'Pass',
      Parameters: { 'input.$': '$', topology: { cluster: 'orders-db' } },
      Next: 'Plan',
    },
    Plan: {
      Type: 'Task',
      Resource: PLAN_FN,
      Parameters: {
        task: 'plan',
        'input.$': '$.input',
        'execution.$': '$$.Execution',
        'stateMachine.$': '$$.StateMachine.Id',
      },
      ResultPath: '$.plan',
      Next: 'Converged?',
    },
    'Converged?': {
      Type: 'Choice',
      Choices: [{ Variable: '$.plan.converged', BooleanEquals: true, Next: 'Done' }],
      Default: 'Done',
    },
    Done: { Type: 'Succeed', OutputPath: '$.plan' },
  },
};

describe('executions', () => {
  it('runs a definition with the task bound to invokeTask and the context object resolved', async () => {
    const arn = await createMachine(planFlow);
    task = async () => ({ converged: true, changes: 3 });

    const start = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: arn,
        name: 'server-b-20261125T120356123',
        input: '{"target":"server-b"}',
      }),
    );
    const done = await finished(start.executionArn!);

    expect(done).toMatchObject({
      status: 'SUCCEEDED',
      name: 'server-b-20261125T120356123',
      stateMachineArn: arn,
      executionArn: `arn:aws:states:${REGION}:${ACCOUNT}:execution:${arn.split(':').at(-1)}:server-b-20261125T120356123`,
      input: '{"target":"server-b"}',
    });
    expect(JSON.parse(done.output!)).toEqual({ converged: true, changes: 3 });
    expect(done.stopDate!.getTime()).toBeGreaterThanOrEqual(done.startDate!.getTime());
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ functionArn: PLAN_FN, stateName: 'Plan' });
    const payload = calls[0]!.payload as {
      input: unknown;
      execution: Record<string, unknown>;
      stateMachine: string;
    };
    expect(payload.input).toEqual({ target: 'server-b' });
    expect(payload.stateMachine).toBe(arn);
    expect(payload.execution).toMatchObject({
      Id: start.executionArn,
      Name: 'server-b-20261125T120356123',
      StartTime: start.startDate!.toISOString(),
    });
  });

  it('unwraps lambda:invoke parameters and wraps the result like the Lambda integration', async () => {
    const arn = await createMachine({
      StartAt: 'Invoke',
      States: {
        Invoke: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: { FunctionName: OTHER_FN, 'Payload.$': '$' },
          ResultSelector: { 'body.$': '$.Payload', 'code.$': '$.StatusCode' },
          End: true,
        },
      },
    });
    task = async (payload) => ({ echoed: payload });

    const start = await sfn.send(new StartExecutionCommand({ stateMachineArn: arn, input: '{"a":1}' }));
    const done = await finished(start.executionArn!);

    expect(calls[0]).toMatchObject({ functionArn: OTHER_FN, payload: { a: 1 } });
    expect(JSON.parse(done.output!)).toEqual({ body: { echoed: { a: 1 } }, code: 200 });
  });

  it('records the history the CLI reads: state entered/exited pairs, task events and the execution end', async () => {
    const arn = await createMachine(planFlow);
    task = async () => ({ converged: false, changes: 1 });

    const start = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: arn, input: '{"target":"server-a"}' }),
    );
    await finished(start.executionArn!);
    const events = await history(start.executionArn!);

    expect(events.map((e) => e.type)).toEqual([
      'ExecutionStarted',
      'PassStateEntered',
      'PassStateExited',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSucceeded',
      'TaskStateExited',
      'ChoiceStateEntered',
      'ChoiceStateExited',
      'SucceedStateEntered',
      'SucceedStateExited',
      'ExecutionSucceeded',
    ]);
    expect(events.map((e) => e.id)).toEqual(events.map((_, i) => i + 1));
    expect(events.map((e) => e.previousEventId)).toEqual(events.map((_, i) => i));
    const times = events.map((e) => e.timestamp!.getTime());
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(events[0]!.executionStartedEventDetails).toMatchObject({ input: '{"target":"server-a"}' });
    expect(events[3]!.stateEnteredEventDetails?.name).toBe('Plan');
    expect(events[6]!.taskSucceededEventDetails).toMatchObject({
      resourceType: 'lambda',
      resource: 'invoke',
    });
    expect(JSON.parse(events[6]!.taskSucceededEventDetails!.output!)).toEqual({
      converged: false,
      changes: 1,
    });
    expect(events[7]!.stateExitedEventDetails?.name).toBe('Plan');
    expect(JSON.parse(events[7]!.stateExitedEventDetails!.output!).plan).toEqual({
      converged: false,
      changes: 1,
    });
    expect(JSON.parse(events[12]!.executionSucceededEventDetails!.output!)).toEqual({
      converged: false,
      changes: 1,
    });
  });

  it('fails the execution with the thrown error name and a Lambda-style cause when no Catch matches', async () => {
    const arn = await createMachine({
      StartAt: 'Apply',
      States: { Apply: { Type: 'Task', Resource: PLAN_FN, End: true } },
    });
    task = async () => {
      throw new RouteUpdateFailedError(
        'replace 172.16.0.1/32 in rtb-0123456789abcdef0: UnauthorizedOperation',
      );
    };

    const start = await sfn.send(new StartExecutionCommand({ stateMachineArn: arn }));
    const done = await finished(start.executionArn!);
    const events = await history(start.executionArn!);

    // Lambda's error document, with the stack as `trace` (the Node.js runtime's shape).
    expect(JSON.parse(done.cause ?? '')).toEqual({
      errorType: 'RouteUpdateFailed',
      errorMessage: 'replace 172.16.0.1/32 in rtb-0123456789abcdef0: UnauthorizedOperation',
      trace: expect.arrayContaining([expect.stringContaining('UnauthorizedOperation')]),
    });
    expect(done).toMatchObject({ status: 'FAILED', error: 'RouteUpdateFailed' });
    expect(done.output).toBeUndefined();
    expect(events.find((e) => e.type === 'TaskFailed')?.taskFailedEventDetails).toMatchObject({
      error: 'RouteUpdateFailed',
      cause: done.cause,
    });
    expect(events.at(-1)).toMatchObject({
      type: 'ExecutionFailed',
      executionFailedEventDetails: { error: 'RouteUpdateFailed', cause: done.cause },
    });
  });

  it('retries a task on a named error and succeeds once the error stops', async () => {
    const arn = await createMachine({
      StartAt: 'Verify',
      States: {
        Verify: {
          Type: 'Task',
          Resource: PLAN_FN,
          Retry: [{ ErrorEquals: ['NotConverged'], IntervalSeconds: 2, MaxAttempts: 3, BackoffRate: 2 }],
          End: true,
        },
      },
    });
    let attempts = 0;
    task = async () => {
      attempts++;
      if (attempts < 3)
        throw new NotConvergedError(`attempt ${attempts}: tgw-rtb still points at the old node`);
      return { status: 'SUCCEEDED' };
    };

    const start = await sfn.send(new StartExecutionCommand({ stateMachineArn: arn }));
    const done = await finished(start.executionArn!);
    const types = (await history(start.executionArn!)).map((e) => e.type);

    expect(done.status).toBe('SUCCEEDED');
    expect(attempts).toBe(3);
    expect(types.filter((t) => t === 'TaskFailed')).toHaveLength(2);
    expect(types.filter((t) => t === 'TaskStateEntered')).toHaveLength(1);
    expect(types.filter((t) => t === 'TaskSucceeded')).toHaveLength(1);
  });

  it('gives up after MaxAttempts retries and fails with the last error', async () => {
    const arn = await createMachine({
      StartAt: 'Verify',
      States: {
        Verify: {
          Type: 'Task',
          Resource: PLAN_FN,
          Retry: [{ ErrorEquals: ['NotConverged'], IntervalSeconds: 1, MaxAttempts: 2 }],
          End: true,
        },
      },
    });
    task = async () => {
      throw new NotConvergedError('still converging');
    };

    const start = await sfn.send(new StartExecutionCommand({ stateMachineArn: arn }));
    const done = await finished(start.executionArn!);

    expect(done).toMatchObject({ status: 'FAILED', error: 'NotConverged' });
    expect(calls).toHaveLength(3);
  });

  it('does not retry an error the Retry does not name', async () => {
    const arn = await createMachine({
      StartAt: 'Verify',
      States: {
        Verify: {
          Type: 'Task',
          Resource: PLAN_FN,
          Retry: [{ ErrorEquals: ['NotConverged'], IntervalSeconds: 1, MaxAttempts: 5 }],
          End: true,
        },
      },
    });
    task = async () => {
      throw new SupersededError('a newer run started');
    };

    const start = await sfn.send(new StartExecutionCommand({ stateMachineArn: arn }));
    const done = await finished(start.executionArn!);

    expect(done).toMatchObject({ status: 'FAILED', error: 'Superseded' });
    expect(calls).toHaveLength(1);
  });

  it('catches a task error into ResultPath and ends in a Fail state that reads ErrorPath and CausePath', async () => {
    const arn = await createMachine({
      StartAt: 'Plan',
      States: {
        Plan: {
          Type: 'Task',
          Resource: PLAN_FN,
          Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Failed' }],
          End: true,
        },
        Failed: { Type: 'Fail', ErrorPath: '$.error.Error', CausePath: '$.error.Cause' },
      },
    });
    task = async () => {
      throw new SupersededError('run x started after this one');
    };

    const start = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: arn, input: '{"target":"server-a"}' }),
    );
    const done = await finished(start.executionArn!);
    const events = await history(start.executionArn!);

    const cause = done.cause ?? '';
    expect(JSON.parse(cause)).toMatchObject({
      errorType: 'Superseded',
      errorMessage: 'run x started after this one',
      trace: expect.any(Array),
    });
    expect(done).toMatchObject({ status: 'FAILED', error: 'Superseded' });
    const failEntered = events.find((e) => e.type === 'FailStateEntered');
    expect(JSON.parse(failEntered!.stateEnteredEventDetails!.input!)).toEqual({
      target: 'server-a',
      error: { Error: 'Superseded', Cause: cause },
    });
    expect(events.map((e) => e.type).slice(-4)).toEqual([
      'TaskFailed',
      'TaskStateExited',
      'FailStateEntered',
      'ExecutionFailed',
    ]);
  });

  it('charges a cold start once per function ARN and a transition per state', async () => {
    const fresh = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:cold-check`;
    const arn = await createMachine({
      StartAt: 'First',
      States: {
        First: { Type: 'Task', Resource: fresh, Next: 'Second' },
        Second: { Type: 'Task', Resource: fresh, Next: 'Third' },
        Third: { Type: 'Pass', End: true },
      },
    });
    const before = { ...model };

    for (const name of ['cold-1', 'cold-2']) {
      const start = await sfn.send(new StartExecutionCommand({ stateMachineArn: arn, name }));
      expect((await finished(start.executionArn!)).status).toBe('SUCCEEDED');
    }

    expect(model.coldStarts - before.coldStarts).toBe(1);
    // 2 runs x (two task charges + one charge for the trailing Pass)
    expect(model.transitions - before.transitions).toBe(6);
  });

  it('stops a running execution as ABORTED with the caller error and cause, and keeps it aborted', async () => {
    const arn = await createMachine(planFlow);
    const release = gate();
    let returned: Promise<unknown> | undefined;
    task = () => {
      returned = (async () => {
        await release.opened;
        return { converged: true };
      })();
      return returned;
    };

    const start = await sfn.send(new StartExecutionCommand({ stateMachineArn: arn, name: 'to-stop' }));
    await until(() => calls.length === 1);
    const stopped = await sfn.send(
      new StopExecutionCommand({
        executionArn: start.executionArn,
        error: 'Operator',
        cause: 'wrong target',
      }),
    );
    release.open();
    const done = await finished(start.executionArn!);
    // The released task has returned, and what the execution does with its result runs in the
    // microtasks of that settling (local/sfn/execution.ts bindTask: no timer after invokeTask), which
    // all drain before the next macrotask: after this, a report that did not come will not come.
    await returned;
    await new Promise((resolve) => setImmediate(resolve));
    const after = await sfn.send(new DescribeExecutionCommand({ executionArn: start.executionArn }));
    const events = await history(start.executionArn!);

    expect(done).toMatchObject({ status: 'ABORTED', error: 'Operator', cause: 'wrong target' });
    expect(done.stopDate).toEqual(stopped.stopDate);
    expect(after.status).toBe('ABORTED');
    expect(events.at(-1)).toMatchObject({
      type: 'ExecutionAborted',
      executionAbortedEventDetails: { error: 'Operator', cause: 'wrong target' },
    });
    expect(events.map((e) => e.type)).not.toContain('TaskSucceeded');
    const again = await sfn.send(new StopExecutionCommand({ executionArn: start.executionArn }));
    expect(again.stopDate).toEqual(stopped.stopDate);
  });
});

describe('StartExecution idempotency (Standard)', () => {
  it('returns the same execution for the same name and input while it runs, and refuses a reuse otherwise', async () => {
    const arn = await createMachine(planFlow);
    const release = gate();
    task = async () => {
      await release.opened;
      return { converged: true };
    };
    const request = {
      stateMachineArn: arn,
      name: 'server-b-20261125T120356123',
      input: '{"target":"server-b"}',
    };

    const first = await sfn.send(new StartExecutionCommand(request));
    const retried = await sfn.send(new StartExecutionCommand(request));
    const otherInput = sfn.send(new StartExecutionCommand({ ...request, input: '{"target":"server-a"}' }));
    await expect(otherInput).rejects.toMatchObject({ name: 'ExecutionAlreadyExists' });
    release.open();
    await finished(first.executionArn!);
    const afterClose = sfn.send(new StartExecutionCommand(request));

    expect(retried).toMatchObject({ executionArn: first.executionArn, startDate: first.startDate });
    await expect(afterClose).rejects.toMatchObject({
      name: 'ExecutionAlreadyExists',
      message: `Execution Already Exists: '${first.executionArn}'`,
    });
    expect(calls).toHaveLength(1);
  });
});

describe('listing and paging', () => {
  it('lists executions newest first, page by page, and filters by status', async () => {
    const arn = await createMachine({
      StartAt: 'Check',
      States: {
        Check: {
          Type: 'Choice',
          Choices: [{ Variable: '$.ok', BooleanEquals: true, Next: 'Ok' }],
          Default: 'Bad',
        },
        Ok: { Type: 'Succeed' },
        Bad: { Type: 'Fail', Error: 'Nope' },
      },
    });
    const names = ['run-1', 'run-2', 'run-3', 'run-4', 'run-5'];
    for (const [i, name] of names.entries()) {
      const start = await sfn.send(
        new StartExecutionCommand({ stateMachineArn: arn, name, input: JSON.stringify({ ok: i % 2 === 0 }) }),
      );
      const { startDate } = await finished(start.executionArn!);
      // Distinct start times: the next run starts in a later millisecond than this one.
      await until(() => Date.now() > (startDate?.getTime() ?? 0));
    }

    const seen: string[] = [];
    let nextToken: string | undefined;
    let pages = 0;
    do {
      const page = await sfn.send(
        new ListExecutionsCommand({ stateMachineArn: arn, maxResults: 2, nextToken }),
      );
      expect(page.executions!.length).toBeLessThanOrEqual(2);
      seen.push(...page.executions!.map((e) => e.name!));
      nextToken = page.nextToken;
      pages++;
    } while (nextToken);
    const failed = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn: arn, statusFilter: 'FAILED' }),
    );

    expect(seen).toEqual([...names].reverse());
    expect(pages).toBe(3);
    expect(failed.executions!.map((e) => e.name)).toEqual(['run-4', 'run-2']);
    expect(failed.executions![0]).toMatchObject({ status: 'FAILED', stateMachineArn: arn });
    expect(failed.executions![0]!.stopDate).toBeInstanceOf(Date);
  });

  it('pages the history forwards and in reverse, and leaves out data when asked', async () => {
    const arn = await createMachine(planFlow);
    task = async () => ({ converged: true });
    const start = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: arn, input: '{"target":"server-a"}' }),
    );
    await finished(start.executionArn!);
    const all = await history(start.executionArn!);

    const collect = async (reverseOrder: boolean) => {
      const ids: number[] = [];
      let nextToken: string | undefined;
      do {
        const page = await sfn.send(
          new GetExecutionHistoryCommand({
            executionArn: start.executionArn,
            maxResults: 5,
            reverseOrder,
            nextToken,
          }),
        );
        ids.push(...page.events!.map((e) => e.id!));
        nextToken = page.nextToken;
      } while (nextToken);
      return ids;
    };
    const forwards = await collect(false);
    const backwards = await collect(true);
    const newest = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn: start.executionArn, maxResults: 1, reverseOrder: true }),
    );
    const lean = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn: start.executionArn, includeExecutionData: false }),
    );

    expect(forwards).toEqual(all.map((e) => e.id));
    expect(backwards).toEqual(all.map((e) => e.id).reverse());
    expect(newest.events![0]!.type).toBe('ExecutionSucceeded');
    expect(lean.events![0]!.executionStartedEventDetails?.input).toBeUndefined();
    expect(lean.events!.find((e) => e.type === 'TaskStateEntered')?.stateEnteredEventDetails).toMatchObject({
      name: 'Plan',
    });
    expect(
      lean.events!.find((e) => e.type === 'TaskStateEntered')?.stateEnteredEventDetails?.input,
    ).toBeUndefined();
  });

  it('lists the state machines of the caller region only, page by page', async () => {
    const region = 'eu-west-1';
    const eu = client(region);
    for (const name of ['b-machine', 'a-machine', 'c-machine']) {
      await eu.send(
        new CreateStateMachineCommand({
          name,
          definition: JSON.stringify({ StartAt: 'S', States: { S: { Type: 'Succeed' } } }),
          roleArn: `arn:aws:iam::${ACCOUNT}:role/test`,
        }),
      );
    }

    const first = await eu.send(new ListStateMachinesCommand({ maxResults: 2 }));
    const second = await eu.send(new ListStateMachinesCommand({ maxResults: 2, nextToken: first.nextToken }));

    expect(first.stateMachines!.map((m) => m.name)).toEqual(['a-machine', 'b-machine']);
    expect(second.stateMachines!.map((m) => m.name)).toEqual(['c-machine']);
    expect(second.nextToken).toBeUndefined();
    expect(first.stateMachines![0]).toMatchObject({
      stateMachineArn: smArn('a-machine', region),
      type: 'STANDARD',
    });
    expect(first.stateMachines![0]!.creationDate).toBeInstanceOf(Date);
    const home = await sfn.send(new ListStateMachinesCommand({}));
    expect(home.stateMachines!.map((m) => m.name)).not.toContain('a-machine');
  });
});

describe('state machines', () => {
  it('describes a state machine with its definition', async () => {
    const arn = await createMachine(planFlow, 'described');

    const out = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn: arn }));

    expect(out).toMatchObject({
      stateMachineArn: smArn('described'),
      name: 'described',
      status: 'ACTIVE',
      type: 'STANDARD',
    });
    expect(JSON.parse(out.definition!)).toEqual(planFlow);
  });

  it('treats a repeated identical create as idempotent and a changed definition as a conflict', async () => {
    const arn = await createMachine(planFlow, 'twice');
    const again = await createMachine(planFlow, 'twice');
    const changed = createMachine({ StartAt: 'S', States: { S: { Type: 'Succeed' } } }, 'twice');

    expect(again).toBe(arn);
    await expect(changed).rejects.toMatchObject({ name: 'StateMachineAlreadyExists' });
  });
});

describe('API errors', () => {
  const execArn = `arn:aws:states:${REGION}:${ACCOUNT}:execution:nope:missing`;

  it.each([
    [
      'DescribeExecution of an unknown execution',
      new DescribeExecutionCommand({ executionArn: execArn }),
      'ExecutionDoesNotExist',
    ],
    [
      'GetExecutionHistory of an unknown execution',
      new GetExecutionHistoryCommand({ executionArn: execArn }),
      'ExecutionDoesNotExist',
    ],
    [
      'StopExecution of an unknown execution',
      new StopExecutionCommand({ executionArn: execArn }),
      'ExecutionDoesNotExist',
    ],
    [
      'DescribeExecution with a state machine ARN',
      new DescribeExecutionCommand({ executionArn: smArn('x') }),
      'InvalidArn',
    ],
    [
      'DescribeStateMachine with garbage',
      new DescribeStateMachineCommand({ stateMachineArn: 'not-an-arn' }),
      'InvalidArn',
    ],
    [
      'DescribeStateMachine of an unknown machine',
      new DescribeStateMachineCommand({ stateMachineArn: smArn('ghost') }),
      'StateMachineDoesNotExist',
    ],
    [
      'ListExecutions of an unknown machine',
      new ListExecutionsCommand({ stateMachineArn: smArn('ghost') }),
      'StateMachineDoesNotExist',
    ],
    [
      'StartExecution on an unknown machine',
      new StartExecutionCommand({ stateMachineArn: smArn('ghost') }),
      'StateMachineDoesNotExist',
    ],
    [
      'ListExecutions with maxResults above 1000',
      new ListExecutionsCommand({ stateMachineArn: smArn('ghost'), maxResults: 5000 }),
      'ValidationException',
    ],
    [
      'CreateStateMachine with invalid JSON',
      new CreateStateMachineCommand({
        name: 'bad',
        definition: '{',
        roleArn: 'arn:aws:iam::123456789012:role/r',
      }),
      'InvalidDefinition',
    ],
    [
      'CreateStateMachine with invalid ASL',
      new CreateStateMachineCommand({
        name: 'bad',
        definition: '{"StartAt":"Missing","States":{}}',
        roleArn: 'arn:aws:iam::123456789012:role/r',
      }),
      'InvalidDefinition',
    ],
    [
      'CreateStateMachine with a bad name',
      new CreateStateMachineCommand({
        name: 'has space',
        definition: '{}',
        roleArn: 'arn:aws:iam::123456789012:role/r',
      }),
      'InvalidName',
    ],
  ])('%s', async (_, command, code) => {
    // biome-ignore lint/suspicious/noExplicitAny: one table drives several command types through one client
    await expect(sfn.send(command as any)).rejects.toMatchObject({
      name: code,
      $metadata: { httpStatusCode: 400 },
    });
  });

  it('refuses a bad execution name and input', async () => {
    const arn = await createMachine(planFlow);

    await expect(
      sfn.send(new StartExecutionCommand({ stateMachineArn: arn, name: 'a/b' })),
    ).rejects.toMatchObject({
      name: 'InvalidName',
    });
    await expect(
      sfn.send(new StartExecutionCommand({ stateMachineArn: arn, name: 'x'.repeat(81) })),
    ).rejects.toMatchObject({
      name: 'ValidationException',
    });
    await expect(
      sfn.send(new StartExecutionCommand({ stateMachineArn: arn, input: '{not json' })),
    ).rejects.toMatchObject({
      name: 'InvalidExecutionInput',
    });
    expect(calls).toHaveLength(0);
  });

  it('refuses a page token it did not issue', async () => {
    const arn = await createMachine(planFlow);

    await expect(
      sfn.send(new ListExecutionsCommand({ stateMachineArn: arn, nextToken: 'bm90LWEtdG9rZW4' })),
    ).rejects.toMatchObject({ name: 'InvalidToken' });
  });

  it('answers an unsupported target with UnknownOperationException', async () => {
    const res = await fetch(endpoint, {
      method: 'POST',
      headers: {
        'x-amz-target': 'AWSStepFunctions.DeleteStateMachine',
        'content-type': 'application/x-amz-json-1.0',
      },
      body: '{}',
    });

    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ __type: 'UnknownOperationException' });
  });
});

describe('snapshot and restore', () => {
  it('carries definitions and closed executions into a fresh service', async () => {
    const arn = await createMachine(planFlow, 'persisted');
    task = async () => ({ converged: true });
    const start = await sfn.send(new StartExecutionCommand({ stateMachineArn: arn, name: 'kept' }));
    await finished(start.executionArn!);
    const original = await history(start.executionArn!);

    const copy = createSfnService({ account: ACCOUNT, invokeTask: async () => ({}) });
    copy.restore(JSON.parse(JSON.stringify(service.snapshot())));
    const described = await copy.handle(
      'DescribeExecution',
      { executionArn: start.executionArn },
      { region: REGION },
    );
    const events = await copy.handle(
      'GetExecutionHistory',
      { executionArn: start.executionArn },
      { region: REGION },
    );
    const reuse = await copy.handle(
      'StartExecution',
      { stateMachineArn: arn, name: 'kept' },
      { region: REGION },
    );

    expect(described).toMatchObject({ status: 200, body: { status: 'SUCCEEDED', name: 'kept' } });
    expect((events.body as { events: unknown[] }).events).toHaveLength(original.length);
    expect(reuse).toMatchObject({ status: 400, body: { __type: 'ExecutionAlreadyExists' } });
    expect(() => copy.restore({ version: 2 })).toThrow(/snapshot/);
    await copy.close();
  });

  it('keeps the definition a state machine already has when a snapshot is restored over it', async () => {
    await createMachine(planFlow, 'redeployed');
    const saved = JSON.parse(JSON.stringify(service.snapshot()));
    const fresh = createSfnService({ account: ACCOUNT, invokeTask: async () => ({}) });
    const current = { StartAt: 'S', States: { S: { Type: 'Succeed' } } };
    await fresh.handle(
      'CreateStateMachine',
      {
        name: 'redeployed',
        definition: JSON.stringify(current),
        roleArn: `arn:aws:iam::${ACCOUNT}:role/test`,
      },
      { region: REGION },
    );

    fresh.restore(saved);
    const described = await fresh.handle(
      'DescribeStateMachine',
      { stateMachineArn: smArn('redeployed') },
      { region: REGION },
    );
    const other = await fresh.handle(
      'DescribeStateMachine',
      { stateMachineArn: smArn('persisted') },
      { region: REGION },
    );

    expect(JSON.parse((described.body as { definition: string }).definition)).toEqual(current);
    expect(other.status).toBe(200);
  });
});

describe('close', () => {
  it('aborts the executions still running', async () => {
    const never = gate();
    const local = createSfnService({ account: ACCOUNT, invokeTask: () => never.opened });
    const region = { region: REGION };
    await local.handle(
      'CreateStateMachine',
      { name: 'closing', definition: JSON.stringify(planFlow), roleArn: `arn:aws:iam::${ACCOUNT}:role/test` },
      region,
    );
    const started = await local.handle(
      'StartExecution',
      { stateMachineArn: smArn('closing'), name: 'open' },
      region,
    );
    const { executionArn } = started.body as { executionArn: string };

    await local.close();
    const described = await local.handle('DescribeExecution', { executionArn }, region);

    expect(described.body).toMatchObject({ status: 'ABORTED' });
    expect(described.body).not.toHaveProperty('error');
    never.open();
  });
});
