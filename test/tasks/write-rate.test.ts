import { describe, expect, it } from 'vitest';
import type { Change } from '../../tasks/plan';
import type { Step } from '../../tasks/routing';
import { writeRateBound, writeRateWarning } from '../../tasks/write-rate';

/** `count` writes of one kind into one region in one step. */
const writes = (
  count: number,
  step: Step,
  region: string,
  kind: Change['kind'] = 'vpc',
  action: Change['action'] = 'replace',
) => Array.from({ length: count }, () => ({ step, region, kind, action }));

describe('the write-rate bound of a plan (EC2: 50 at once, then 5 per second per region and action)', () => {
  it('is zero while every region and action stays within the burst', () => {
    expect(
      writeRateBound([...writes(50, 'local-vpc', 'ap-southeast-1'), ...writes(50, 'remote-vpc', 'us-east-1')])
        .boundMs,
    ).toBe(0);
  });

  it('adds the steps, each waiting for its slowest bucket: 2,000 writes take 380 s', () => {
    // 250 tables per VPC in two regions, 4 VIPs: 1,000 ReplaceRoute in each VPC step.
    const plan = [
      ...writes(1000, 'local-vpc', 'ap-southeast-1'),
      ...writes(4, 'tgw', 'ap-southeast-1', 'tgw'),
      ...writes(4, 'tgw', 'us-east-1', 'tgw'),
      ...writes(1000, 'remote-vpc', 'us-east-1'),
    ];

    const bound = writeRateBound(plan);

    expect(bound.boundMs).toBe(((1000 - 50) / 5) * 1000 * 2);
    expect(bound.busiest).toEqual({
      step: 'local-vpc',
      region: 'ap-southeast-1',
      action: 'ReplaceRoute',
      writes: 1000,
    });
  });

  it('keeps Create and Replace apart: EC2 buckets each action on its own', () => {
    const plan = [
      ...writes(100, 'local-vpc', 'us-east-1', 'vpc', 'create'),
      ...writes(100, 'local-vpc', 'us-east-1'),
    ];

    expect(writeRateBound(plan).boundMs).toBe(10_000);
  });

  it('counts a bucket written by two steps over the whole run when that is slower', () => {
    // One region holds the new node's VPC and another VPC: 60 + 60 ReplaceRoute share one bucket.
    const plan = [...writes(60, 'local-vpc', 'us-east-1'), ...writes(60, 'remote-vpc', 'us-east-1')];

    expect(writeRateBound(plan).boundMs).toBe(14_000);
  });
});

describe('the write-rate warning', () => {
  it('names the bound, the budget, the busiest bucket and both fixes when the bound exceeds the run budget', () => {
    const warning = writeRateWarning(writeRateBound(writes(1000, 'local-vpc', 'ap-southeast-1')), 110);

    expect(warning).toContain('at least 190 s');
    expect(warning).toContain('run budget of 110 s');
    expect(warning).toContain('1000 ReplaceRoute in ap-southeast-1 in local-vpc');
    expect(warning).toContain('request an EC2 API rate limit increase');
    expect(warning).toContain(
      'https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html#throttling-increase',
    );
    expect(warning).toContain('split the cluster');
  });

  it('says nothing when the writes fit the budget', () => {
    // 502 writes: 250 per VPC step, (250 - 50) / 5 = 40 s each, 80 s in all.
    const plan = [...writes(250, 'local-vpc', 'ap-southeast-1'), ...writes(250, 'remote-vpc', 'us-east-1')];

    expect(writeRateBound(plan).boundMs).toBe(80_000);
    expect(writeRateWarning(writeRateBound(plan), 110)).toBeUndefined();
    expect(writeRateWarning(writeRateBound(plan), 60)).toContain('at least 80 s');
  });
});
