import { describe, expect, it } from 'vitest';
import { describeFailure } from '../../cli/failure';

const awsError = (name: string, message: string) => Object.assign(new Error(message), { name });

describe('describeFailure', () => {
  it('sends a refused call to the node policy', () => {
    const failure = describeFailure(
      awsError(
        'AccessDeniedException',
        'User: arn:aws:sts::123456789012:assumed-role/node/i-1 is not authorized to perform: states:StartExecution',
      ),
      undefined,
    );
    expect(failure.exitCode).toBe(2);
    expect(failure.hint).toContain('vipctl policy --node');
  });

  it("sends a refused AssumeRole to the access role's trust policy, not the node policy", () => {
    const failure = describeFailure(
      awsError(
        'AccessDenied',
        'User: arn:aws:sts::111111111111:assumed-role/node/i-1 is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::222222222222:role/vip-failover-orders-db',
      ),
      undefined,
    );
    expect(failure.exitCode).toBe(2);
    expect(failure.hint).toContain('trust policy');
    expect(failure.hint).toContain('vipctl policy --account');
    expect(failure.hint).not.toContain('--node');
  });
});
