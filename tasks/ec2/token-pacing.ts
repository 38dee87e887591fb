/**
 * Token-aware pacing per region and action: what a throttled EC2 call waits for before it is sent
 * again, instead of the SDK's jittered backoff.
 *
 * EC2 throttles each account per region and per action with a token bucket: mutating actions
 * 50 burst / 5 per second refill, non-mutating 100 / 20, unfiltered and unpaginated Describe* 50 / 10
 * ("Request throttling for the Amazon EC2 API",
 * https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html#throttling-limits-rate-based).
 * A failover writes hundreds of routes into one region at once, so the bucket empties within the
 * first wave and the rest can go no faster than the refill rate. Jittered backoff finds that rate
 * only by luck: calls collide, some lose again and again, and a call that loses for longer than its
 * retry budget ends as "region unreachable" although the region is only busy.
 *
 * So, once a call of an action is throttled (`RequestLimitExceeded`), that action's calls in that
 * region wait for a token of a client-side model of the bucket: emptied at each throttle and refilled
 * at the documented rate, handed out first come, first served (GCRA, the virtual-scheduling form of a
 * token bucket). A throttled call goes back into that queue rather than into the SDK's backoff.
 * Before the first throttle nothing waits: the bucket may be full, and an account whose quota was
 * raised is never slowed down by the documented figures.
 *
 * The time budget of a throttled call is its own retry budget plus the time the queue ahead of it
 * needs to drain at the refill rate (its wait for its first paced slot). Sustained throttling thus
 * does not end a call while the queue is moving; only a call that keeps being throttled for a whole
 * budget past its turn gives up (and is then reported with the AWS code, RequestLimitExceeded).
 *
 * The SDK's own adaptive retry mode (a CUBIC rate limiter per client) was not used: it has one rate
 * for all actions of a client, while EC2's buckets are per action, and it has to discover the rate
 * by probing, while EC2 documents it.
 */
import type { InitializeMiddleware, MetadataBearer } from '@smithy/types';
import { isThrottling } from './classify-error';

export interface Bucket {
  /** Tokens available at once. */
  readonly burst: number;
  /** Tokens added per second. */
  readonly refillPerSecond: number;
}

/** The documented buckets (see the file comment); our reads always filter by ID, so they are non-mutating. */
export const DOCUMENTED_BUCKETS = {
  mutating: { burst: 50, refillPerSecond: 5 },
  nonMutating: { burst: 100, refillPerSecond: 20 },
} as const satisfies Record<string, Bucket>;

export interface PacingBuckets {
  /** Create*, Replace*, Delete* and the other writes. @default 50 burst, 5 per second */
  readonly mutating?: Bucket;
  /** Describe*, Search*, Get*. @default 100 burst, 20 per second */
  readonly nonMutating?: Bucket;
}

const NON_MUTATING = /^(Describe|Search|Get|List)/;

/** The bucket EC2 takes `action`'s tokens from. */
export function bucketOf(action: string, buckets: PacingBuckets = {}): Bucket {
  return NON_MUTATING.test(action)
    ? (buckets.nonMutating ?? DOCUMENTED_BUCKETS.nonMutating)
    : (buckets.mutating ?? DOCUMENTED_BUCKETS.mutating);
}

export interface Clock {
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** What one action's pacer did, for reports and tests. */
export interface PacingStats {
  readonly action: string;
  /** Throttled answers seen. */
  readonly throttles: number;
  /** Calls that waited for a token. */
  readonly pacedCalls: number;
  /** Total time calls waited for tokens. */
  readonly waitedMs: number;
  /** The refill rate calls are paced to once engaged. */
  readonly refillPerSecond: number;
  /** When the first throttle engaged pacing (ms since the epoch); undefined while not engaged. */
  readonly engagedAt?: number;
}

/** One action's token bucket model in one region. */
export class TokenPacer {
  /** GCRA's theoretical arrival time: when the bucket would be full again with no further calls. */
  private tat = Number.NEGATIVE_INFINITY;
  private stats: Omit<PacingStats, 'action' | 'refillPerSecond'> = {
    throttles: 0,
    pacedCalls: 0,
    waitedMs: 0,
  };

  constructor(
    private readonly action: string,
    private readonly bucket: Bucket,
    private readonly clock: Clock = realClock,
  ) {
    if (!(bucket.refillPerSecond > 0) || !(bucket.burst >= 1)) {
      throw new Error(
        `pacing bucket of ${action} needs burst >= 1 and refillPerSecond > 0 (got ${JSON.stringify(bucket)})`,
      );
    }
  }

