/**
 * The only file that talks to EC2. Reads a whole topology's VIP routes and resource health in one
 * concurrent wave, applies route changes concurrently as create-or-replace, and classifies errors.
 * Turns SDK shapes into domain types (world.ts, plan.ts) at the border.
 *
 * Retries, pacing and the time budget (why they look the way they do):
 * - The SDK's retry middleware does the retrying, with the SDK's `StandardRetryStrategy` and its
 *   jittered exponential backoff (throttling errors back off from a larger base than 5xx).
 * - The SDK's retry quota (500 tokens shared by every call of a client, 5 per throttled retry) is a
 *   circuit breaker meant for a client that sends unrelated calls. A failover writes 200+ routes
 *   into one region at once; under throttling the shared quota runs dry after ~100 retries and the
 *   remaining writes fail although AWS would accept them seconds later. So each call gets its own
 *   strategy instance (its own quota), and the load a throttled region sees is bounded instead by
 *   pacing (at most `maxInFlight` calls per region at a time), `maxAttempts` and the time budget.
 * - The budget is enforced by the strategy itself: a call stops retrying once `budgetMs` has passed
 *   since its first attempt, and no backoff sleeps past that point. Time spent waiting for a pacing
 *   slot does not count, so a long queue of healthy writes does not eat its own budget.
 * - Keep-alive agents reuse TLS connections (a new one costs a round trip or two per region); the
 *   connection timeout makes an unreachable region fail fast rather than hang.
 */
import http from 'node:http';
import https from 'node:https';
import {
  CreateRouteCommand,
  CreateTransitGatewayRouteCommand,
  EC2Client,
  paginateDescribeInstances,
  paginateDescribeNetworkInterfaces,
  paginateDescribeRouteTables,
  paginateDescribeTransitGatewayAttachments,
  paginateDescribeTransitGatewayPeeringAttachments,
  paginateDescribeTransitGatewayRouteTables,
  paginateDescribeTransitGatewayVpcAttachments,
  paginateDescribeVpcs,
  ReplaceRouteCommand,
  ReplaceTransitGatewayRouteCommand,
  SearchTransitGatewayRoutesCommand,
} from '@aws-sdk/client-ec2';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import {
  DEFAULT_RETRY_DELAY_BASE,
  MAXIMUM_RETRY_DELAY,
  Retry,
  StandardRetryStrategy,
} from '@smithy/util-retry';
import { z } from 'zod';
import { NETWORK_ERROR_CODES } from './network-errors';
import type { Change, ChangeResult } from './plan';
import { regionsOf } from './routing';
import type { Topology } from './topology';
import type { Health, Observation, ObservedRoute, RegionFault } from './world';

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
  /** Static credentials (local AWS); otherwise the SDK's default provider chain applies. @default the SDK's chain */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

/** How an AWS error should be handled. */
export type ErrorClass = 'transient' | 'permanent' | 'unreachable';

export interface ClassifiedError {
  readonly class: ErrorClass;
  /** AWS error code (`RequestLimitExceeded`, `InvalidRouteTableID.NotFound`) or network code (`ECONNREFUSED`). */
  readonly code: string;
  readonly message: string;
}

/** An EC2 call failed in a way the caller must act on; keeps the AWS code and the original error. */
export class Ec2Error extends Error {
  override name = 'Ec2Error';
  readonly code: string;
  readonly region: string;
  readonly errorClass: ErrorClass;
  constructor(
    message: string,
    details: { code: string; region: string; errorClass: ErrorClass; cause?: unknown },
  ) {
    super(message, { cause: details.cause });
    this.code = details.code;
    this.region = details.region;
    this.errorClass = details.errorClass;
  }
}

// ---------------------------------------------------------------------------------------------
// Clients, retries and pacing
// ---------------------------------------------------------------------------------------------

const DEFAULTS = {
  budgetMs: 20_000,
  maxAttempts: 10,
  // Once a bucket is empty, each call in flight waits about maxInFlight / refill rate for a token
  // (25 / 5 per second = 5 s), well inside the retry budget. 100 in flight saved round trips on
  // unthrottled 100-table steps but made throttled calls outlive the budget (measured in bench/).
  maxInFlight: 25,
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
    }),
    requestHandler: new NodeHttpHandler({
      httpAgent: new http.Agent(agent),
      httpsAgent: new https.Agent(agent),
      connectionTimeout: options.connectionTimeoutMs ?? DEFAULTS.connectionTimeoutMs,
      requestTimeout: options.requestTimeoutMs ?? DEFAULTS.requestTimeoutMs,
      throwOnRequestTimeout: true,
    }),
  });
  pacers.set(client, new Pacer(maxInFlight));
  return client;
}

/**
 * Full-jitter exponential backoff (the SDK's formula) that never sleeps past the call's deadline.
 * The SDK tells it the base: larger after throttling than after a 5xx.
 */
