/**
 * Retries with a time budget per call (why they look the way they do):
 * - The SDK's retry middleware retries 5xx and connection errors, with the SDK's
 *   `StandardRetryStrategy` and its jittered exponential backoff.
 * - Throttled calls are not retried here: they go back to the token pacing of their action
 *   (token-pacing.ts), which sends them again when the bucket has a token for them.
 * - The SDK's retry quota (500 tokens shared by every call of a client) is a circuit breaker meant
 *   for a client that sends unrelated calls. A failover writes 200+ routes into one region at once;
 *   a shared quota runs dry and the remaining writes fail although AWS would accept them seconds
 *   later. So each call gets its own strategy instance (its own quota), and the load a failing
 *   region sees is bounded instead by pacing (at most `maxInFlight` calls per region at a time,
 *   pacing.ts), `maxAttempts` and the time budget.
 * - The budget is enforced by the strategy itself: a call stops retrying once `budgetMs` has passed
 *   since its first attempt, and no backoff sleeps past that point. Time spent waiting for a pacing
 *   slot or token does not count, so a long queue of healthy writes does not eat its own budget.
 */
import { DEFAULT_RETRY_DELAY_BASE, MAXIMUM_RETRY_DELAY, StandardRetryStrategy } from '@smithy/util-retry';

/** Full-jitter exponential backoff (the SDK's formula) that never sleeps past the call's deadline. */
class DeadlineBackoff {
  private base = DEFAULT_RETRY_DELAY_BASE;
  constructor(
    private readonly deadline: number,
    private readonly cap: number,
    private readonly now: () => number,
  ) {}
  setDelayBase(ms: number): void {
    this.base = ms;
  }
  computeNextBackoffDelay(retries: number): number {
    const ceiling = Math.min(this.cap, this.base * 2 ** retries);
    return Math.max(0, Math.min(Math.floor(Math.random() * ceiling), this.deadline - this.now()));
  }
}

type RetryToken = Awaited<ReturnType<StandardRetryStrategy['acquireInitialRetryToken']>>;
type RetryErrorInfo = Parameters<StandardRetryStrategy['refreshRetryTokenForRetry']>[1];

/**
 * The SDK's standard strategy, one instance per call (its own retry quota, see the file comment),
 * stopped by a per-call time budget. Implements the SDK's RetryStrategyV2 port.
 */
export class BudgetedRetryStrategy {
  readonly mode = 'standard';
  private readonly calls = new WeakMap<RetryToken, { strategy: StandardRetryStrategy; deadline: number }>();
  private readonly now: () => number;
  constructor(
    private readonly config: {
      maxAttempts: number;
      budgetMs: number;
      /** Clock of the budget (ms). @default Date.now */
      now?: () => number;
    },
  ) {
    this.now = config.now ?? Date.now;
  }

  async acquireInitialRetryToken(scope: string): Promise<RetryToken> {
    const deadline = this.now() + this.config.budgetMs;
    const cap = Math.min(MAXIMUM_RETRY_DELAY, Math.max(1, this.config.budgetMs / 4));
    const strategy = new StandardRetryStrategy({
      maxAttempts: this.config.maxAttempts,
      backoff: new DeadlineBackoff(deadline, cap, this.now),
    });
    const token = await strategy.acquireInitialRetryToken(scope);
    this.calls.set(token, { strategy, deadline });
    return token;
  }

  async refreshRetryTokenForRetry(token: RetryToken, errorInfo: RetryErrorInfo): Promise<RetryToken> {
    const call = this.calls.get(token);
    // Throwing here makes the SDK rethrow the last AWS error, code and $metadata included.
    if (errorInfo.errorType === 'THROTTLING') throw new Error('throttled calls are paced, not retried here');
    if (!call || this.now() >= call.deadline) throw new Error('retry budget spent');
    const next = await call.strategy.refreshRetryTokenForRetry(token, errorInfo);
    this.calls.set(next, call);
    return next;
  }

  recordSuccess(token: RetryToken): void {
    this.calls.get(token)?.strategy.recordSuccess(token);
  }
}
