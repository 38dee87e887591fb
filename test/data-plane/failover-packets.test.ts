/**
 * The failover as clients see it: local AWS with its kernel data plane and the VIP on every node, so
 * that routing alone decides who answers. Real packets from a client in every VPC, while the built
 * vipctl (a child process) fails over, rolls back, and while a test writes the same routes in the
 * wrong order through the EC2 API.
 */
import { execFile } from 'node:child_process';
import { EC2Client, ReplaceRouteCommand, ReplaceTransitGatewayRouteCommand } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { localEnvironment } from '../../local/client-env';
import { type ClientObservation, startProbe } from '../../local/data-plane/probe';
import { type LocalAws, startLocalAws } from '../../local/server';
import type { WorldData } from '../../local/world';
import { loadTopology } from '../../tasks/topology';
import { cleanEnv, EXAMPLE, ensureBuilt, vipctl as runVipctl } from '../e2e/local-harness';
import { commands, itRequires, missingReasons, netns, root } from '../support/requirements';

const REQUIREMENTS = [root(), netns(), commands(['python3', 'ping'], ['python3', 'iputils-ping'])];
const it = itRequires(REQUIREMENTS);
const runnable = missingReasons(REQUIREMENTS).length === 0;
const VIP = '172.16.0.1/32';

let aws: LocalAws;
let seeded: WorldData;

beforeAll(async () => {
  if (!runnable) return;
  ensureBuilt();
  aws = await startLocalAws({
    topology: await loadTopology(EXAMPLE),
    port: 0,
    active: 'server-a',
    dataPlane: { vipOn: 'all' },
  });
  seeded = aws.world.snapshot();
});
afterAll(async () => {
  await aws?.close();
});

/** The built vipctl against this file's local AWS, as a cluster node runs it. */
const vipctl = (args: readonly string[]) =>
  runVipctl(
    ['--config', EXAMPLE, ...args],
    cleanEnv({ ...localEnvironment(aws.url), AWS_REGION: 'us-east-1' }),
  );

const clients = () =>
  Object.entries(aws.dataPlane!.view().namespaces)
    .filter(([, n]) => n.role === 'client')
    .map(([key, n]) => ({ key, netns: n.netns }));

/** A short probe from every client: 50 datagrams each. */
const probeNow = () => startProbe({ clients: clients(), vips: [VIP], rate: 100, durationMs: 500 }).done;

/** Per client: the node that answered every datagram, or what else happened. */
function answeredBy(seen: Record<string, ClientObservation>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(seen).map(([client, o]) => {
      const v = o.vips[VIP]!;
      const nodes = Object.keys(v.byNode);
      return [client, v.answered === v.sent && nodes.length === 1 ? nodes[0]! : JSON.stringify(v)];
    }),
  );
}

/** While `act` runs, every client probes; returns what they saw and when `act` started. */
async function whileProbing<T>(act: () => Promise<T>) {
  const probe = startProbe({ clients: clients(), vips: [VIP], rate: 100 });
  await probe.started;
  const startedAt = Date.now();
  const result = await act();
  const seen = await probe.stop();
  return { result, seen, startedAt };
}

