/**
 * What the task handlers need from the outside world, built once per process and passed in.
 * `depsFromEnv()` is the one place where the deployed Lambda reads its configuration.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { type Ec2ClientFor, ec2ClientFor } from './ec2/clients';
import type { RunMetrics } from './metrics';
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
 * Step Functions clients, one per region. They give up quickly: the stale-run guard skips a region
 * whose API does not answer rather than hold up a failover.
 */
export function sfnClientFor(): SfnClientFor {
  const clients = new Map<string, SFNClient>();
  return (region) => {
    let client = clients.get(region);
    if (!client) {
      client = new SFNClient({
        region,
        maxAttempts: 3,
        requestHandler: new NodeHttpHandler({ connectionTimeout: 1_000, requestTimeout: 3_000 }),
      });
      clients.set(region, client);
    }
    return client;
  };
}