class DeadlineBackoff {
  private base = DEFAULT_RETRY_DELAY_BASE;
  constructor(
    private readonly deadline: number,
    private readonly cap: number,
    private readonly throttlingBase: number | undefined,
  ) {}
  setDelayBase(ms: number): void {
    this.base =
      ms === Retry.throttlingDelay() && this.throttlingBase !== undefined ? this.throttlingBase : ms;
  }
  computeNextBackoffDelay(retries: number): number {
    const ceiling = Math.min(this.cap, this.base * 2 ** retries);
    return Math.max(0, Math.min(Math.floor(Math.random() * ceiling), this.deadline - Date.now()));
  }
}

type RetryToken = Awaited<ReturnType<StandardRetryStrategy['acquireInitialRetryToken']>>;
type RetryErrorInfo = Parameters<StandardRetryStrategy['refreshRetryTokenForRetry']>[1];

/**
 * The SDK's standard strategy, one instance per call (its own retry quota, see the file comment),
 * stopped by a per-call time budget. Implements the SDK's RetryStrategyV2 port.
 */
class BudgetedRetryStrategy {
  readonly mode = 'standard';
  private readonly calls = new WeakMap<RetryToken, { strategy: StandardRetryStrategy; deadline: number }>();
  constructor(
    private readonly config: { maxAttempts: number; budgetMs: number; throttlingBaseDelayMs?: number },
  ) {}

  async acquireInitialRetryToken(scope: string): Promise<RetryToken> {
    const deadline = Date.now() + this.config.budgetMs;
    const cap = Math.min(MAXIMUM_RETRY_DELAY, Math.max(1, this.config.budgetMs / 4));
    const strategy = new StandardRetryStrategy({
      maxAttempts: this.config.maxAttempts,
      backoff: new DeadlineBackoff(deadline, cap, this.config.throttlingBaseDelayMs),
    });
    const token = await strategy.acquireInitialRetryToken(scope);
    this.calls.set(token, { strategy, deadline });
    return token;
  }

  async refreshRetryTokenForRetry(token: RetryToken, errorInfo: RetryErrorInfo): Promise<RetryToken> {
    const call = this.calls.get(token);
    // Throwing here makes the SDK rethrow the last AWS error, code and $metadata included.
    if (!call || Date.now() >= call.deadline) throw new Error('retry budget spent');
    const next = await call.strategy.refreshRetryTokenForRetry(token, errorInfo);
    this.calls.set(next, call);
    return next;
  }

  recordSuccess(token: RetryToken): void {
    this.calls.get(token)?.strategy.recordSuccess(token);
  }
}

/** At most `limit` tasks at a time; the rest wait in arrival order. */
class Pacer {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly limit: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}

const pacers = new WeakMap<EC2Client, Pacer>();

/** The region's pacer; clients built elsewhere (tests) get the default limit. */
function paced<T>(client: EC2Client, task: () => Promise<T>): Promise<T> {
  let pacer = pacers.get(client);
  if (!pacer) {
    pacer = new Pacer(DEFAULTS.maxInFlight);
    pacers.set(client, pacer);
  }
  return pacer.run(task);
}

// ---------------------------------------------------------------------------------------------
// Error classification
// ---------------------------------------------------------------------------------------------

const TIMEOUT_NAMES = new Set(['TimeoutError', 'AbortError', 'RequestTimeout', 'RequestTimeoutException']);
const THROTTLING_CODES = new Set([
  'RequestLimitExceeded',
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'SlowDown',
  'EC2ThrottledException',
  'BandwidthLimitExceeded',
  'PriorRequestNotComplete',
  'TransactionInProgressException',
]);
const SERVER_CODES = new Set(['InternalError', 'InternalFailure', 'ServiceUnavailable', 'Unavailable']);

const ErrorFields = z.object({
  name: z.string().optional(),
  code: z.string().optional(),
  Code: z.string().optional(),
  message: z.string().optional(),
  errors: z.array(z.unknown()).optional(),
  cause: z.unknown().optional(),
  $fault: z.string().optional(),
  $metadata: z.object({ httpStatusCode: z.number().optional(), attempts: z.number().optional() }).optional(),
});

function fieldsOf(error: unknown): z.infer<typeof ErrorFields> {
  if (typeof error !== 'object' || error === null) return { message: String(error) };
  const parsed = ErrorFields.safeParse({
    name: (error as { name?: unknown }).name,
    code: (error as { code?: unknown }).code,
    Code: (error as { Code?: unknown }).Code,
    message: (error as { message?: unknown }).message,
    errors: (error as { errors?: unknown }).errors,
    cause: (error as { cause?: unknown }).cause,
    $fault: (error as { $fault?: unknown }).$fault,
    $metadata: (error as { $metadata?: unknown }).$metadata,
  });
  return parsed.success ? parsed.data : { message: String(error) };
}