describe('a failover in packets', () => {
  it('before: every client is answered by server-a; during the failover no packet loops; after: by server-b', async () => {
    expect(answeredBy(await probeNow())).toEqual({ 'client-vpc-a': 'server-a', 'client-vpc-b': 'server-a' });

    const { result, seen, startedAt } = await whileProbing(() => vipctl(['failover', '--to', 'server-b']));

    expect(result.code, result.stderr).toBe(0);
    for (const [client, o] of Object.entries(seen)) {
      const v = o.vips[VIP]!;
      expect(v.looped, client).toBe(0);
      expect(v.unreachable, client).toBe(0);
      expect(v.firstAnswerAt['server-b'], client).toBeGreaterThan(startedAt);
      process.stdout.write(
        `${client}: first answer by server-b ${Math.round(v.firstAnswerAt['server-b']! - startedAt)} ms after vipctl failover started; longest gap ${Math.round(v.longestGapMs)} ms; lost ${v.lost} of ${v.sent}\n`,
      );
    }
    expect(answeredBy(await probeNow())).toEqual({ 'client-vpc-a': 'server-b', 'client-vpc-b': 'server-b' });
  });

  it('rollback --last brings every client back to server-a, with no packet looping on the way', async () => {
    const { result, seen } = await whileProbing(() => vipctl(['rollback', '--last', '--yes']));

    expect(result.code, result.stderr).toBe(0);
    for (const [client, o] of Object.entries(seen)) expect(o.vips[VIP]!.looped, client).toBe(0);
    expect(answeredBy(await probeNow())).toEqual({ 'client-vpc-a': 'server-a', 'client-vpc-b': 'server-a' });
  });

  it('an independent sender gets its answer from the node the tables point at', async () => {
    const client = aws.dataPlane!.namespace('client-vpc-b').netns;
    // Not the project's probe: one datagram, one answer, from Python's socket module directly.
    const ask = `import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(10); s.sendto(b"hello|1|", ("172.16.0.1", 7077)); print(s.recv(100).decode())`;
    const answer = await execIn(client, ['python3', '-c', ask]);
    expect(answer.stdout.trim()).toBe('server-a|hello|1|');

    const ping = await execIn(client, ['ping', '-c', '3', '-i', '0.2', '-W', '5', '172.16.0.1']);
    expect(ping.stdout).toContain('3 received');
  });

  it('ping reports "Time to live exceeded" when the TGW tables are written into a loop through the EC2 API', async () => {
    const ec2 = (region: string) =>
      new EC2Client({
        region,
        endpoint: aws.url,
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      });
    // tgw-b sends the VIP over the peering to tgw-a, and tgw-a back over the same peering.
    await ec2('ap-southeast-1').send(
      new ReplaceTransitGatewayRouteCommand({
        TransitGatewayRouteTableId: 'tgw-rtb-0b1c2d3e4f5a6b7c8',
        DestinationCidrBlock: VIP,
        TransitGatewayAttachmentId: 'tgw-attach-0c1d2e3f4a5b6c7d8',
      }),
    );
    await ec2('us-east-1').send(
      new ReplaceTransitGatewayRouteCommand({
        TransitGatewayRouteTableId: 'tgw-rtb-0a1b2c3d4e5f6a7b8',
        DestinationCidrBlock: VIP,
        TransitGatewayAttachmentId: 'tgw-attach-0c1d2e3f4a5b6c7d8',
      }),
    );
    await ec2('ap-southeast-1').send(
      new ReplaceRouteCommand({
        RouteTableId: 'rtb-0b1d3f5a7c9e2b4d6',
        DestinationCidrBlock: VIP,
        TransitGatewayId: 'tgw-0b9c8d7e6f5a4b3c2',
      }),
    );

    const client = aws.dataPlane!.namespace('client-vpc-b').netns;
    const ping = await execIn(client, ['ping', '-c', '2', '-i', '0.2', '-W', '2', '172.16.0.1']);
    expect(ping.stdout).toContain('Time to live exceeded');
    expect(ping.stdout).toContain('0 received');
  });

  it('the order matters: the routes of a failover written in reverse loop packets, in the planned order none', async () => {
    const plan = await planChanges();
    const reversed = await writeOneByOne([...plan].reverse());
    const planned = await writeOneByOne(plan);

    expect(planned.looped).toBe(0);
    expect(reversed.looped).toBeGreaterThan(0);
    // Both end with server-b answering everyone.
    expect(planned.last).toEqual({ 'client-vpc-a': 'server-b', 'client-vpc-b': 'server-b' });
    expect(reversed.last).toEqual(planned.last);
  });
});

