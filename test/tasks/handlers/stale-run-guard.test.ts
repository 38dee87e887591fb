import 'aws-sdk-client-mock-vitest/extend';
import { ListExecutionsCommand } from '@aws-sdk/client-sfn';
import { afterEach, describe, expect, it } from 'vitest';
import type { ApplyOutput } from '../../../tasks/contracts';
import { GUARD_WINDOW_MS } from '../../../tasks/stale-run-guard';
import {
  ACCOUNT,
  convergeOnServerB,
  type FakeAws,
  failoverToB,
  fakeAws,
  ID,
  OWN_EXECUTION,
  OWN_NAME,
  REGION_A,
  REGION_B,
  stateMachine,
  twoRegionTopology,
  worldWithServerAActive,
} from './fake-aws';
import { tasks } from './flow';

const topology = twoRegionTopology();
const arnOf = (region: string, name: string) =>
  `arn:aws:states:${region}:${ACCOUNT}:execution:vip-failover-orders-db:${name}`;
const run = (region: string, name: string, startDate: string, status: string) => ({
  executionArn: arnOf(region, name),
  name,
  status,
  startDate: new Date(startDate),
});
const OWN_START = OWN_EXECUTION.startTime;

describe('stale-run guard', () => {
  let aws: FakeAws;
  afterEach(() => {
    aws.ec2.restore();
    aws.sfn.restore();
  });

  it('plans every route, even the right ones, while an older run of the cluster is still running', async () => {
    // The older run passed its own guard before this run began: a write wave of it may still land.
    aws = fakeAws(worldWithServerAActive());
    convergeOnServerB(aws.world);
    aws.world.executions.set(stateMachine(REGION_A), [
      run(REGION_A, 'server-a-20261125T120300000', '2026-11-25T12:03:00Z', 'RUNNING'),
    ]);

    const planned = await tasks(aws, topology).plan(failoverToB());

    expect(planned.converged).toBe(false);
    expect(planned.plan?.unchanged).toEqual([]);
    expect(planned.plan?.changes).toHaveLength(planned.plan?.snapshot.length ?? -1);
    expect(planned.plan?.changes.every((c) => c.previous === c.target && c.action === 'replace')).toBe(true);
    expect(planned.concurrentWith).toEqual([arnOf(REGION_A, 'server-a-20261125T120300000')]);
  });

  it('trusts what it read when the older runs have finished', async () => {
    aws = fakeAws(worldWithServerAActive());
    convergeOnServerB(aws.world);
    aws.world.executions.set(stateMachine(REGION_A), [
      run(REGION_A, 'server-a-20261125T120300000', '2026-11-25T12:03:00Z', 'SUCCEEDED'),
    ]);

    const planned = await tasks(aws, topology).plan(failoverToB());

    expect(planned.converged).toBe(true);
    expect(planned.concurrentWith).toBeUndefined();
  });

  it("lists executions of the cluster's state machine in every cluster region", async () => {
    aws = fakeAws(worldWithServerAActive());

    await tasks(aws, topology).plan(failoverToB());

    expect(aws.sfn).toHaveReceivedCommandWith(ListExecutionsCommand, {
      stateMachineArn: stateMachine(REGION_A),
    });
    expect(aws.sfn).toHaveReceivedCommandWith(ListExecutionsCommand, {
      stateMachineArn: stateMachine(REGION_B),
    });
  });

  it.each(['RUNNING', 'SUCCEEDED'])(
    'stops the plan with Superseded when a newer run in another region is %s',
    async (status) => {
      aws = fakeAws(worldWithServerAActive());
      aws.world.executions.set(stateMachine(REGION_A), [
        run(REGION_A, 'server-a-20261125T120400000', '2026-11-25T12:04:00Z', status),
      ]);

      await expect(tasks(aws, topology).plan(failoverToB())).rejects.toMatchObject({
        name: 'Superseded',
        message: expect.stringContaining(arnOf(REGION_A, 'server-a-20261125T120400000')),
      });
      // The plan's read runs alongside the guard; what matters is that nothing is written.
      const writes = aws.ec2
        .calls()
        .filter((call) => /^(Create|Replace|Delete)/.test(call.args[0].constructor.name));
      expect(writes).toHaveLength(0);
    },
  );

  it('reports Superseded rather than a read failure when both happen in the same plan', async () => {
    aws = fakeAws(worldWithServerAActive());
    aws.world.down.add(REGION_B);
    aws.world.executions.set(stateMachine(REGION_A), [
      run(REGION_A, 'server-a-20261125T120400000', '2026-11-25T12:04:00Z', 'RUNNING'),
    ]);

    await expect(tasks(aws, topology).plan(failoverToB())).rejects.toMatchObject({ name: 'Superseded' });
  });

  it.each(['FAILED', 'ABORTED', 'TIMED_OUT'])('ignores a newer run that ended %s', async (status) => {
    aws = fakeAws(worldWithServerAActive());
    aws.world.executions.set(stateMachine(REGION_A), [
      run(REGION_A, 'server-a-20261125T120400000', '2026-11-25T12:04:00Z', status),
    ]);

    await expect(tasks(aws, topology).plan(failoverToB())).resolves.toMatchObject({ target: 'server-b' });
  });

  it('ignores older runs and the run itself', async () => {
    aws = fakeAws(worldWithServerAActive());
    aws.world.executions.set(stateMachine(REGION_B), [
      run(REGION_B, OWN_NAME, OWN_START, 'RUNNING'),
      run(REGION_B, 'server-a-20261125T110000000', '2026-11-25T11:00:00Z', 'SUCCEEDED'),
    ]);

    await expect(tasks(aws, topology).plan(failoverToB())).resolves.toMatchObject({ target: 'server-b' });
  });

  it('breaks a tie of start times by name', async () => {
    aws = fakeAws(worldWithServerAActive());
    aws.world.executions.set(stateMachine(REGION_A), [
      run(REGION_A, 'server-a-20261125T120356000', OWN_START, 'RUNNING'),
      run(REGION_A, 'server-z-20261125T120356999', OWN_START, 'RUNNING'),
    ]);

    await expect(tasks(aws, topology).plan(failoverToB())).rejects.toMatchObject({
      name: 'Superseded',
      message: expect.stringContaining('server-z-20261125T120356999'),
    });
  });

  it('skips a region whose Step Functions API does not answer, reports it, and still guards the others', async () => {
    aws = fakeAws(worldWithServerAActive());
    aws.world.sfnDown.add(REGION_A);
    aws.world.executions.set(stateMachine(REGION_A), [
      run(REGION_A, 'server-a-20261125T120400000', '2026-11-25T12:04:00Z', 'RUNNING'),
    ]);

    const plan = await tasks(aws, topology).plan(failoverToB());

    expect(plan.converged).toBe(false);
    expect(plan.guardSkipped).toEqual([
      { region: REGION_A, code: 'ECONNREFUSED', message: expect.stringContaining('ECONNREFUSED') },
    ]);
    expect(aws.logs).toContainEqual(
      expect.objectContaining({ level: 'WARN', step: 'plan', guardSkipped: plan.guardSkipped }),
    );

    aws.world.executions.set(stateMachine(REGION_B), [
      run(REGION_B, 'server-a-20261125T120400000', '2026-11-25T12:04:00Z', 'RUNNING'),
    ]);
    await expect(tasks(aws, topology).plan(failoverToB())).rejects.toMatchObject({ name: 'Superseded' });
  });

  it('skips a region whose Step Functions API answers 5xx after the retries', async () => {
    aws = fakeAws(worldWithServerAActive());
    aws.world.sfnErrors.set(REGION_A, { name: 'ServiceUnavailable', status: 503 });

    const plan = await tasks(aws, topology).plan(failoverToB());

    expect(plan.guardSkipped).toEqual([
      { region: REGION_A, code: 'ServiceUnavailable', message: 'ServiceUnavailable' },
    ]);
  });

  it('reports the skipped regions in the output of each update step too', async () => {
    aws = fakeAws(worldWithServerAActive());
    const t = tasks(aws, topology);
    const plan = await t.plan(failoverToB());
    aws.world.sfnDown.add(REGION_A);
    aws.clock.advance(GUARD_WINDOW_MS + 1);

    const applied = await t.apply(plan, 'local-vpc');

    expect(applied.guardSkipped?.map((s) => s.region)).toEqual([REGION_A]);
    expect(aws.logs).toContainEqual(expect.objectContaining({ step: 'local-vpc' }));
  });

  it('reports nothing when every region answered', async () => {
    aws = fakeAws(worldWithServerAActive());

    const plan = await tasks(aws, topology).plan(failoverToB());

    expect(plan.guardSkipped).toBeUndefined();
    expect(aws.logs).toEqual([]);
  });

  it.each([
    ['AccessDeniedException', 'the task role lacks states:ListExecutions on'],
    ['StateMachineDoesNotExist', 'deploy the stack there'],
    ['ThrottlingException', 'retry the failover'],
  ])('fails the run with PreconditionFailed, naming the region, on %s', async (name, fix) => {
    aws = fakeAws(worldWithServerAActive());
    aws.world.sfnErrors.set(REGION_A, { name });

    await expect(tasks(aws, topology).plan(failoverToB())).rejects.toMatchObject({
      name: 'PreconditionFailed',
      message: expect.stringMatching(
        new RegExp(`cannot list the runs of cluster orders-db in ${REGION_A} \\(${name}: .*Fix: .*${fix}`),
      ),
    });
    expect(aws.writes).toHaveLength(0);
  });

  it('makes no listing in a step that has nothing to write, and still lists before a step that has', async () => {
    aws = fakeAws(worldWithServerAActive());
    const t = tasks(aws, topology);
    const plan = await t.plan(failoverToB());
    const listings = () => aws.sfn.commandCalls(ListExecutionsCommand).length;
    const nothing = { ...plan, plan: plan.plan && { ...plan.plan, changes: [] } };

    const before = listings();
    const skipped = await t.apply(nothing, 'local-vpc');
    expect(listings()).toBe(before);
    expect(skipped.applied).toBe(0);
    expect(aws.writes).toHaveLength(0);

    await t.apply(plan, 'local-vpc');
    expect(listings()).toBeGreaterThan(before);
  });

  it('fails an update step on AccessDenied before it writes anything', async () => {
    aws = fakeAws(worldWithServerAActive());
    const t = tasks(aws, topology);
    const plan = await t.plan(failoverToB());
    aws.world.sfnErrors.set(REGION_B, { name: 'AccessDeniedException' });
    aws.clock.advance(GUARD_WINDOW_MS + 1);

    await expect(t.apply(plan, 'local-vpc')).rejects.toMatchObject({
      name: 'PreconditionFailed',
      message: expect.stringContaining(`states:ListExecutions on ${stateMachine(REGION_B)}`),
    });
    expect(aws.writes).toHaveLength(0);
  });

  describe('its window', () => {
    const newerRun = () =>
      run(REGION_A, 'server-a-20261125T120400500', '2026-11-25T12:04:00.500Z', 'RUNNING');
    const listings = () => aws.sfn.commandCalls(ListExecutionsCommand).length;

    it.each([
      [GUARD_WINDOW_MS, 'writes: the newer run started within the window'],
      [GUARD_WINDOW_MS + 1, 'lists again first and stops'],
    ])('an update step %d ms after the listing it inherits %s', async (afterMs) => {
      aws = fakeAws(worldWithServerAActive());
      const t = tasks(aws, topology);
      const plan = await t.plan(failoverToB());
      expect(plan.guardListedAt).toBe(aws.clock.now.toISOString());
      aws.world.executions.set(stateMachine(REGION_A), [newerRun()]);
      aws.clock.advance(afterMs);

      const step = t.apply(plan, 'local-vpc');

      if (afterMs <= GUARD_WINDOW_MS) {
        expect(await step).toMatchObject({ applied: 1, guardAgeMs: GUARD_WINDOW_MS });
      } else {
        await expect(step).rejects.toMatchObject({ name: 'Superseded' });
        expect(aws.writes).toEqual([]);
      }
    });

    it('each step lists for the next one while its last wave is in flight, and the next one writes on it', async () => {
      aws = fakeAws(worldWithServerAActive());
      const t = tasks(aws, topology);
      const plan = await t.plan(failoverToB());
      const regions = 2;
      const applied: Record<string, ApplyOutput> = {};

      const counts: number[] = [];
      for (const [key, step] of [
        ['localVpc', 'local-vpc'],
        ['tgw', 'tgw'],
        ['remoteVpc', 'remote-vpc'],
      ] as const) {
        aws.clock.advance(GUARD_WINDOW_MS / 2);
        const before = listings();
        applied[key] = await t.apply(plan, step, applied);
        counts.push(listings() - before);
      }

      // One listing per region for the next step; the last step has no writing step after it.
      expect(counts).toEqual([regions, regions, 0]);
      expect(applied.localVpc?.guardListedAt).toBeDefined();
      expect(applied.tgw?.guardListedAt).toBeDefined();
      expect(applied.remoteVpc?.guardListedAt).toBeUndefined();
      expect(aws.writes).toHaveLength(plan.plan?.changes.length ?? -1);
    });

    it('a newer run that starts while a step writes stops the next step before its first write', async () => {
      aws = fakeAws(worldWithServerAActive());
      const t = tasks(aws, topology);
      const plan = await t.plan(failoverToB());
      aws.world.executions.set(stateMachine(REGION_A), [newerRun()]);
      // Each step starts a while after the one before: the plan's listing covers the first only.
      const step = 0.6 * GUARD_WINDOW_MS;

      aws.clock.advance(step);
      const local = await t.apply(plan, 'local-vpc');
      const written = aws.writes.length;
      aws.clock.advance(step);

      expect(local.applied).toBe(1);
      expect(local.guardListedAt).toBeUndefined();
      await expect(t.apply(plan, 'tgw', { localVpc: local })).rejects.toMatchObject({ name: 'Superseded' });
      expect(aws.writes).toHaveLength(written);
    });

    it('lists again before a wave that would go out after the window of its listing', async () => {
      aws = fakeAws(worldWithServerAActive());
      const t = tasks(aws, topology);
      const plan = await t.plan(failoverToB());
      // The TGW step has two waves: the first takes longer than the window, and a newer run starts meanwhile.
      aws.onWrite = () => {
        aws.clock.advance(GUARD_WINDOW_MS + 1);
        aws.world.executions.set(stateMachine(REGION_A), [newerRun()]);
      };

      await expect(t.apply(plan, 'tgw')).rejects.toMatchObject({ name: 'Superseded' });
      expect(aws.writes.map((w) => w.table)).toEqual([ID.tgwRtbB]);
    });

    it('a run that finds an older run still RUNNING holds its first write until the window after its start', async () => {
      // This run started at 12:03:57.000; the task's clock says 200 ms later.
      aws = fakeAws(worldWithServerAActive(), new Date(Date.parse(OWN_START) + 200));
      aws.world.executions.set(stateMachine(REGION_A), [
        run(REGION_A, 'server-a-20261125T120300000', '2026-11-25T12:03:00Z', 'RUNNING'),
      ]);
      const slept: number[] = [];
      const sleep = async (ms: number) => {
        slept.push(ms);
        aws.clock.advance(ms);
      };
      const t = tasks({ ...aws, deps: { ...aws.deps, guard: { ...aws.deps.guard, sleep } } }, topology);
      const plan = await t.plan(failoverToB());
      let firstWriteAt: number | undefined;
      aws.onWrite = () => {
        firstWriteAt ??= aws.clock.now.getTime();
      };

      await t.apply(plan, 'local-vpc');

      expect(plan.concurrentWith).toHaveLength(1);
      expect(slept).toEqual([GUARD_WINDOW_MS - 200]);
      expect(firstWriteAt).toBe(Date.parse(OWN_START) + GUARD_WINDOW_MS);
    });
  });
});
