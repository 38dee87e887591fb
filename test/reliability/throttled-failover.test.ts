/**
 * A failover of 250 route tables per region (502 writes) under EC2's documented mutating bucket,
 * 50 burst / 5 per second per region and action
 * (https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html#throttling-limits-rate-based):
 * it converges with no failed change, its update steps show the pacing, and a second run writes nothing.
 * How fast it converges against the ordered token-bucket bound is a speed target, measured by the
 * benchmarks (bench/, `npm run bench`), not asserted here. About 90 s, so it runs in
 * `npm run test:reliability` only (which sets
 * VIP_FULL_RELIABILITY=1), not in `npm test`; a smaller run with a faster refill is part of `npm test`
 * (test/tasks/ec2/throttled-failover.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { throttledFailover } from '../tasks/ec2/throttled-failover';
import { record } from './harness';

describe.runIf(process.env.VIP_FULL_RELIABILITY === '1')('throttling (documented buckets)', () => {
  it('502 writes under 50 / 5 per s -> SUCCEEDED, no failed change, paced in every VPC step, then 0 writes', async (ctx) => {
    // Step Functions' 256 KiB payload quota is on, as on AWS: the run keeps its plan and step results in
    // the run bucket (tasks/state-size.ts).
    const run = await throttledFailover({
      tablesPerRegion: 250,
      bucket: { burst: 50, refillPerSecond: 5 },
    });

    expect(run.status, run.cause).toBe('SUCCEEDED');
    expect(run.output?.status).toBe('SUCCEEDED');
    expect(run.output?.changes.filter((c) => c.result !== 'applied' && c.result !== 'already-right')).toEqual(
      [],
    );
    expect(run.writes).toBe(502);
    // Paced, not backed off: the bucket was emptied (calls were throttled), and both VPC steps waited
    // for tokens at the documented refill rate, as the timeline of `vipctl show` names it.
    expect(run.throttled).toBeGreaterThan(0);
    expect(run.timeline).toMatch(
      /UpdateLocalVpcRoutes: 250 changed, 0 unchanged, paced: \d+ ReplaceRoute in ap-southeast-1 at 5\/s/,
    );
    expect(run.timeline).toMatch(
      /UpdateRemoteVpcRoutes: 250 changed, 0 unchanged, paced: \d+ ReplaceRoute in us-east-1 at 5\/s/,
    );
    expect(run.secondRun).toEqual({ status: 'SUCCEEDED', writes: 0 });
    const ratio = (run.executionMs / run.boundMs).toFixed(3);
    console.log(
      `502 writes, bucket 50 / 5 per s: ${run.executionMs} ms, bound ${run.boundMs} ms, ratio ${ratio}, ${run.throttled} throttled\n${run.timeline}`,
    );
    record(
      ctx,
      '502 writes, documented buckets (50 / 5 per s)',
      `SUCCEEDED in ${(run.executionMs / 1000).toFixed(1)} s (${ratio}x the bound; the goal is bench's), ${run.throttled} throttled, 0 failed; second run 0 writes`,
    );
  }, 300_000);
});
