/**
 * What the task handlers need from the outside world, built once per process and passed in.
 * `depsFromEnv()` is the one place where the deployed Lambda reads its configuration.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { type Ec2ClientFor, ec2ClientFor } from './ec2/clients';
import type { RunMetrics } from './metrics';
import { BudgetedRetryStrategy } from './ec2/retry-budget';
import { type RunStore, S3_CLIENT_DEFAULTS, s3RunStore } from './run-store';

export type SfnClientFor = (region: string) => SFNClient;

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
    ec2: ec2ClientFor({ budgetMs: retryBudgetMs(env.RETRY_BUDGET_MS) }),
    sfn: sfnClientFor(),
    ...(env.RUN_BUCKET ? { store: s3RunStore(env.RUN_BUCKET, new S3Client({ ...S3_CLIENT_DEFAULTS })) } : {}),
    now: () => new Date(),
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
 * How the stale-run guard's Step Functions calls retry: the SDK's standard strategy (throttling backs
 * off from a larger base than network errors and 5xx) within 5 s per call, and at most 6 attempts. So
 * a throttled ListExecutions (`ThrottlingException`, refill 2 or 5 per second:
 * https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html#service-limits-api-action-throttling-general)
 * is survived within the budget, while a region that refuses connections is given up within about
 * 3 s and one that hangs within the budget.
 */
export const SFN_GUARD_RETRY = { maxAttempts: 6, budgetMs: 5_000 } as const;

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
