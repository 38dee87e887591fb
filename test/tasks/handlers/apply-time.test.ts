import { afterEach, describe, expect, it } from 'vitest';
import type { PlanOutput } from '../../../tasks/contracts';
import { createTaskHandler } from '../../../tasks/handlers/main';
import { type FakeAws, failoverToB, fakeAws, twoRegionTopology, worldWithServerAActive } from './fake-aws';
import { execution } from './flow';

const topology = twoRegionTopology();

describe('an update task running out of time', () => {
  let aws: FakeAws;
  afterEach(() => {
    aws.ec2.restore();
    aws.sfn.restore();
  });

  const handlerWith = (waveBudgetMs: number) => createTaskHandler({ ...aws.deps, waveBudgetMs });
  const planned = async (): Promise<PlanOutput> =>
    (await handlerWith(5_000)({ task: 'plan', input: failoverToB(), topology, execution })) as PlanOutput;
  const remaining = (ms: number) => ({ getRemainingTimeInMillis: () => ms });

  it('starts no wave when the invocation has less time left than one wave may need, and says so', async () => {
    aws = fakeAws(worldWithServerAActive());
    const plan = await planned();

    await expect(
      handlerWith(5_000)({ task: 'apply', step: 'tgw', topology, plan, execution }, remaining(4_000)),
    ).rejects.toMatchObject({
      name: 'RouteUpdateFailed',
      message: expect.stringMatching(
        /step tgw stopped with \d+ wave\(s\) not started: 4 s of the task's time were left/,
      ),
    });
    expect(aws.writes).toEqual([]);
  });

  it('writes every wave when the time covers them', async () => {
    aws = fakeAws(worldWithServerAActive());
    const plan = await planned();

    const out = (await handlerWith(5_000)(
      { task: 'apply', step: 'tgw', topology, plan, execution },
      remaining(60_000),
    )) as { applied: number; failureCount: number };

    expect(aws.writes.length).toBeGreaterThan(0);
    expect(out).toMatchObject({ applied: aws.writes.length, failureCount: 0 });
  });
});
