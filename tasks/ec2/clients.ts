/**
 * EC2 clients, one per region, built once and passed in (tests need no module mocking).
 * - Each client retries with a per-call time budget (retry-budget.ts), is paced to a number of
 *   calls in flight per region (pacing.ts), and once throttled, to each action's token bucket
 *   (token-pacing.ts).
 * - Keep-alive agents reuse TLS connections (a new one costs a round trip or two per region); the
 *   connection timeout makes an unreachable region fail fast rather than hang.
 */
import http from 'node:http';
import https from 'node:https';
import { EC2Client } from '@aws-sdk/client-ec2';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import type { AccountAccess } from '../accounts';
import { type AssumeRoleOptions, assumedCredentials } from './assume-role';
import { DEFAULT_MAX_IN_FLIGHT, setPacing } from './pacing';
import { BudgetedRetryStrategy } from './retry-budget';
import {
  type Clock,
  type PacingBuckets,
  type PacingStats,
  pacingMiddleware,
  RegionPacing,
} from './token-pacing';

/**
 * One reusable client per region (build once, pass in, so tests need no module mocking); with `access`,
 * one per region of that account, signed with the credentials of its access role (assume-role.ts).
 */
export type Ec2ClientFor = (region: string, access?: AccountAccess) => EC2Client;

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
   * Buckets that throttled calls are paced to, per kind of action (token-pacing.ts).
   * @default EC2's documented buckets: mutating 50 / 5 per second, non-mutating 100 / 20
   */
  readonly pacing?: PacingBuckets;
  /**
   * @deprecated Throttled calls are paced to the bucket's refill rate (token-pacing.ts) rather than
   * backed off, so this has no effect; it is accepted so that existing callers keep compiling.
   */
  readonly throttlingBaseDelayMs?: number;
  /**
   * Clock of the retry budget, in ms (tests decide when a budget is spent instead of racing it).
   * @default Date.now
   */
  readonly now?: () => number;
  /**
   * Clock of the token pacing (token-pacing.ts): when a bucket refills and how a paced call waits.
   * Tests run it on simulated time, together with a simulated bucket. @default the real clock
   */
  readonly pacingClock?: Clock;
  /** Static credentials (local AWS) or a provider; otherwise the SDK's default provider chain applies. @default the SDK's chain */
  readonly credentials?: StaticCredentials | AwsCredentialIdentityProvider;
  /**
   * Builds the connection agents for up to `maxSockets` connections (a node's proxy and CA bundle,
   * cli/aws/network.ts). @default keep-alive agents that connect directly
   */
  readonly agents?: (maxSockets: number) => Promise<{ httpAgent: http.Agent; httpsAgent: https.Agent }>;
  /** How tables of other accounts are entered (STS region and endpoint). @default the SDK's, in the client's region */
  readonly assumeRole?: AssumeRoleOptions;
}

export interface StaticCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
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
  const credentials = assumedCredentials(options.assumeRole ?? {}, options.credentials);
  return (region, access) => {
    const key = access ? `${region}|${access.role}|${access.sessionName}` : region;
    let client = clients.get(key);
    if (!client) {
      // Clients of an earlier run's session are not needed again (a warm function serves one run after another).
      if (access)
        for (const other of clients.keys())
          if (other.includes(`|${access.role}|`) && !other.endsWith(`|${access.sessionName}`))
            clients.delete(other);
      client = access
        ? buildClient(region, { ...options, credentials: credentials(access, region) })
        : buildClient(region, options);
      clients.set(key, client);
    }
    return client;
  };
}

function buildClient(region: string, options: Ec2ClientOptions): EC2Client {
  const maxAttempts = options.maxAttempts ?? DEFAULTS.maxAttempts;
  const maxInFlight = options.maxInFlight ?? DEFAULTS.maxInFlight;
  const budgetMs = options.budgetMs ?? DEFAULTS.budgetMs;
  const now = options.now ?? Date.now;
  const agent = { keepAlive: true, maxSockets: maxInFlight };
  const client = new EC2Client({
    region,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.credentials
      ? {
          credentials:
            typeof options.credentials === 'function' ? options.credentials : { ...options.credentials },
        }
      : {}),
    maxAttempts,
    retryStrategy: new BudgetedRetryStrategy({ maxAttempts, budgetMs, now }),
    requestHandler: new NodeHttpHandler(async () => ({
      ...(options.agents
        ? await options.agents(maxInFlight)
        : { httpAgent: new http.Agent(agent), httpsAgent: new https.Agent(agent) }),
      connectionTimeout: options.connectionTimeoutMs ?? DEFAULTS.connectionTimeoutMs,
      requestTimeout: options.requestTimeoutMs ?? DEFAULTS.requestTimeoutMs,
      throwOnRequestTimeout: true,
    })),
  });
  setPacing(client, maxInFlight);
  const pacing = new RegionPacing(options.pacing, options.pacingClock);
  client.middlewareStack.add(pacingMiddleware(pacing, budgetMs, now), {
    step: 'initialize',
    name: 'tokenPacingMiddleware',
    priority: 'low',
  });
  regionPacing.set(client, pacing);
  return client;
}

const regionPacing = new WeakMap<EC2Client, RegionPacing>();

/** What token pacing did for each action of a client built here (empty for clients built elsewhere). */
export function pacingStats(client: EC2Client): PacingStats[] {
  return regionPacing.get(client)?.stats() ?? [];
}
