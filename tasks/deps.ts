/**
 * What the task handlers need from the outside world, built once per process and passed in.
 * `depsFromEnv()` is the one place where the deployed Lambda reads its configuration.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { type Ec2ClientFor, ec2ClientFor } from './ec2/clients';
import { BudgetedRetryStrategy } from './ec2/retry-budget';
import type { RunMetrics } from './metrics';
import { type RunStore, S3_CLIENT_DEFAULTS, s3RunStore } from './run-store';
import type { GuardOptions, SfnClientFor } from './stale-run-guard';
import { WAVE_MARGIN_MS } from './time-budget';

export interface TaskDeps {
  /** One EC2 client per region, reused across invocations. */
  readonly ec2: Ec2ClientFor;
  /** One Step Functions client per region (the stale-run guard lists executions in every cluster region). */
  readonly sfn: SfnClientFor;
  /**
   * The stack's run bucket: where a run whose record would not fit the state data keeps it
   * (tasks/state-size.ts). Without one, every record stays in the state.
   */
  readonly store?: RunStore;
  /** The clock; tasks read time only through this. */
  readonly now: () => Date;
  /** Where the run metrics go (DESIGN section 9). @default - not published */
  readonly publishMetrics?: (metrics: RunMetrics) => void;
  /**
   * The time one write wave may need (a call's retry budget plus a margin): an update task starts no
   * wave when less of the invocation is left (tasks/time-budget.ts). @default no such check
   */
  readonly waveBudgetMs?: number;
  /**
   * How the stale-run guard waits out throttling (tests shorten it).
   * @default the documented ListExecutions bucket's refill time (tasks/stale-run-guard.ts)
   */
  readonly guard?: Pick<GuardOptions, 'budgetMs' | 'throttledBudgetMs' | 'now' | 'sleep'>;
  /** The run budget (the state machine's TimeoutSeconds), for the plan's write-rate warning. @default 110 */
  readonly runBudgetSeconds?: number;
  /** One structured log record (the function's log group). @default none */
  readonly log?: (record: Record<string, unknown>) => void;
}

/** @default 20000 when RETRY_BUDGET_MS is unset. */
const DEFAULT_RETRY_BUDGET_MS = 20_000;

/**
 * Deps of the deployed function. Endpoints and credentials follow the SDK's own conventions
 * (`AWS_ENDPOINT_URL*`, the Lambda role); the retry budget and the run bucket (`RUN_BUCKET`, set by
 * the stack; the function runs in the bucket's region) are ours.
 */
export function depsFromEnv(env: NodeJS.ProcessEnv = process.env): TaskDeps {
  return {
    // Other accounts' roles are assumed at the STS endpoint of the function's own region.
    ec2: ec2ClientFor({
      budgetMs: retryBudgetMs(env.RETRY_BUDGET_MS),
      assumeRole: env.AWS_REGION ? { region: env.AWS_REGION } : {},
    }),
    waveBudgetMs: retryBudgetMs(env.RETRY_BUDGET_MS) + WAVE_MARGIN_MS,
    sfn: sfnClientFor(),
    ...(env.RUN_BUCKET ? { store: s3RunStore(env.RUN_BUCKET, new S3Client({ ...S3_CLIENT_DEFAULTS })) } : {}),
    now: () => new Date(),
    ...(Number(env.RUN_BUDGET_MS) > 0 ? { runBudgetSeconds: Number(env.RUN_BUDGET_MS) / 1000 } : {}),
    log: (record) => console.log(JSON.stringify(record)),
  };
}

function retryBudgetMs(raw: string | undefined): number {
  if (raw === undefined || raw.trim() === '') return DEFAULT_RETRY_BUDGET_MS;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) {
    throw new Error(`RETRY_BUDGET_MS must be a positive integer of milliseconds, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/**
 * How the stale-run guard's Step Functions calls retry: the SDK's standard strategy (retry quota and
 * error classification) with up to 6 attempts and full-jitter backoff capped at 2 s, within 8 s. So a
 * region that refuses connections, hangs or answers 5xx is given up within the guard's 8 s listing
 * budget. Throttling (`ThrottlingException`) is not retried here: the guard itself waits it out, for
 * as long as the documented ListExecutions bucket takes to refill (tasks/stale-run-guard.ts), so that
 * lasting throttling is neither mistaken for an unreachable region nor cut short by this budget.
 * (The EC2 adapter's strategy does not retry throttling either: it paces instead.)
 */
export const SFN_GUARD_RETRY = { maxAttempts: 6, budgetMs: 8_000 } as const;

export interface SfnClientOptions {
  /** @default the SDK's (AWS_ENDPOINT_URL_SFN, ...) */
  readonly endpoint?: string;
  /** @default the SDK's credential chain */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** @default 3000 */
  readonly requestTimeoutMs?: number;
}

/**
 * Step Functions clients, one per region, for the stale-run guard. A request that gets no answer
 * within 3 s fails (`throwOnRequestTimeout`: without it, @smithy/node-http-handler 4.x only logs a
 * warning when `requestTimeout` passes and keeps waiting), and is retried within the budget.
 */
export function sfnClientFor(options: SfnClientOptions = {}): SfnClientFor {
  const clients = new Map<string, SFNClient>();
  return (region) => {
    let client = clients.get(region);
    if (!client) {
      client = new SFNClient({
        region,
        ...(options.endpoint ? { endpoint: options.endpoint } : {}),
        ...(options.credentials ? { credentials: options.credentials } : {}),
        retryStrategy: new BudgetedRetryStrategy(SFN_GUARD_RETRY),
        requestHandler: new NodeHttpHandler({
          connectionTimeout: 1_000,
          requestTimeout: options.requestTimeoutMs ?? 3_000,
          throwOnRequestTimeout: true,
        }),
      });
      clients.set(region, client);
    }
    return client;
  };
}