/** The network error code of `error`, its cause chain or (Node's happy-eyeballs) its aggregated errors. */
function networkCode(error: unknown, depth = 0): { code: string; message: string } | undefined {
  if (depth > 4) return undefined;
  const f = fieldsOf(error);
  if (f.code && NETWORK_ERROR_CODES.has(f.code)) {
    const inner = f.errors?.map((e) => fieldsOf(e).message).find(Boolean);
    return { code: f.code, message: f.message || inner || f.code };
  }
  for (const inner of [...(f.errors ?? []), f.cause]) {
    const found = inner === undefined ? undefined : networkCode(inner, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/**
 * Transient (throttling, 5xx): retrying later helps. Permanent (access denied, bad IDs, any other
 * 4xx): fail fast. Unreachable (connection refused, DNS failure, timeouts, budget abort): the
 * region's API could not be reached. AWS code and message are kept.
 */
export function classifyError(error: unknown): ClassifiedError {
  if (error instanceof Ec2Error) {
    return { class: error.errorClass, code: error.code, message: error.message };
  }
  const network = networkCode(error);
  if (network) return { class: 'unreachable', ...network };
  const f = fieldsOf(error);
  const code = f.Code ?? (f.name && f.name !== 'Error' ? f.name : undefined) ?? f.code ?? 'UnknownError';
  const message = f.message || code;
  if (TIMEOUT_NAMES.has(code)) return { class: 'unreachable', code, message };
  const status = f.$metadata?.httpStatusCode;
  if (THROTTLING_CODES.has(code) || status === 429) return { class: 'transient', code, message };
  if (SERVER_CODES.has(code) || (status !== undefined && status >= 500) || f.$fault === 'server') {
    return { class: 'transient', code, message };
  }
  return { class: 'permanent', code, message };
}

/** Attempts the SDK made for a call that ended in `error` (1 when the error carries no metadata). */
function attemptsOf(error: unknown): number {
  return fieldsOf(error).$metadata?.attempts ?? 1;
}

// ---------------------------------------------------------------------------------------------
// Reading the world
// ---------------------------------------------------------------------------------------------

/** What one region must answer. */
interface RegionQuery {
  readonly vpcTables: string[];
  readonly tgwTables: string[];
  readonly attachments: string[];
  readonly networkInterfaces: string[];
  readonly instances: string[];
}

function queriesOf(topology: Topology): Map<string, RegionQuery> {
  const queries = new Map<string, RegionQuery>(
    regionsOf(topology).map((region) => [
      region,
      { vpcTables: [], tgwTables: [], attachments: [], networkInterfaces: [], instances: [] },
    ]),
  );
  const at = (region: string) => queries.get(region)!;
  for (const vpc of Object.values(topology.vpcs)) {
    at(vpc.region).vpcTables.push(...vpc.routeTables);
    at(vpc.region).attachments.push(vpc.attachment);
  }
  for (const tgw of Object.values(topology.transitGateways))
    at(tgw.region).tgwTables.push(...tgw.routeTables);
  // A peering attachment has the same ID on both sides; each side reports its own view of it.
  for (const peering of topology.peerings) {
    for (const side of peering.between) {
      const tgw = topology.transitGateways[side];
      if (tgw) at(tgw.region).attachments.push(peering.attachment);
    }
  }
  for (const node of Object.values(topology.nodes)) {
    const vpc = topology.vpcs[node.vpc];
    if (!vpc) continue;
    at(vpc.region).networkInterfaces.push(node.eni);
    at(vpc.region).instances.push(node.instance);
  }
  for (const query of queries.values()) {
    for (const list of Object.values(query) as string[][]) list.splice(0, list.length, ...new Set(list));
  }
  return queries;
}

const VpcRoute = z.object({
  DestinationCidrBlock: z.string().optional(),
  State: z.string().optional(),
  NetworkInterfaceId: z.string().optional(),
  TransitGatewayId: z.string().optional(),
  GatewayId: z.string().optional(),
  InstanceId: z.string().optional(),
  VpcPeeringConnectionId: z.string().optional(),
  NatGatewayId: z.string().optional(),
  LocalGatewayId: z.string().optional(),
  CarrierGatewayId: z.string().optional(),
  EgressOnlyInternetGatewayId: z.string().optional(),
  CoreNetworkArn: z.string().optional(),
});
type VpcRoute = z.infer<typeof VpcRoute>;
const RouteTables = z.array(z.object({ RouteTableId: z.string(), Routes: z.array(VpcRoute).default([]) }));
const TgwRoutes = z.array(
  z.object({
    DestinationCidrBlock: z.string().optional(),
    State: z.string().optional(),
    TransitGatewayAttachments: z
      .array(z.object({ TransitGatewayAttachmentId: z.string().optional() }))
      .default([]),
  }),
);
const Attachments = z.array(
  z.object({ TransitGatewayAttachmentId: z.string(), State: z.string().default('unknown') }),
);
const NetworkInterfaces = z.array(
  z.object({
    NetworkInterfaceId: z.string(),
    Status: z.string().default('unknown'),
    Attachment: z.object({ InstanceId: z.string().optional() }).optional(),
  }),
);
const Instances = z.array(
  z.object({
    InstanceId: z.string(),
    State: z.object({ Name: z.string().default('unknown') }).default({ Name: 'unknown' }),
    SourceDestCheck: z.boolean().default(true),
  }),
);

/**
 * The target of a VPC route. An instance route carries both InstanceId and NetworkInterfaceId; the
 * routing rule speaks ENIs, so the ENI wins.
 */
function vpcTarget(route: VpcRoute): string | null {
  return (
    route.NetworkInterfaceId ??
    route.TransitGatewayId ??
    route.GatewayId ??
    route.InstanceId ??
    route.VpcPeeringConnectionId ??
    route.NatGatewayId ??
    route.LocalGatewayId ??
    route.CarrierGatewayId ??
    route.EgressOnlyInternetGatewayId ??
    route.CoreNetworkArn ??
    null
  );
}

const chunks = <T>(items: readonly T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));

/** Describe calls take up to this many IDs or filter values at once. */
const BATCH = 100;

interface RegionReading {
  routes: ObservedRoute[];
  health: Health;
}

/** Set once a region's call fails with a non-permanent error; the region's other calls stop early. */
interface RegionLatch {
  fault?: { error: unknown };
}

async function readRegion(
  client: EC2Client,
  region: string,
  query: RegionQuery,
  vips: readonly string[],
): Promise<RegionReading | RegionFault> {
  const latch: RegionLatch = {};
  const call = <T>(task: () => Promise<T>): Promise<T> =>
    paced(client, async () => {
      if (latch.fault) throw latch.fault.error;
      try {
        return await task();
      } catch (error) {
        if (classifyError(error).class !== 'permanent') latch.fault ??= { error };
        throw error;
      }
    });

  const routes: ObservedRoute[] = [];
  const health: Health = { attachments: {}, networkInterfaces: {}, instances: {} };

  const vpcReads = chunks(query.vpcTables, BATCH).map((tables) =>
    call(async () => {
      const found = new Map<string, VpcRoute[]>();
      try {
        for await (const page of paginateDescribeRouteTables({ client }, { RouteTableIds: [...tables] })) {
          for (const table of RouteTables.parse(page.RouteTables ?? []))
            found.set(table.RouteTableId, table.Routes);
        }
      } catch (error) {
        const c = classifyError(error);
        if (c.class !== 'permanent') throw error;
        throw new Ec2Error(`route tables ${tables.join(', ')} in ${region}: ${c.code}: ${c.message}`, {
          code: c.code,
          region,
          errorClass: c.class,
          cause: error,
        });
      }
      for (const table of tables) {
        const tableRoutes = found.get(table);
        if (!tableRoutes) {
          throw new Ec2Error(
            `route table ${table} in ${region}: InvalidRouteTableID.NotFound: AWS did not return it`,
            {
              code: 'InvalidRouteTableID.NotFound',
              region,
              errorClass: 'permanent',
            },
          );
        }
        for (const vip of vips) {
          const route = tableRoutes.find((r) => r.DestinationCidrBlock === vip);
          routes.push(
            route
              ? {
                  table,
                  vip,
                  target: vpcTarget(route),
                  state: route.State === 'blackhole' ? 'blackhole' : 'active',
                }
              : { table, vip, target: null, state: 'missing' },
          );
        }
      }
    }),
  );

  const tgwReads = query.tgwTables.flatMap((table) =>
    vips.map((vip) =>
      call(async () => {
        let found: z.infer<typeof TgwRoutes>;
        try {
          const out = await client.send(
            new SearchTransitGatewayRoutesCommand({
              TransitGatewayRouteTableId: table,
              Filters: [{ Name: 'route-search.exact-match', Values: [vip] }],
            }),
          );
          found = TgwRoutes.parse(out.Routes ?? []);
        } catch (error) {
          const c = classifyError(error);
          if (c.class !== 'permanent') throw error;
          throw new Ec2Error(`transit gateway route table ${table} in ${region}: ${c.code}: ${c.message}`, {
            code: c.code,
            region,
            errorClass: c.class,
            cause: error,
          });
        }
        // Deleted routes linger in searches for a while; for routing they are gone.
        const route = found.find(
          (r) => r.DestinationCidrBlock === vip && r.State !== 'deleted' && r.State !== 'deleting',
        );
        routes.push(
          route
            ? {
                table,
                vip,
                target: route.TransitGatewayAttachments[0]?.TransitGatewayAttachmentId ?? null,
                state: route.State === 'blackhole' ? 'blackhole' : 'active',
              }
            : { table, vip, target: null, state: 'missing' },
        );
      }),
    ),
  );

  // Describes filter by ID rather than list IDs, so an unknown ID is simply absent (-> `missing`)
  // instead of failing the whole batch with *.NotFound.
  const attachmentReads = chunks(query.attachments, BATCH).map((ids) =>
    call(async () => {
      const pages = paginateDescribeTransitGatewayAttachments(
        { client },
        { Filters: [{ Name: 'transit-gateway-attachment-id', Values: [...ids] }] },
      );
      for await (const page of pages) {
        for (const a of Attachments.parse(page.TransitGatewayAttachments ?? [])) {
          health.attachments[a.TransitGatewayAttachmentId] = a.State;
        }
      }
      for (const id of ids) health.attachments[id] ??= 'missing';
    }),
  );

  const eniReads = chunks(query.networkInterfaces, BATCH).map((ids) =>
    call(async () => {
      const pages = paginateDescribeNetworkInterfaces(
        { client },
        { Filters: [{ Name: 'network-interface-id', Values: [...ids] }] },
      );
      for await (const page of pages) {
        for (const eni of NetworkInterfaces.parse(page.NetworkInterfaces ?? [])) {
          health.networkInterfaces[eni.NetworkInterfaceId] = {
            status: eni.Status,
            instance: eni.Attachment?.InstanceId ?? null,
          };
        }
      }
      for (const id of ids) health.networkInterfaces[id] ??= { status: 'missing', instance: null };
    }),
  );

  // DescribeInstances reports SourceDestCheck per instance, which saves one
  // DescribeInstanceAttribute call per instance.
  const instanceReads = chunks(query.instances, BATCH).map((ids) =>
    call(async () => {
      const pages = paginateDescribeInstances(
        { client },
        { Filters: [{ Name: 'instance-id', Values: [...ids] }] },
      );
      for await (const page of pages) {
        for (const reservation of page.Reservations ?? []) {
          for (const instance of Instances.parse(reservation.Instances ?? [])) {
            health.instances[instance.InstanceId] = {
              state: instance.State.Name,
              sourceDestCheck: instance.SourceDestCheck,
            };
          }
        }
      }
      for (const id of ids) health.instances[id] ??= { state: 'missing', sourceDestCheck: true };
    }),
  );

  const settled = await Promise.allSettled([
    ...vpcReads,
    ...tgwReads,
    ...attachmentReads,
    ...eniReads,
    ...instanceReads,
  ]);
  const failures = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as unknown] : []));
  const permanent = failures.find((error) => classifyError(error).class === 'permanent');
  if (permanent !== undefined) {
    if (permanent instanceof Ec2Error) throw permanent;
    const c = classifyError(permanent);
    throw new Ec2Error(`reading ${region}: ${c.code}: ${c.message}`, {
      code: c.code,
      region,
      errorClass: c.class,
      cause: permanent,
    });
  }
  if (latch.fault) {
    const c = classifyError(latch.fault.error);
    return { region, code: c.code, message: c.message };
  }
  return { routes, health };
}

