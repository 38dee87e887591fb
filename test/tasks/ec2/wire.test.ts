/**
 * The EC2 adapter against a tiny EC2 Query endpoint on 127.0.0.1: the real SDK client, its real
 * retry middleware, real connections. Checks retries, the time budget, the retry quota under mass
 * throttling, per-region pacing and unreachable endpoints.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { EC2Client, ReplaceRouteCommand } from '@aws-sdk/client-ec2';
import { StandardRetryStrategy } from '@smithy/util-retry';
import { afterEach, describe, expect, it } from 'vitest';
import { ec2ClientFor, pacingStats } from '../../../tasks/ec2/clients';
import { readWorld } from '../../../tasks/ec2/read-world';
import { applyChanges, PacingReport } from '../../../tasks/ec2/write-routes';
import type { Change } from '../../../tasks/plan';
import { Topology } from '../../../tasks/topology';

const VIP = '172.16.0.1/32';

interface SeenRequest {
  readonly action: string;
  readonly params: URLSearchParams;
  /** 1-based attempt number the SDK sent in `amz-sdk-request` (restarts after each throttle). */
  readonly attempt: number;
  /** 1-based count of the requests that named the same route table so far. */
  readonly nth: number;
}

type Answer = { status: number; body: string } | 'hang';

const ec2Error = (code: string, message: string, status: number): Answer => ({
  status,
  body: `<Response><Errors><Error><Code>${code}</Code><Message>${message}</Message></Error></Errors><RequestID>req-1</RequestID></Response>`,
});
const throttled = ec2Error('RequestLimitExceeded', 'Request limit exceeded.', 503);
const replaced: Answer = {
  status: 200,
  body: '<ReplaceRouteResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>req-2</requestId><return>true</return></ReplaceRouteResponse>',
};

/** Fast buckets so that paced tests take milliseconds, not the documented seconds. */
const fastPacing = {
  mutating: { burst: 1, refillPerSecond: 1000 },
  nonMutating: { burst: 1, refillPerSecond: 1000 },
};

