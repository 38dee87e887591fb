import { describe, expect, it } from 'vitest';
import { failoverLowerBound, orderedTokenBucketBoundMs, tokenBucketBoundMs } from '../../bench/lower-bound';
import { profileSettings } from '../../local/models';

const realistic = profileSettings('realistic');

describe('failover lower bound', () => {
  it('charges TLS setup on the first read wave only and each write step its slowest region', () => {
    const bound = failoverLowerBound(realistic, {
      origin: 'ap-southeast-1',
      readRegions: ['us-east-1', 'ap-southeast-1'],
      writeSteps: [['ap-southeast-1'], ['ap-southeast-1', 'us-east-1'], ['us-east-1']],
      transitions: 9,
      coldStarts: 1,
    });

    expect(bound).toEqual({
      readWaveMs: 230 * 3,
      writeWavesMs: 80 + 230 + 230,
      verifyWaveMs: 230,
      coldStartMs: 400,
      transitionsMs: 225,
      totalMs: 690 + 540 + 230 + 400 + 225,
    });
  });

  it('is zero with every model off', () => {
    const bound = failoverLowerBound(profileSettings('off'), {
      origin: 'us-east-1',
      readRegions: ['us-east-1', 'eu-west-1'],
      writeSteps: [['us-east-1']],
      transitions: 9,
      coldStarts: 1,
    });

    expect(bound.totalMs).toBe(0);
  });
});

describe('token-bucket bounds', () => {
  const bucket = { burst: 200, refillPerSecond: 5 };

  it('waits for the slowest region+action bucket beyond its burst', () => {
    const writes = new Map([
      ['us-east-1|ReplaceRoute', 500],
      ['ap-southeast-1|ReplaceRoute', 250],
      ['us-east-1|ReplaceTransitGatewayRoute', 3],
    ]);

    expect(tokenBucketBoundMs(writes, bucket, 2000)).toBe(60_000 + 2000);
  });

  it('adds nothing while every bucket stays within its burst', () => {
    expect(tokenBucketBoundMs(new Map([['us-east-1|ReplaceRoute', 200]]), bucket, 1500)).toBe(1500);
  });

  it('sums the per-step waits when steps run one after another', () => {
    const steps = new Map([
      ['local-vpc', new Map([['ap-southeast-1|ReplaceRoute', 250]])],
      ['remote-vpc', new Map([['us-east-1|ReplaceRoute', 300]])],
    ]);

    expect(orderedTokenBucketBoundMs(steps, bucket, 1000)).toBe(10_000 + 20_000 + 1000);
  });
});