/** When two regions report the same (peering) attachment differently, the worse state wins. */
function worseState(a: string | undefined, b: string): string {
  if (a === undefined || a === b || b === 'available') return a ?? b;
  return a === 'available' ? b : a;
}

/**
 * Reads every listed table's VIP routes and the health of attachments, ENIs and instances, all
 * regions at once. A region that cannot be reached within the budget yields `unknown` routes and a
 * fault in `unreachable`; a permanent error (access denied, a table that does not exist) throws
 * an {@link Ec2Error}.
 */
export async function readWorld(clientFor: Ec2ClientFor, topology: Topology): Promise<Observation> {
  const queries = queriesOf(topology);
  const readings = await Promise.all(
    [...queries].map(async ([region, query]) => ({
      query,
      reading: await readRegion(clientFor(region), region, query, topology.vips),
    })),
  );

  const observed = new Map<string, ObservedRoute>();
  const health: Health = { attachments: {}, networkInterfaces: {}, instances: {} };
  const unreachable: RegionFault[] = [];
  for (const { query, reading } of readings) {
    if ('code' in reading) {
      unreachable.push(reading);
      for (const table of [...query.vpcTables, ...query.tgwTables]) {
        for (const vip of topology.vips) {
          observed.set(`${table}|${vip}`, { table, vip, target: null, state: 'unknown' });
        }
      }
      continue;
    }
    for (const route of reading.routes) observed.set(`${route.table}|${route.vip}`, route);
    for (const [id, state] of Object.entries(reading.health.attachments)) {
      health.attachments[id] = worseState(health.attachments[id], state);
    }
    Object.assign(health.networkInterfaces, reading.health.networkInterfaces);
    Object.assign(health.instances, reading.health.instances);
  }

  // One entry per (listed table, VIP), in topology order.
  const tables = [
    ...Object.values(topology.vpcs).flatMap((vpc) => vpc.routeTables),
    ...Object.values(topology.transitGateways).flatMap((tgw) => tgw.routeTables),
  ];
  const routes = [...new Set(tables)].flatMap((table) =>
    topology.vips.map(
      (vip) => observed.get(`${table}|${vip}`) ?? { table, vip, target: null, state: 'unknown' as const },
    ),
  );
  return { routes, health, unreachable };
}

