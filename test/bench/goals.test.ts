import { describe, expect, it } from 'vitest';
import { allOf, ceilingGoal, ratioGoal, speedUpGoal } from '../../bench/goals';
import { cliFloorParts, pointNear500 } from '../../bench/report';
import type { ScalePoint } from '../../bench/scale';

describe('ratio goals', () => {
  it('is met at or under the limit and names the margin', () => {
    // 1,300 / 1,000 = 1.30x: exactly the limit, 0 ms to spare.
    const goal = ratioGoal('seed', 1300, 1000, 1.3, []);

    expect(goal).toMatchObject({ figure: '1.30x', met: true });
    expect(goal.reason).toContain('0 ms to spare');
  });

  it('is missed over the limit and names the excess and the parts above their floors, largest first', () => {
    // 2,000 / 1,000 = 2.00x; allowed 1,300 ms, so 700 ms over; the negative part explains nothing.
    const goal = ratioGoal('seed', 2000, 1000, 1.3, [
      { name: 'cli', ms: 200 },
      { name: 'execution', ms: 500 },
      { name: 'tail', ms: -10 },
    ]);

    expect(goal).toMatchObject({ figure: '2.00x', met: false });
    expect(goal.reason).toBe(
      '2,000 ms against a bound of 1,000 ms: 700 ms over 1.30x; above their floors: execution +500 ms, cli +200 ms',
    );
  });

  it('is not measured when a figure is missing', () => {
    expect(ratioGoal('500 writes', Number.NaN, 1000, 1.15, []).met).toBeNull();
  });
});

describe('speed-up goals', () => {
  it('compares the baseline with the measured time', () => {
    // 9,000 / 3,000 = 3.00x: met; 8,000 / 4,000 = 2.00x: missed, needs 4,000 - 8,000/3 = 1,333 ms less.
    expect(speedUpGoal('cli', 9000, 3000, 3, 'absent')).toMatchObject({ figure: '3.00x', met: true });
    const missed = speedUpGoal('cli', 8000, 4000, 3, 'absent');

    expect(missed).toMatchObject({ figure: '2.00x', met: false });
    expect(missed.reason).toContain('at most 2,667 ms, 1,333 ms less');
  });

  it('says why when the baseline did not run, never a figure', () => {
    expect(speedUpGoal('cli', undefined, 3000, 3, 'aws: not found')).toMatchObject({
      figure: 'n/a',
      met: null,
      reason: 'aws: not found',
    });
  });
});

describe('ceiling goals', () => {
  it('judges each ceiling and all of them together', () => {
    const wall = ceilingGoal('wall', 650, 600, 'ms');
    const rss = ceilingGoal('peak RSS', 80, 100, 'MiB');

    expect(wall).toMatchObject({ figure: '650 ms', met: false, reason: '50 ms over' });
    expect(rss).toMatchObject({ figure: '80 MiB', met: true, reason: '20 MiB to spare' });
    expect(allOf('check', [wall, rss]).met).toBe(false);
    expect(allOf('check', [rss, ceilingGoal('x', undefined, 1, 'ms')]).met).toBeNull();
    expect(allOf('check', [rss, rss]).met).toBe(true);
  });
});

describe('report figures', () => {
  it("puts the CLI's floor at a node start, StartExecution on a new connection and one poll", () => {
    // Realistic profile: 80 ms within a region, TLS setup 2 round trips: 100 + 3 × 80, then 80.
    expect(cliFloorParts(100, 'us-east-1')).toEqual({ startMs: 340, pollMs: 80 });
  });

  it('takes the successful scale point closest to 500 writes, within 450–550', () => {
    const point = (writes: number, error?: string) =>
      ({ tablesPerRegion: writes, vips: 1, regions: 2, writes, ...(error ? { error } : {}) }) as ScalePoint;

    expect(
      pointNear500([point(300), point(460), point(520), point(500, 'States.DataLimitExceeded')])?.writes,
    ).toBe(520);
    expect(pointNear500([point(300), point(600)])).toBeUndefined();
  });
});