describe('faults, as clients see them', () => {
  /** Back to the seed: server-a active, every model off. */
  const fromSeed = async () => {
    aws.world.restore(seeded);
    aws.models.reset();
    await aws.dataPlane!.sync();
  };
  const looped = (seen: Record<string, ClientObservation>) =>
    Object.values(seen).reduce((n, o) => n + o.vips[VIP]!.looped, 0);

  it("us-east-1's EC2 API down: DEGRADED, vpc-b's clients reach server-b, vpc-a's still server-a, nothing loops; check --repair converges after", async () => {
    await fromSeed();
    aws.models.setOutage('us-east-1', true, 'ec2');

    const { result, seen } = await whileProbing(() => vipctl(['failover', '--to', 'server-b']));

    expect(result.code, result.stdout + result.stderr).toBe(3);
    expect(looped(seen)).toBe(0);
    expect(answeredBy(await probeNow())).toEqual({ 'client-vpc-a': 'server-a', 'client-vpc-b': 'server-b' });

    aws.models.setOutage('us-east-1', false, 'ec2');
    const repair = await whileProbing(() => vipctl(['check', '--active', 'server-b', '--repair']));
    expect(looped(repair.seen)).toBe(0);
    expect(answeredBy(await probeNow())).toEqual({ 'client-vpc-a': 'server-b', 'client-vpc-b': 'server-b' });
  });

  it('the task process dies after two writes: the run fails, no packet loops, and the next failover converges', async () => {
    await fromSeed();
    aws.models.armTaskCrash(2);

    const crashed = await whileProbing(() => vipctl(['failover', '--to', 'server-b']));

    expect(crashed.result.code).toBe(1);
    expect(looped(crashed.seen)).toBe(0);
    const again = await whileProbing(() => vipctl(['failover', '--to', 'server-b']));
    expect(again.result.code, again.result.stderr).toBe(0);
    expect(looped(again.seen)).toBe(0);
    expect(answeredBy(await probeNow())).toEqual({ 'client-vpc-a': 'server-b', 'client-vpc-b': 'server-b' });
  });

  it('throttled writes (RequestLimitExceeded) are retried: no packet loops, every client ends at server-b', async () => {
    await fromSeed();
    aws.models.addFault({
      action: 'ReplaceTransitGatewayRoute',
      code: 'RequestLimitExceeded',
      status: 503,
      count: 3,
    });
    aws.models.addFault({ action: 'ReplaceRoute', code: 'RequestLimitExceeded', status: 503, count: 3 });

    const { result, seen } = await whileProbing(() => vipctl(['failover', '--to', 'server-b']));

    expect(result.code, result.stderr).toBe(0);
    expect(looped(seen)).toBe(0);
    expect(answeredBy(await probeNow())).toEqual({ 'client-vpc-a': 'server-b', 'client-vpc-b': 'server-b' });
  });
});

interface PlannedChange {
  readonly table: string;
  readonly kind: 'vpc' | 'tgw';
  readonly region: string;
  readonly vip: string;
  readonly target: string;
}

/** The failover's changes in the order vipctl plans them (step, then wave), from the seed. */
async function planChanges(): Promise<PlannedChange[]> {
  aws.world.restore(seeded);
  await aws.dataPlane!.sync();
  const plan = await vipctl(['plan', '--to', 'server-b', '--json']);
  expect(plan.code, plan.stderr).toBe(0);
  return (JSON.parse(plan.stdout) as { changes: PlannedChange[] }).changes;
}

/** From the seed, writes `changes` one at a time through the EC2 API, probing after each write. */
async function writeOneByOne(changes: readonly PlannedChange[]) {
  aws.world.restore(seeded);
  await aws.dataPlane!.sync();
  let looped = 0;
  let last: Record<string, string> = {};
  for (const change of changes) {
    const ec2 = new EC2Client({
      region: change.region,
      endpoint: aws.url,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    if (change.kind === 'tgw')
      await ec2.send(
        new ReplaceTransitGatewayRouteCommand({
          TransitGatewayRouteTableId: change.table,
          DestinationCidrBlock: change.vip,
          TransitGatewayAttachmentId: change.target,
        }),
      );
    else
      await ec2.send(
        new ReplaceRouteCommand({
          RouteTableId: change.table,
          DestinationCidrBlock: change.vip,
          ...(change.target.startsWith('eni-')
            ? { NetworkInterfaceId: change.target }
            : { TransitGatewayId: change.target }),
        }),
      );
    const seen = await startProbe({ clients: clients(), vips: [VIP], rate: 100, durationMs: 200 }).done;
    looped += Object.values(seen).reduce((n, o) => n + o.vips[VIP]!.looped, 0);
    last = answeredBy(seen);
  }
  return { looped, last };
}

function execIn(
  netnsName: string,
  command: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('ip', ['netns', 'exec', netnsName, ...command], { timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }),
    );
  });
}