// ---------------------------------------------------------------------------------------------
// Writing routes
// ---------------------------------------------------------------------------------------------

/** The ReplaceRoute / CreateRoute parameter that carries each kind of VPC route target. */
const VPC_TARGET_PARAMS: readonly [prefix: string, param: string][] = [
  ['eni-', 'NetworkInterfaceId'],
  ['tgw-attach-', ''], // an attachment is not a VPC route target
  ['tgw-', 'TransitGatewayId'],
  ['igw-', 'GatewayId'],
  ['vgw-', 'GatewayId'],
  ['vpce-', 'VpcEndpointId'],
  ['i-', 'InstanceId'],
  ['pcx-', 'VpcPeeringConnectionId'],
  ['nat-', 'NatGatewayId'],
  ['lgw-', 'LocalGatewayId'],
  ['cagw-', 'CarrierGatewayId'],
  ['eigw-', 'EgressOnlyInternetGatewayId'],
];

function vpcTargetParam(target: string): string | undefined {
  const param = VPC_TARGET_PARAMS.find(([prefix]) => target.startsWith(prefix))?.[1];
  return param || undefined;
}

const SINGLE_HOST = /^\d{1,3}(\.\d{1,3}){3}\/32$/;

/**
 * ReplaceRoute on a VPC route that does not exist answers InvalidParameterValue "There is no
 * route defined for '<cidr>' in the route table. Use CreateRoute instead." (not a *.NotFound, see
 * https://github.com/getmoto/moto/pull/6425). Transit gateway route calls on a missing route answer
 * InvalidRoute.NotFound "Route <cidr> does not exist in Transit Gateway Route Table <id>".
 */