/** A local EC2 endpoint whose answers the test decides; records every request and the peak concurrency. */
async function fakeEc2(answer: (request: SeenRequest) => Answer, delayMs = 0) {
  const seen: SeenRequest[] = [];
  const perTable = new Map<string, number>();
  let inFlight = 0;
  let peak = 0;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on('end', () => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      const params = new URLSearchParams(body);
      const attempt = Number(/attempt=(\d+)/.exec(String(req.headers['amz-sdk-request']))?.[1] ?? 1);
      const table = params.get('RouteTableId') ?? '';
      const nth = (perTable.get(table) ?? 0) + 1;
      perTable.set(table, nth);
      const request = { action: params.get('Action') ?? '', params, attempt, nth };
      seen.push(request);
      const reply = answer(request);
      if (reply === 'hang') return;
      setTimeout(() => {
        inFlight--;
        res.writeHead(reply.status, { 'content-type': 'text/xml' });
        res.end(reply.body);
      }, delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  servers.push(server);
  return { endpoint: `http://127.0.0.1:${port}`, seen, peak: () => peak };
}

/** Budget clocks the test controls: one that never moves, and a time long past any deadline. */
const frozen = () => 0;
const SPENT = 1e12;

/**
 * Simulated milliseconds for token pacing (the adapter's `pacingClock`) and a test's endpoint. Time
 * stands still while any call of the watched client is doing something else than waiting for a token
 * (being sent, answered, or handled); when every call in it waits, time jumps to the earliest wake-up.
 * Calls waiting for a slot of the client's in-flight limit are not in it yet: a freed slot is taken
 * within the same turn of the event loop, before the jump is considered.
 */
class SimulatedTime {
  private at = 0;
  private inClient = 0;
  private readonly sleepers: { wakeAt: number; wake: () => void }[] = [];
  private checkPending = false;

  readonly now = (): number => this.at;

  readonly clock = {
    now: this.now,
    sleep: (ms: number) =>
      new Promise<void>((wake) => {
        this.sleepers.push({ wakeAt: this.at + ms, wake });
        this.check();
      }),
  };

  /** Counts the calls inside `client` (outermost, around its pacing). */
  watch(client: EC2Client): void {
    client.middlewareStack.add(
      (next) => async (args) => {
        this.inClient++;
        try {
          return await next(args);
        } finally {
          this.inClient--;
          this.check();
        }
      },
      { step: 'initialize', priority: 'high', name: 'simulatedTimeWatch' },
    );
  }

  /** After the current turn's microtasks: if every call in the client sleeps, wake the earliest. */
  private check(): void {
    if (this.checkPending) return;
    this.checkPending = true;
    setImmediate(() => {
      this.checkPending = false;
      if (this.sleepers.length === 0 || this.sleepers.length < this.inClient) return;
      this.at = Math.max(this.at, Math.min(...this.sleepers.map((s) => s.wakeAt)));
      for (const sleeper of this.sleepers.filter((s) => s.wakeAt <= this.at)) {
        this.sleepers.splice(this.sleepers.indexOf(sleeper), 1);
        sleeper.wake();
      }
    });
  }
}

const servers: http.Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

function change(table: string): Change {
  return {
    table,
    kind: 'vpc',
    region: 'us-east-1',
    vip: VIP,
    step: 'local-vpc',
    wave: 0,
    action: 'replace',
    previous: 'eni-0bbb0001',
    previousState: 'active',
    target: 'eni-0aaa0001',
  };
}

const tables = (count: number) =>
  Array.from({ length: count }, (_, i) => `rtb-${(0x0a000000 + i).toString(16)}`);

describe('EC2 adapter on the wire', () => {
  it('retries throttled writes through the pacing queue and reports the attempts', async () => {
    const ec2 = await fakeEc2((r) => (r.nth <= 2 ? throttled : replaced));
    const clientFor = ec2ClientFor({ endpoint: ec2.endpoint, pacing: fastPacing, now: frozen });

    const [result] = await applyChanges(clientFor, [change('rtb-0aaa0001')]);

    expect(result).toMatchObject({ result: 'applied', action: 'replace', attempts: 3 });
    expect(ec2.seen).toHaveLength(3);
    for (const request of ec2.seen) {
      expect(Object.fromEntries(request.params)).toMatchObject({
        Action: 'ReplaceRoute',
        RouteTableId: 'rtb-0aaa0001',
        DestinationCidrBlock: VIP,
        NetworkInterfaceId: 'eni-0aaa0001',
      });
    }
  });

  it('stops retrying a write throttled for a whole budget past its turn, with the AWS code', async () => {
    const ec2 = await fakeEc2(() => throttled);
    // The budget's clock jumps past the deadline once the endpoint has answered four attempts.
    const clientFor = ec2ClientFor({
      endpoint: ec2.endpoint,
      budgetMs: 300,
      maxAttempts: 1000,
      pacing: fastPacing,
      now: () => (ec2.seen.length >= 4 ? SPENT : 0),
    });

    const [result] = await applyChanges(clientFor, [change('rtb-0aaa0001')]);

    expect(result).toMatchObject({ result: 'unreachable', code: 'RequestLimitExceeded', action: 'replace' });
    // The budget, not maxAttempts, ended the retries: right after the fourth attempt.
    expect(result?.attempts).toBe(4);
    expect(ec2.seen).toHaveLength(4);
  });

  it('completes 220 concurrent writes that are each throttled three times, pacing the region', async () => {
    const ec2 = await fakeEc2((r) => (r.nth <= 3 ? throttled : replaced), 1);
    const clientFor = ec2ClientFor({
      endpoint: ec2.endpoint,
      maxInFlight: 25,
      pacing: fastPacing,
      now: frozen,
    });

    const results = await applyChanges(clientFor, tables(220).map(change));

    expect(results.filter((r) => r.result !== 'applied')).toEqual([]);
    expect(results.every((r) => r.attempts === 4)).toBe(true);
    expect(ec2.peak()).toBeLessThanOrEqual(25);
  });

  it('paces a throttled action to the bucket refill rate: only the first wave is throttled, every write applied', async () => {
    // prepare: simulated time for the endpoint's own token bucket (10 burst, 50 per second, written
    // here, not shared with the adapter) and for the adapter's pacing. Time moves only when every call
    // in the client is waiting for a token, so how fast this machine sends and answers does not matter.
    const time = new SimulatedTime();
    const bucket = { milliTokens: 10_000, at: 0 }; // 1,000 per token: integer arithmetic, exact refills
    const throttledAt: number[] = [];
    const ec2 = await fakeEc2(() => {
      bucket.milliTokens = Math.min(10_000, bucket.milliTokens + (time.now() - bucket.at) * 50);
      bucket.at = time.now();
      if (bucket.milliTokens < 1000) {
        throttledAt.push(time.now());
        return throttled;
      }
      bucket.milliTokens -= 1000;
      return replaced;
    });
    const clientFor = ec2ClientFor({
      endpoint: ec2.endpoint,
      maxInFlight: 25,
      pacing: { mutating: { burst: 10, refillPerSecond: 50 } },
      pacingClock: time.clock,
      now: frozen,
    });
    time.watch(clientFor('us-east-1'));

    // act
    const report = new PacingReport();
    const results = await applyChanges(clientFor, tables(60).map(change), { report });

    // assess
    expect(results.filter((r) => r.result !== 'applied')).toEqual([]);
    // The first wave of 25 meets 10 tokens: 15 throttled, and the calls that took the freed slots before
    // the first throttle came back were throttled too; once paced, no call was throttled again.
    expect(throttledAt.length).toBeGreaterThanOrEqual(15);
    expect(throttledAt.length).toBeLessThanOrEqual(25);
    expect(new Set(throttledAt)).toEqual(new Set([0]));
    // The 50 writes beyond the burst went out one per token, 20 ms apart: done at 50 / 50 per s = 1 s.
    expect(time.now()).toBe(1000);
    // The step's pacing as the run reports it: writes that waited for a token, at the bucket's rate.
    const [summary] = report.summaries(clientFor);
    expect(summary).toMatchObject({ region: 'us-east-1', action: 'ReplaceRoute', refillPerSecond: 50 });
    expect(summary?.waitedWrites).toBeGreaterThanOrEqual(15);
    expect(pacingStats(clientFor('us-east-1'))).toEqual([
      expect.objectContaining({ action: 'ReplaceRoute', throttles: throttledAt.length, engagedAt: 0 }),
    ]);
  });

  it('shows why: one shared SDK retry quota gives up on part of the same burst', async () => {
    const ec2 = await fakeEc2((r) => (r.attempt <= 3 ? throttled : replaced), 1);
    const backoff = { computeNextBackoffDelay: () => 5, setDelayBase: () => {} };
    const shared = new EC2Client({
      region: 'us-east-1',
      endpoint: ec2.endpoint,
      retryStrategy: new StandardRetryStrategy({ maxAttempts: 10, backoff }),
    });

    const results = await applyChanges(() => shared, tables(220).map(change));

    expect(results.some((r) => r.result === 'unreachable' && r.code === 'RequestLimitExceeded')).toBe(true);
    shared.destroy();
  });

  it('reports a region whose endpoint refuses connections as unreachable, without throwing', async () => {
    const ec2 = await fakeEc2(() => replaced);
    const closed = ec2.endpoint;
    await new Promise((resolve) => servers.splice(0)[0]?.close(resolve));
    const topology = Topology.parse({
      cluster: 'orders-db',
      vips: [VIP],
      nodes: { 'server-a': { vpc: 'vpc-a', eni: 'eni-0aaa0001', instance: 'i-0aaa0001' } },
      vpcs: {
        'vpc-a': {
          id: 'vpc-0aaa0001',
          region: 'us-east-1',
          cidr: '10.0.0.0/16',
          transitGateway: 'tgw-a',
          attachment: 'tgw-attach-0aaa0001',
          routeTables: ['rtb-0aaa0001'],
        },
      },
      transitGateways: {
        'tgw-a': { id: 'tgw-0aaa0001', region: 'us-east-1', routeTables: ['tgw-rtb-0aaa0001'] },
      },
    });

    const world = await readWorld(ec2ClientFor({ endpoint: closed, budgetMs: 300 }), topology);

    expect(world.unreachable).toEqual([
      { region: 'us-east-1', code: 'ECONNREFUSED', message: expect.any(String) },
    ]);
    expect(world.routes).toEqual([
      { table: 'rtb-0aaa0001', vip: VIP, target: null, state: 'unknown' },
      { table: 'tgw-rtb-0aaa0001', vip: VIP, target: null, state: 'unknown' },
    ]);
  });

  it('gives up on an endpoint that never answers once every attempt has timed out', async () => {
    const ec2 = await fakeEc2(() => 'hang');
    // The budget is spent once the endpoint has received (and left hanging) a second attempt.
    const clientFor = ec2ClientFor({
      endpoint: ec2.endpoint,
      requestTimeoutMs: 100,
      budgetMs: 250,
      now: () => (ec2.seen.length >= 2 ? SPENT : 0),
    });

    const [result] = await applyChanges(clientFor, [change('rtb-0aaa0001')]);

    expect(result).toMatchObject({ result: 'unreachable', code: 'ETIMEDOUT' });
    // The first timeout was retried; each attempt timed out rather than being answered.
    expect(result?.attempts).toBeGreaterThanOrEqual(2);
    expect(ec2.seen.length).toBeGreaterThanOrEqual(2);
  });

  it('sends the write to the configured endpoint through a reused keep-alive connection', async () => {
    const ec2 = await fakeEc2(() => replaced);
    const sockets = new Set<unknown>();
    servers[0]?.on('connection', (socket) => sockets.add(socket));
    const client = ec2ClientFor({ endpoint: ec2.endpoint })('us-east-1');

    for (const table of tables(5)) {
      await client.send(
        new ReplaceRouteCommand({
          RouteTableId: table,
          DestinationCidrBlock: VIP,
          NetworkInterfaceId: 'eni-0aaa0001',
        }),
      );
    }

    expect(ec2.seen).toHaveLength(5);
    expect(sockets.size).toBe(1);
  });
});
