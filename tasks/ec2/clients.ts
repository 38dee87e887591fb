/**
 * EC2 clients, one per region, built once and passed in (tests need no module mocking).
 * - Each client retries with a per-call time budget (retry-budget.ts) and is paced to a number of
 *   calls in flight per region (pacing.ts).
 * - Keep-alive agents reuse TLS connections (a new one costs a round trip or two per region); the
 *   connection timeout makes an unreachable region fail fast rather than hang.
 */
import http from 'node:http';
import https from 'node:https';
import { EC2Client } from '@aws-sdk/client-ec2';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { DEFAULT_MAX_IN_FLIGHT, setPacing } from './pacing';
import { BudgetedRetryStrategy } from './retry-budget';

/** One reusable client per region (build once, pass in, so tests need no module mocking). */
export type Ec2ClientFor = (region: string) => EC2Client;

export interface Ec2ClientOptions {
  /** Overrides the SDK's endpoint resolution (local AWS); otherwise AWS_ENDPOINT_URL* and defaults apply. */
  readonly endpoint?: string;
  /** Total time the SDK may spend retrying one call (throttling, 5xx, connection errors). @default 20000 */
  readonly budgetMs?: number;
  /** Attempts per call, the first included; the budget usually ends retrying first. @default 10 */
  readonly maxAttempts?: number;
  /** Calls in flight per region; further calls wait for a slot. @default 25 */
  readonly maxInFlight?: number;
  /** Time to establish a connection before the attempt fails. @default 3000 */
  readonly connectionTimeoutMs?: number;
  /** Time for one attempt (request and response) before it fails. @default 10000 */
  readonly requestTimeoutMs?: number;
  /**
   * Base of the jittered backoff after a throttling error; the SDK's own value unless set
   * (tests lower it). @default the SDK's throttling base (1000 ms)
   */
  readonly throttlingBaseDelayMs?: number;
  /**
   * Clock of the retry budget, in ms (tests decide when a budget is spent instead of racing it).
   * @default Date.now
   */
  readonly now?: () => number;
  /** Static credentials (local AWS); otherwise the SDK's default provider chain applies. @default the SDK's chain */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

const DEFAULTS = {
  budgetMs: 20_000,
  maxAttempts: 10,
  maxInFlight: DEFAULT_MAX_IN_FLIGHT,
  connectionTimeoutMs: 3_000,
  requestTimeoutMs: 10_000,
} as const;

/** Builds one EC2 client per region on first use and returns the same client afterwards. */
export function ec2ClientFor(options: Ec2ClientOptions = {}): Ec2ClientFor {
  const clients = new Map<string, EC2Client>();
  return (region) => {
    let client = clients.get(region);
    if (!client) {
      client = buildClient(region, options);
      clients.set(region, client);
    }
    return client;
  };
}

function buildClient(region: string, options: Ec2ClientOptions): EC2Client {
  const maxAttempts = options.maxAttempts ?? DEFAULTS.maxAttempts;
  const maxInFlight = options.maxInFlight ?? DEFAULTS.maxInFlight;
  const agent = { keepAlive: true, maxSockets: maxInFlight };
  const client = new EC2Client({
    region,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.credentials ? { credentials: { ...options.credentials } } : {}),
    maxAttempts,
    retryStrategy: new BudgetedRetryStrategy({
      maxAttempts,
      budgetMs: options.budgetMs ?? DEFAULTS.budgetMs,
      ...(options.throttlingBaseDelayMs === undefined
        ? {}
        : { throttlingBaseDelayMs: options.throttlingBaseDelayMs }),
      ...(options.now ? { now: options.now } : {}),
    }),
    requestHandler: new NodeHttpHandler({
      httpAgent: new http.Agent(agent),
      httpsAgent: new https.Agent(agent),
      connectionTimeout: options.connectionTimeoutMs ?? DEFAULTS.connectionTimeoutMs,
      requestTimeout: options.requestTimeoutMs ?? DEFAULTS.requestTimeoutMs,
      throwOnRequestTimeout: true,
    }),
  });
  setPacing(client, maxInFlight);
  return client;
}