function isNoSuchRoute(error: unknown): boolean {
  const { code, message } = classifyError(error);
  if (code === 'InvalidRoute.NotFound') return true;
  return code === 'InvalidParameterValue' && /no route defined|does not exist/i.test(message);
}

const isRouteAlreadyExists = (error: unknown): boolean => classifyError(error).code === 'RouteAlreadyExists';

type Action = 'create' | 'replace';

async function writeOnce(client: EC2Client, change: Change, action: Action): Promise<number | undefined> {
  const where = { DestinationCidrBlock: change.vip };
  if (change.kind === 'tgw') {
    const input = {
      ...where,
      TransitGatewayRouteTableId: change.table,
      TransitGatewayAttachmentId: change.target,
    };
    const out =
      action === 'replace'
        ? await client.send(new ReplaceTransitGatewayRouteCommand(input))
        : await client.send(new CreateTransitGatewayRouteCommand(input));
    return out.$metadata?.attempts;
  }
  const input = {
    ...where,
    RouteTableId: change.table,
    [vpcTargetParam(change.target) ?? '']: change.target,
  };
  const out =
    action === 'replace'
      ? await client.send(new ReplaceRouteCommand(input))
      : await client.send(new CreateRouteCommand(input));
  return out.$metadata?.attempts;
}

/** Why a change cannot be sent at all, or undefined when it can. */
function refusal(change: Change): { code: string; message: string } | undefined {
  if (!SINGLE_HOST.test(change.vip)) {
    return { code: 'InvalidVip', message: `${change.vip} is not a /32; only VIP routes are written` };
  }
  if (change.kind === 'tgw' && !change.target.startsWith('tgw-attach-')) {
    return {
      code: 'InvalidTarget',
      message: `${change.target} is not a transit gateway attachment (tgw-attach-…)`,
    };
  }
  if (change.kind === 'vpc' && !vpcTargetParam(change.target)) {
    return {
      code: 'InvalidTarget',
      message: `${change.target} is not a VPC route target this tool can write`,
    };
  }
  return undefined;
}

async function applyOne(
  client: EC2Client,
  change: Change,
  downRegions: Map<string, ClassifiedError>,
): Promise<ChangeResult> {
  const base = {
    table: change.table,
    kind: change.kind,
    region: change.region,
    vip: change.vip,
    step: change.step,
    previous: change.previous,
    target: change.target,
  };
  const refused = refusal(change);
  if (refused) return { ...base, result: 'failed', action: change.action, ...refused, attempts: 0 };

  return paced(client, async () => {
    const down = downRegions.get(change.region);
    if (down) {
      return {
        ...base,
        result: 'unreachable',
        action: change.action,
        code: down.code,
        message: down.message,
        attempts: 0,
      };
    }
    let attempts = 0;
    let action: Action = change.action;
    const attempt = async (next: Action) => {
      action = next;
      try {
        attempts += (await writeOnce(client, change, next)) ?? 1;
      } catch (error) {
        attempts += attemptsOf(error);
        throw error;
      }
    };
    try {
      try {
        await attempt(change.action);
      } catch (error) {
        // Create-or-replace: the route changed between plan and apply (or the plan could not see it).
        if (change.action === 'replace' && isNoSuchRoute(error)) await attempt('create');
        else if (change.action === 'create' && isRouteAlreadyExists(error)) await attempt('replace');
        else throw error;
      }
      return { ...base, result: 'applied', action, attempts };
    } catch (error) {
      const c = classifyError(error);
      if (c.class === 'permanent') {
        return { ...base, result: 'failed', action, code: c.code, message: c.message, attempts };
      }
      if (c.class === 'unreachable') downRegions.set(change.region, c);
      return { ...base, result: 'unreachable', action, code: c.code, message: c.message, attempts };
    }
  });
}

