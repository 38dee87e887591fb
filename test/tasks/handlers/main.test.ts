import { afterEach, describe, expect, it } from 'vitest';
import { depsFromEnv } from '../../../tasks/deps';
import { handler } from '../../../tasks/handlers/main';

describe('Lambda entry and its configuration', () => {
  const saved = process.env.RETRY_BUDGET_MS;
  afterEach(() => {
    if (saved === undefined) delete process.env.RETRY_BUDGET_MS;
    else process.env.RETRY_BUDGET_MS = saved;
  });

  it('reads its configuration on the first call, not at import', async () => {
    // The import above succeeded with this broken value in place before the first call.
    process.env.RETRY_BUDGET_MS = 'soon';

    await expect(handler({ warmup: true })).rejects.toThrow('RETRY_BUDGET_MS must be a positive integer');
  });

  it('refuses a retry budget that is not a positive number of milliseconds', () => {
    expect(() => depsFromEnv({ RETRY_BUDGET_MS: '-5' })).toThrow('RETRY_BUDGET_MS');
    expect(() => depsFromEnv({ RETRY_BUDGET_MS: '2.5' })).toThrow('RETRY_BUDGET_MS');
  });

  it('builds one Step Functions and one EC2 client per region and reuses them', async () => {
    const deps = depsFromEnv({ RETRY_BUDGET_MS: '5000' });

    expect(deps.sfn('eu-west-1')).toBe(deps.sfn('eu-west-1'));
    expect(deps.sfn('eu-west-1')).not.toBe(deps.sfn('us-east-1'));
    expect(deps.ec2('eu-west-1')).toBe(deps.ec2('eu-west-1'));
    await expect(deps.sfn('eu-west-1').config.region()).resolves.toBe('eu-west-1');
    await expect(deps.ec2('us-east-1').config.region()).resolves.toBe('us-east-1');
  });

  it('uses the real clock: a fresh Date at each call, between the readings of the system clock around it', async () => {
    const { now } = depsFromEnv({});

    const before = Date.now();
    const first = now();
    const after = Date.now();
    // Wait (for the condition, not for a time) until the system clock has moved on.
    while (Date.now() <= after) await new Promise((resolve) => setImmediate(resolve));
    const second = now();

    expect(first.getTime()).toBeGreaterThanOrEqual(before);
    expect(first.getTime()).toBeLessThanOrEqual(after);
    expect(second.getTime()).toBeGreaterThan(first.getTime());
    expect(second).not.toBe(first);
  });
});
