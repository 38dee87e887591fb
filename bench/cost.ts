/** Benchmark 5: what failovers cost on Step Functions Standard and Lambda (list prices, us-east-1). */

/** https://aws.amazon.com/step-functions/pricing/ : $0.025 per 1,000 state transitions. */
export const PRICE_PER_TRANSITION = 0.025 / 1000;
/** https://aws.amazon.com/lambda/pricing/ : $0.20 per 1M requests. */
export const PRICE_PER_REQUEST = 0.2 / 1_000_000;
/** Lambda duration on Arm (the stack's architecture): $0.0000133334 per GB-second. */
export const PRICE_PER_GB_SECOND_ARM = 0.0000133334;
/** The task function's memory in workflow/stack.ts. */
export const MEMORY_MB = 512;

export interface FailoverCost {
  readonly transitions: number;
  readonly invocations: number;
  readonly gbSeconds: number;
  readonly per1000: { transitions: number; requests: number; duration: number; total: number };
}

/** Cost of 1,000 failovers from one failover's transitions and Lambda durations (billed per ms). */
export function failoverCost(
  transitions: number,
  durationsMs: readonly number[],
  memoryMb = MEMORY_MB,
): FailoverCost {
  const gbSeconds = durationsMs.reduce((sum, ms) => sum + (Math.ceil(ms) / 1000) * (memoryMb / 1024), 0);
  const perRun = {
    transitions: transitions * PRICE_PER_TRANSITION,
    requests: durationsMs.length * PRICE_PER_REQUEST,
    duration: gbSeconds * PRICE_PER_GB_SECOND_ARM,
  };
  const per1000 = {
    transitions: perRun.transitions * 1000,
    requests: perRun.requests * 1000,
    duration: perRun.duration * 1000,
    total: (perRun.transitions + perRun.requests + perRun.duration) * 1000,
  };
  return { transitions, invocations: durationsMs.length, gbSeconds, per1000 };
}