/**
 * Writes every change at once (paced per region) as create-or-replace of the change's VIP route
 * only. Returns one result per change, in order; per-change failures are results, never throws.
 * A throttled or failing region that outlasts the retry budget yields `unreachable` results.
 */
export async function applyChanges(
  clientFor: Ec2ClientFor,
  changes: readonly Change[],
): Promise<ChangeResult[]> {
  const downRegions = new Map<string, ClassifiedError>();
  return Promise.all(changes.map((change) => applyOne(clientFor(change.region), change, downRegions)));
}

// ---------------------------------------------------------------------------------------------
// Discovery (`vipctl discover`): what a topology file is made of, read from AWS
// ---------------------------------------------------------------------------------------------

const Tags = z.array(z.object({ Key: z.string().optional(), Value: z.string().optional() })).default([]);
const nameTag = (tags: z.infer<typeof Tags>): string | undefined =>
  tags.find((t) => t.Key === 'Name')?.Value || undefined;

/** A cluster node's instance as discovery needs it. */
export interface DiscoveredInstance {
  readonly instanceId: string;
  readonly region: string;
  /** The `Name` tag, when set. */
  readonly name?: string;
  readonly state: string;
  readonly vpcId: string;
  /** The primary ENI (device index 0), the one the VIP routes point at. */
  readonly eniId: string;
  /** How many ENIs the instance has; more than one is worth a comment in the file. */
  readonly eniCount: number;
  /** The account that owns the instance's reservation. */
  readonly account?: string;
}

const DiscoveryInstances = z.array(
  z.object({
    InstanceId: z.string(),
    VpcId: z.string().optional(),
    State: z.object({ Name: z.string().default('unknown') }).default({ Name: 'unknown' }),
    Tags,
    NetworkInterfaces: z
      .array(
        z.object({
          NetworkInterfaceId: z.string(),
          Attachment: z.object({ DeviceIndex: z.number().optional() }).optional(),
        }),
      )
      .default([]),
  }),
);

/**
 * Reads one instance; undefined when the region does not know it. A filter rather than InstanceIds,
 * so an unknown ID is an empty answer instead of InvalidInstanceID.NotFound (or .Malformed).
 */
export async function discoverInstance(
  client: EC2Client,
  region: string,
  instanceId: string,
): Promise<DiscoveredInstance | undefined> {
  const pages = paginateDescribeInstances(
    { client },
    { Filters: [{ Name: 'instance-id', Values: [instanceId] }] },
  );
  for await (const page of pages) {
    for (const reservation of page.Reservations ?? []) {
      for (const instance of DiscoveryInstances.parse(reservation.Instances ?? [])) {
        if (instance.InstanceId !== instanceId) continue;
        const enis = instance.NetworkInterfaces;
        // Several ENIs: the VIP routes point at the primary one, device index 0, which is the
        // interface the instance's own private IP and its source/destination check belong to.
        const primary = enis.find((e) => e.Attachment?.DeviceIndex === 0) ?? enis[0];
        if (!instance.VpcId || !primary) return undefined;
        const name = nameTag(instance.Tags);
        return {
          instanceId,
          region,
          ...(name ? { name } : {}),
          state: instance.State.Name,
          vpcId: instance.VpcId,
          eniId: primary.NetworkInterfaceId,
          eniCount: enis.length,
          ...(reservation.OwnerId ? { account: reservation.OwnerId } : {}),
        };
      }
    }
  }
  return undefined;
}

/** A VPC with its route tables and its transit gateway attachments (any state). */
export interface DiscoveredVpc {
  readonly id: string;
  readonly region: string;
  readonly name?: string;
  readonly cidr: string;
  readonly routeTables: readonly {
    readonly id: string;
    readonly name?: string;
    /** Subnets explicitly associated with the table. */
    readonly subnets: number;
    /** The VPC's main table (serves every subnet without an explicit association). */
    readonly main: boolean;
  }[];
  readonly attachments: readonly {
    readonly id: string;
    readonly transitGatewayId: string;
    readonly state: string;
  }[];
}

