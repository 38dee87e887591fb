/**
 * State that fits: a failover of 2,008 route writes (250 route tables per VPC in two regions, 4 VIPs,
 * plus the TGW tables) keeps every state of its execution under half of Step Functions' 256 KiB, and
 * `show` and `rollback` work for it from the run's records in the run bucket. A step that fails after
 * writing about a thousand routes leaves a cause under 32,768 characters, and `show` still lists every
 * route it wrote. Latency models off. Three runs of about 2,000 writes take minutes on two shared
 * cores, so this runs in `npm run test:reliability` only (VIP_FULL_RELIABILITY=1); `npm test` keeps
 * the stored-record path through test/reliability/scale.test.ts (122 routes).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CAUSE_LIMIT_CHARS, STATE_DATA_TARGET_BYTES } from '../../tasks/state-size';
import { type Cluster, json, record, routesOf, startCluster } from './harness';

const TABLES_PER_VPC = 250;
const VIPS = ['172.16.0.1/32', '172.16.0.2/32', '172.16.0.3/32', '172.16.0.4/32'];
const ROUTES = (TABLES_PER_VPC * 2 + 2) * VIPS.length;

const hex = (prefix: string, n: number) => `${prefix}${n.toString(16).padStart(15, '0')}`;
const tableOf = (vpc: 'a' | 'b', i: number) => `rtb-${hex(`0${vpc}`, i)}`;

function largeTopology(): string {
  const tables = (vpc: 'a' | 'b') =>
    Array.from({ length: TABLES_PER_VPC }, (_, i) => `      - ${tableOf(vpc, i)}`).join('\n');
  return `cluster: wide
account: "123456789012"
vips: [${VIPS.join(', ')}]
nodes:
  server-a: { vpc: vpc-a, eni: eni-0a000000000000001, instance: i-0a000000000000001 }
  server-b: { vpc: vpc-b, eni: eni-0b000000000000001, instance: i-0b000000000000001 }
vpcs:
  vpc-a:
    id: vpc-0a000000000000001
    region: us-east-1
    cidr: 10.0.0.0/16
    transitGateway: tgw-a
    attachment: tgw-attach-0a000000000000001
    routeTables:
${tables('a')}
  vpc-b:
    id: vpc-0b000000000000001
    region: ap-southeast-1
    cidr: 10.1.0.0/16
    transitGateway: tgw-b
    attachment: tgw-attach-0b000000000000001
    routeTables:
${tables('b')}
transitGateways:
  tgw-a: { id: tgw-0a000000000000001, region: us-east-1, routeTables: [tgw-rtb-0a000000000000001] }
  tgw-b: { id: tgw-0b000000000000001, region: ap-southeast-1, routeTables: [tgw-rtb-0b000000000000001] }
peerings:
  - { between: [tgw-a, tgw-b], attachment: tgw-attach-0c000000000000001 }
`;
}

/**
 * The largest state data of a run as its history records it, in UTF-8 bytes: execution input and
 * output, each state's input and output, each task's parameters and result. Measured here, not by
 * the code under test.
 */
function largestState(events: readonly HistoryEvent[]): { bytes: number; where: string } {
  let largest = { bytes: 0, where: '' };
  const see = (text: string | undefined, where: string) => {
    const bytes = text === undefined ? 0 : Buffer.byteLength(text, 'utf8');
    if (bytes > largest.bytes) largest = { bytes, where };
  };
  for (const e of events) {
    see(e.executionStartedEventDetails?.input, 'execution input');
    see(e.executionSucceededEventDetails?.output, 'execution output');
    see(e.stateEnteredEventDetails?.input, `${e.stateEnteredEventDetails?.name} input`);
    see(e.stateExitedEventDetails?.output, `${e.stateExitedEventDetails?.name} output`);
    see(e.taskScheduledEventDetails?.parameters, 'task parameters');
    see(e.taskSucceededEventDetails?.output, 'task result');
  }
  return largest;
}

/** VIP routes of local AWS that point at `target`, keyed `table|vip`. */
const vipRoutes = (cluster: Cluster) =>
  new Map(
    routesOf(cluster)
      .filter((r) => VIPS.includes(r.destination))
      .map((r) => [`${r.table}|${r.destination}`, r.target]),
  );

let dir: string;
let cluster: Cluster;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vip-state-size-'));
  const config = join(dir, 'wide.yaml');
  writeFileSync(config, largeTopology());
  cluster = await startCluster({ config, budgetMs: 15_000 });
}, 120_000);

