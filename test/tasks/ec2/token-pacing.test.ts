import { describe, expect, it } from 'vitest';
import { bucketOf, DOCUMENTED_BUCKETS, TokenPacer } from '../../../tasks/ec2/token-pacing';

/** A clock the test moves by hand. */
function manualClock(start = 1_000_000) {
  let now = start;
  return {
    now: () => now,
    sleep: async (ms: number) => {
      now += ms;
    },
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe('TokenPacer', () => {
  it('lets calls through without waiting until a throttle is seen', () => {
    const pacer = new TokenPacer('ReplaceRoute', { burst: 50, refillPerSecond: 5 }, manualClock());

    const waits = Array.from({ length: 200 }, () => pacer.reserve());

    expect(waits.every((w) => w === 0)).toBe(true);
    expect(pacer.engaged).toBe(false);
  });

  it('after a throttle, hands out one token per refill interval, first come first served', () => {
    const clock = manualClock();
    const pacer = new TokenPacer('ReplaceRoute', { burst: 50, refillPerSecond: 5 }, clock);

    pacer.throttled();
    const waits = Array.from({ length: 5 }, () => pacer.reserve());

    expect(waits).toEqual([200, 400, 600, 800, 1000]);
    expect(pacer.snapshot()).toMatchObject({ throttles: 1, pacedCalls: 5, waitedMs: 3000 });
  });

  it('refills to the burst while idle, then paces again at the refill rate', () => {
    const clock = manualClock();
    const pacer = new TokenPacer('ReplaceRoute', { burst: 3, refillPerSecond: 10 }, clock);
    pacer.throttled();

    clock.advance(10_000);
    const waits = Array.from({ length: 5 }, () => pacer.reserve());

    expect(waits).toEqual([0, 0, 0, 100, 200]);
  });

  it('starts over from an empty bucket at each throttle, behind the calls already queued', () => {
    const clock = manualClock();
    const pacer = new TokenPacer('ReplaceRoute', { burst: 10, refillPerSecond: 10 }, clock);
    pacer.throttled();
    expect([pacer.reserve(), pacer.reserve()]).toEqual([100, 200]);

    clock.advance(100);
    pacer.throttled();

    // The call queued for +200 ms keeps its slot; the next one comes one interval after it.
    expect(pacer.peekWait()).toBe(200);
    expect(pacer.reserve()).toBe(200);
  });

  it('refuses a bucket that never refills', () => {
    expect(() => new TokenPacer('ReplaceRoute', { burst: 5, refillPerSecond: 0 })).toThrow(
      /refillPerSecond > 0/,
    );
  });
});

describe('bucketOf', () => {
  it('takes writes from the mutating bucket and reads from the non-mutating one, as EC2 documents', () => {
    expect(bucketOf('ReplaceRoute')).toEqual({ burst: 50, refillPerSecond: 5 });
    expect(bucketOf('CreateTransitGatewayRoute')).toEqual(DOCUMENTED_BUCKETS.mutating);
    expect(bucketOf('DescribeRouteTables')).toEqual({ burst: 100, refillPerSecond: 20 });
    expect(bucketOf('SearchTransitGatewayRoutes')).toEqual(DOCUMENTED_BUCKETS.nonMutating);
  });

  it('uses the buckets it is given', () => {
    const mutating = { burst: 200, refillPerSecond: 40 };

    expect(bucketOf('ReplaceRoute', { mutating })).toBe(mutating);
  });
});