const DiscoveryVpcs = z.array(z.object({ VpcId: z.string(), CidrBlock: z.string(), Tags }));
const DiscoveryRouteTables = z.array(
  z.object({
    RouteTableId: z.string(),
    Tags,
    Associations: z
      .array(z.object({ SubnetId: z.string().optional(), Main: z.boolean().optional() }))
      .default([]),
  }),
);
const DiscoveryVpcAttachments = z.array(
  z.object({
    TransitGatewayAttachmentId: z.string(),
    TransitGatewayId: z.string(),
    State: z.string().default('unknown'),
  }),
);

/** Reads a VPC, every route table of it, and its transit gateway attachments; undefined when unknown. */
export async function discoverVpc(
  client: EC2Client,
  region: string,
  vpcId: string,
): Promise<DiscoveredVpc | undefined> {
  const byVpc = [{ Name: 'vpc-id', Values: [vpcId] }];
  const [vpcs, tables, attachments] = await Promise.all([
    collect(paginateDescribeVpcs({ client }, { Filters: byVpc }), (p) => DiscoveryVpcs.parse(p.Vpcs ?? [])),
    collect(paginateDescribeRouteTables({ client }, { Filters: byVpc }), (p) =>
      DiscoveryRouteTables.parse(p.RouteTables ?? []),
    ),
    collect(paginateDescribeTransitGatewayVpcAttachments({ client }, { Filters: byVpc }), (p) =>
      DiscoveryVpcAttachments.parse(p.TransitGatewayVpcAttachments ?? []),
    ),
  ]);
  const vpc = vpcs.find((v) => v.VpcId === vpcId);
  if (!vpc) return undefined;
  const name = nameTag(vpc.Tags);
  return {
    id: vpcId,
    region,
    ...(name ? { name } : {}),
    cidr: vpc.CidrBlock,
    routeTables: tables.map((t) => {
      const tableName = nameTag(t.Tags);
      return {
        id: t.RouteTableId,
        ...(tableName ? { name: tableName } : {}),
        subnets: t.Associations.filter((a) => a.SubnetId).length,
        main: t.Associations.some((a) => a.Main === true),
      };
    }),
    attachments: attachments.map((a) => ({
      id: a.TransitGatewayAttachmentId,
      transitGatewayId: a.TransitGatewayId,
      state: a.State,
    })),
  };
}

/** A transit gateway's route tables and the peering attachments it is a side of. */
export interface DiscoveredTransitGateway {
  readonly id: string;
  readonly region: string;
  readonly routeTables: readonly { readonly id: string; readonly default: boolean }[];
  readonly peerings: readonly DiscoveredPeering[];
}

export interface DiscoveredPeering {
  readonly id: string;
  readonly state: string;
  readonly sides: ReadonlyArray<{ readonly transitGatewayId: string; readonly region?: string }>;
}

const DiscoveryTgwRouteTables = z.array(
  z.object({
    TransitGatewayRouteTableId: z.string(),
    State: z.string().default('available'),
    DefaultAssociationRouteTable: z.boolean().default(false),
  }),
);
const TgwInfo = z.object({ TransitGatewayId: z.string(), Region: z.string().optional() });
const DiscoveryPeerings = z.array(
  z.object({
    TransitGatewayAttachmentId: z.string(),
    State: z.string().default('unknown'),
    RequesterTgwInfo: TgwInfo,
    AccepterTgwInfo: TgwInfo,
  }),
);

/** Reads a transit gateway's route tables (deleted ones left out) and its peering attachments. */
export async function discoverTransitGateway(
  client: EC2Client,
  region: string,
  transitGatewayId: string,
): Promise<DiscoveredTransitGateway> {
  const byTgw = [{ Name: 'transit-gateway-id', Values: [transitGatewayId] }];
  const [tables, peerings] = await Promise.all([
    collect(paginateDescribeTransitGatewayRouteTables({ client }, { Filters: byTgw }), (p) =>
      DiscoveryTgwRouteTables.parse(p.TransitGatewayRouteTables ?? []),
    ),
    collect(paginateDescribeTransitGatewayPeeringAttachments({ client }, { Filters: byTgw }), (p) =>
      DiscoveryPeerings.parse(p.TransitGatewayPeeringAttachments ?? []),
    ),
  ]);
  return {
    id: transitGatewayId,
    region,
    routeTables: tables
      .filter((t) => t.State !== 'deleted' && t.State !== 'deleting')
      .map((t) => ({ id: t.TransitGatewayRouteTableId, default: t.DefaultAssociationRouteTable })),
    peerings: peerings.map((p) => ({
      id: p.TransitGatewayAttachmentId,
      state: p.State,
      sides: [
        { transitGatewayId: p.RequesterTgwInfo.TransitGatewayId, region: p.RequesterTgwInfo.Region },
        { transitGatewayId: p.AccepterTgwInfo.TransitGatewayId, region: p.AccepterTgwInfo.Region },
      ],
    })),
  };
}

/** Every item of every page. */
async function collect<P, T>(pages: AsyncIterable<P>, items: (page: P) => T[]): Promise<T[]> {
  const all: T[] = [];
  for await (const page of pages) all.push(...items(page));
  return all;
}