  private get interval(): number {
    return 1000 / this.bucket.refillPerSecond;
  }

  private get tolerance(): number {
    return (this.bucket.burst - 1) * this.interval;
  }

  get engaged(): boolean {
    return this.stats.engagedAt !== undefined;
  }

  /** Reserves the next token; returns how long to wait for it (0 while pacing is not engaged). */
  reserve(): number {
    if (!this.engaged) return 0;
    const now = this.clock.now();
    const sendAt = Math.max(now, this.tat - this.tolerance);
    this.tat = Math.max(this.tat, now) + this.interval;
    const wait = sendAt - now;
    if (wait > 0) {
      this.stats = {
        ...this.stats,
        pacedCalls: this.stats.pacedCalls + 1,
        waitedMs: this.stats.waitedMs + wait,
      };
    }
    return wait;
  }

  /** How long a call reserving now would wait, without reserving. */
  peekWait(): number {
    return this.engaged ? Math.max(0, this.tat - this.tolerance - this.clock.now()) : 0;
  }

  /** Waits for the next token; resolves with the time waited. */
  async take(): Promise<number> {
    const wait = this.reserve();
    if (wait > 0) await this.clock.sleep(wait);
    return wait;
  }

  /** EC2 said the bucket is empty: from now on calls wait, and the next token comes one interval later. */
  throttled(): void {
    const now = this.clock.now();
    this.tat = Math.max(this.tat, now + this.tolerance + this.interval);
    this.stats = {
      ...this.stats,
      throttles: this.stats.throttles + 1,
      engagedAt: this.stats.engagedAt ?? now,
    };
  }

  snapshot(): PacingStats {
    return { action: this.action, refillPerSecond: this.bucket.refillPerSecond, ...this.stats };
  }
}

/** The pacers of one region (one client), by action. */
export class RegionPacing {
  private readonly pacers = new Map<string, TokenPacer>();
  constructor(
    private readonly buckets: PacingBuckets = {},
    readonly clock: Clock = realClock,
  ) {}

  of(action: string): TokenPacer {
    let pacer = this.pacers.get(action);
    if (!pacer) {
      pacer = new TokenPacer(action, bucketOf(action, this.buckets), this.clock);
      this.pacers.set(action, pacer);
    }
    return pacer;
  }

  stats(): PacingStats[] {
    return [...this.pacers.values()].map((p) => p.snapshot());
  }
}

type Metadata = { attempts?: number; totalRetryDelay?: number };

const metadataOf = (value: unknown): Metadata | undefined => {
  if (typeof value !== 'object' || value === null) return undefined;
  const holder = value as { $metadata?: Metadata };
  holder.$metadata ??= {};
  return holder.$metadata;
};

/**
 * The middleware that paces every call of a client (outermost, once per call, around the SDK's retry
 * loop, which gives throttled calls back to it; see retry-budget.ts). `budgetClock` only decides when
 * a budget is spent (tests hold it still); tokens follow the pacing's own clock. Counts the attempts of all
 * rounds in `$metadata.attempts` and adds the time waited for tokens to `$metadata.totalRetryDelay`.
 */
export function pacingMiddleware(
  pacing: RegionPacing,
  budgetMs: number,
  budgetClock: () => number = Date.now,
): InitializeMiddleware<object, MetadataBearer> {
  return (next, context) => async (args) => {
    const pacer = pacing.of((context.commandName ?? 'Unknown').replace(/Command$/, ''));
    let attempts = 0;
    let waited = 0;
    let deadline: number | undefined;
    for (;;) {
      waited += await pacer.take();
      try {
        const result = await next(args);
        const meta = metadataOf(result.output);
        if (meta) {
          meta.attempts = attempts + (meta.attempts ?? 1);
          meta.totalRetryDelay = (meta.totalRetryDelay ?? 0) + waited;
        }
        return result;
      } catch (error) {
        const meta = metadataOf(error);
        attempts += meta?.attempts ?? 1;
        if (meta) meta.attempts = attempts;
        if (!isThrottling(error)) throw error;
        pacer.throttled();
        const now = budgetClock();
        // The budget starts at the first throttle and grows by the queue this call joins then.
        deadline ??= now + budgetMs + pacer.peekWait();
        if (now >= deadline) throw error;
      }
    }
  };
}