afterAll(async () => {
  await cluster?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe.runIf(process.env.VIP_FULL_RELIABILITY === '1')('state that fits (2,008 route writes)', () => {
  it('fails over with every state under half the limit; show and rollback read the run record', async (ctx) => {
    const before = vipRoutes(cluster);
    const started = Date.now();

    const failover = await cluster.vipctl(['failover', '--to', 'server-b', '--json', '--timeout', '240'], {
      timeoutMs: 300_000,
    });

    expect(failover.code, `${failover.stderr}\n${failover.stdout.slice(0, 3000)}`).toBe(0);
    const report = json<{ run: { arn: string }; changes: { result: string }[] }>(failover);
    expect(report.changes.filter((c) => c.result === 'applied')).toHaveLength(ROUTES);
    const largest = largestState(await cluster.executions.history(report.run.arn));
    expect(largest.bytes).toBeLessThan(STATE_DATA_TARGET_BYTES);

    const failoverMs = Date.now() - started;
    const shown = await cluster.vipctl(['show', report.run.arn, '--json'], { timeoutMs: 120_000 });
    expect(shown.code, shown.stderr).toBe(0);
    const run = json<{
      changes: { table: string; vip: string; target: string; result: string }[];
      snapshot: { table: string; vip: string; target: string }[];
      trace: { converged: boolean; starts: unknown[] };
      record: { key: string }[];
    }>(shown);
    expect(run.changes.filter((c) => c.result === 'applied')).toHaveLength(ROUTES);
    expect(run.snapshot).toHaveLength(ROUTES);
    expect(run.trace).toMatchObject({ converged: true });
    expect(run.trace.starts).toHaveLength(ROUTES);
    expect(run.record.map((r) => r.key.split('/').pop())).toEqual(['plan.json', 'output.json']);
    const world = vipRoutes(cluster);
    for (const c of run.changes) expect(world.get(`${c.table}|${c.vip}`)).toBe(c.target);
    for (const s of run.snapshot) expect(before.get(`${s.table}|${s.vip}`)).toBe(s.target);

    const rollback = await cluster.vipctl(
      ['rollback', report.run.arn, '--yes', '--json', '--timeout', '240'],
      {
        timeoutMs: 300_000,
      },
    );
    expect(rollback.code, rollback.stderr).toBe(0);
    const restored = json<{ run: { arn: string } }>(rollback);
    const restoreLargest = largestState(await cluster.executions.history(restored.run.arn));
    expect(restoreLargest.bytes).toBeLessThan(STATE_DATA_TARGET_BYTES);
    expect(vipRoutes(cluster)).toEqual(before);

    record(
      ctx,
      `failover of ${ROUTES} route writes, then rollback`,
      `largest state ${largest.bytes} B (${largest.where}), restore ${restoreLargest.bytes} B (${restoreLargest.where}); limit 262144 B; failover ${failoverMs} ms, show ${shown.ms} ms, rollback ${rollback.ms} ms`,
    );
  }, 600_000);

  it('keeps every route a failed step wrote, although listing them would overflow the cause', async (ctx) => {
    const before = vipRoutes(cluster);
    // The first step (the target's VPC, 1,000 writes in one wave) stops the run: the rest is never written.
    const failing = tableOf('b', TABLES_PER_VPC - 1);
    cluster.local.models.update({
      faults: [{ action: 'ReplaceRoute', resource: failing, code: 'UnauthorizedOperation' }],
    });
    try {
      const failover = await cluster.vipctl(['failover', '--to', 'server-b', '--json', '--timeout', '240'], {
        timeoutMs: 300_000,
      });
      expect(failover.code).toBe(1);
    } finally {
      cluster.local.models.update({ faults: [] });
    }

    const shown = await cluster.vipctl(['show', '--last', '--json'], { timeoutMs: 120_000 });
    expect(shown.code, shown.stderr).toBe(0);
    const run = json<{
      run: { arn: string };
      changes: { table: string; vip: string; target: string; step: string; result: string }[];
      failure: { step: string; error: string };
    }>(shown);
    expect(run.failure).toMatchObject({ step: 'UpdateLocalVpcRoutes', error: 'RouteUpdateFailed' });
    const events = await cluster.executions.history(run.run.arn);
    const causes = events.flatMap((e) => [
      e.taskFailedEventDetails?.cause,
      e.executionFailedEventDetails?.cause,
    ]);
    const cause = causes.find((c) => c?.includes('RouteUpdateFailed')) ?? '';
    expect(cause.length).toBeGreaterThan(0);
    expect(cause.length).toBeLessThanOrEqual(CAUSE_LIMIT_CHARS);
    expect(() => JSON.parse(cause)).not.toThrow();

    // Every route the world shows changed is one show reports as applied, and the other way round.
    const applied = run.changes.filter((c) => c.result === 'applied');
    expect(applied).toHaveLength((TABLES_PER_VPC - 1) * VIPS.length);
    expect(applied.every((c) => c.step === 'local-vpc')).toBe(true);
    const world = vipRoutes(cluster);
    for (const c of applied) expect(world.get(`${c.table}|${c.vip}`)).toBe(c.target);
    const changed = [...world].filter(([key, target]) => before.get(key) !== target).map(([key]) => key);
    expect(changed.sort()).toEqual(applied.map((c) => `${c.table}|${c.vip}`).sort());
    const failed = run.changes.filter((c) => c.result === 'failed');
    expect(failed.map((c) => c.table)).toEqual(VIPS.map(() => failing));
    // The old message listed each write on a line of its own: well over the cause limit here.
    const listing = applied
      .map((c) => `  replace ${c.vip} -> ${c.target} in ${c.table} (ap-southeast-1)`)
      .join('\n');
    expect(listing.length).toBeGreaterThan(CAUSE_LIMIT_CHARS);
    record(
      ctx,
      `step fails after ${applied.length} writes`,
      `cause ${cause.length} chars (limit ${CAUSE_LIMIT_CHARS}); listing would take ${listing.length}; show reports all ${applied.length} writes`,
    );
  }, 600_000);
});
