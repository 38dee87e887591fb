/**
 * Scenario 9 on three regions: a run to server-b is slowed down by an unreachable client region while
 * a run to server-a starts and finishes. The stale-run guard stops the run to server-b before its first
 * write; the routes end at server-a.
 *
 * The order is made, not hoped for: the task handlers' retry budgets run on a clock the test holds
 * still, so run B keeps retrying the unreachable region until the test has started run A, however slow
 * the machine; then the clock jumps and both runs give up on that region.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestClock } from '../support/clock';
import { type Cluster, checkInvariants, ROOT, record, routesOf, startCluster } from './harness';

const EU = 'eu-west-1';
const BUDGET_MS = 2500;
const clock = new TestClock();
let cluster: Cluster;

beforeAll(async () => {
  cluster = await startCluster({
    config: `${ROOT}examples/three-region.yaml`,
    budgetMs: BUDGET_MS,
    // While the clock is frozen only the test ends a retry loop, not a count of attempts.
    maxAttempts: 100_000,
    now: clock.now,
  });
});

afterAll(async () => {
  await cluster?.close();
});

const until = async (what: () => Promise<boolean>, timeoutMs = 30_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await what())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

describe('fault matrix (three regions)', () => {
  it('9 crossing runs: a slow run to B is Superseded by a later run to A and writes nothing after it', async (ctx) => {
    const before = routesOf(cluster);
    cluster.local.models.setOutage(EU, true);
    const writesAt: { at: number }[] = [];
    const stop = cluster.local.models.onWrite(() => writesAt.push({ at: Date.now() }));
    clock.freeze();
    try {
      const toB = await cluster.start({ target: 'server-b', requestedAt: new Date().toISOString() });
      // Run B is in Plan, retrying the unreachable region (its budget cannot run out now), and a
      // millisecond has passed since it started, so run A is strictly newer.
      const bStartedAt = (await cluster.executions.describe(toB)).startedAt.getTime();
      await until(async () =>
        (await cluster.executions.history(toB)).some((e) => e.type === 'TaskScheduled'),
      );
      await until(async () => cluster.local.models.stats().refused > 0 && Date.now() > bStartedAt);
      const aStartedAt = Date.now();
      const toA = await cluster.start({ target: 'server-a', requestedAt: new Date().toISOString() });
      clock.resume(10 * BUDGET_MS);

      const [runB, runA] = [await cluster.settle(toB), await cluster.settle(toA)];

      expect(runB.detail.status).toBe('FAILED');
      expect(runB.failure?.error).toBe('Superseded');
      expect(runB.failure?.cause).toContain(toA);
      expect(runB.changes.filter((c) => c.result === 'applied')).toEqual([]);
      expect(runA.detail.output?.status).toBe('DEGRADED');
      // Every write after run A started is one of run A's.
      const byA = runA.changes.filter((c) => c.result === 'applied').length;
      expect(writesAt.filter((w) => w.at >= aStartedAt)).toHaveLength(byA);
      expect(writesAt).toHaveLength(byA);
      const invariants = await checkInvariants(cluster, before, [runB, runA]);
      expect(invariants.problems).toEqual([]);

      cluster.local.models.setOutage(EU, false);
      const repair = await cluster.vipctl(['check', '--active', 'server-a', '--repair', '--json']);
      expect(repair.code, repair.stdout + repair.stderr).toBe(0);
      expect((await cluster.vipctl(['check', '--active', 'server-a'])).code).toBe(0);
      record(ctx, '9 crossing runs B (slow) / A', 'B Superseded, A DEGRADED, repair SUCCEEDED', invariants);
    } finally {
      clock.resume(10 * BUDGET_MS);
      stop();
    }
  });
});
