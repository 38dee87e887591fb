/**
 * A failover of 80 route tables per region (162 writes) on local AWS under a small mutating bucket
 * (20 burst, 10 per second) so that it runs in seconds and local AWS answers faster than the bucket
 * refills; test/reliability/throttled-failover.test.ts runs 250 tables per region (502 writes) under
 * the documented bucket (50 burst, 5 per second).
 */
import { describe, expect, it } from 'vitest';
import { throttledFailover } from './throttled-failover';

describe('a throttled failover on local AWS', () => {
  it('paces 162 writes to the bucket, converges with no failed change, and a second run writes nothing', async () => {
    const run = await throttledFailover({ tablesPerRegion: 80, bucket: { burst: 20, refillPerSecond: 10 } });

    expect(run.status, run.cause).toBe('SUCCEEDED');
    expect(run.output?.status).toBe('SUCCEEDED');
    expect(run.output?.changes.filter((c) => c.result !== 'applied' && c.result !== 'already-right')).toEqual(
      [],
    );
    expect(run.writes).toBe(162);
    // Paced, not backed off: after each step's first wave (25 calls in flight meet an empty
    // bucket once the burst is spent) hardly any write is throttled again.
    expect(run.throttled).toBeGreaterThan(0);
    expect(run.throttled).toBeLessThan(run.writes / 2);
    // The buckets make each VPC step at least (80 - 20) / 10 per second = 6 s long.
    const took = (name: string) => {
      const step = run.steps.find((s) => s.name === name);
      return (step?.exitedAt?.getTime() ?? 0) - (step?.enteredAt.getTime() ?? 0);
    };
    expect(took('UpdateLocalVpcRoutes')).toBeGreaterThanOrEqual(6000 * 0.95);
    expect(took('UpdateRemoteVpcRoutes')).toBeGreaterThanOrEqual(6000 * 0.95);
    // The timeline names the pacing of each VPC step.
    expect(run.timeline).toMatch(
      /UpdateLocalVpcRoutes: 80 changed, 0 unchanged, paced: \d+ ReplaceRoute in ap-southeast-1 at 10\/s/,
    );
    expect(run.timeline).toMatch(
      /UpdateRemoteVpcRoutes: 80 changed, 0 unchanged, paced: \d+ ReplaceRoute in us-east-1 at 10\/s/,
    );
    expect(run.secondRun).toEqual({ status: 'SUCCEEDED', writes: 0 });
    console.log(
      `162 writes, bucket 20 / 10 per s: ${run.executionMs} ms, bound ${run.boundMs} ms, ratio ${(run.executionMs / run.boundMs).toFixed(3)}, ${run.throttled} throttled\n${run.timeline}`,
    );
  });
});
