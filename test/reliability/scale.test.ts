/**
 * Scenario 2: a large topology (120 VPC route tables) against small EC2 token buckets. The run must
 * pace itself to the refill rate through its retries and finish with no failed change.
 *
 * About 20 s on a quiet machine, so it runs in `npm run test:reliability` (VIP_FULL_RELIABILITY=1) only;
 * `npm test` keeps token-bucket pacing at scale in test/tasks/ec2/throttled-failover.test.ts (162 paced
 * writes through the deployed state machine) and pacing on the wire in test/tasks/ec2/wire.test.ts.
 * The refill is slow enough (10 per s) that even a loaded machine sends faster than it: with 40 per s, a
 * busy local AWS answered slower than the bucket refilled and nothing was ever throttled.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Cluster, checkInvariants, json, record, routesOf, startCluster } from './harness';

const TABLES_PER_VPC = 60;
const BURST = 10;
const REFILL_PER_SECOND = 10;

const hex = (prefix: string, n: number) => `${prefix}${n.toString(16).padStart(8, '0')}`;

/** Two nodes in two regions, 60 route tables in each VPC. */
function largeTopology(tablesPerVpc: number): string {
  const tables = (p: string) =>
    Array.from({ length: tablesPerVpc }, (_, i) => `      - rtb-${hex(p, i)}`).join('\n');
  return `cluster: big
account: "123456789012"
vips: [172.16.0.1/32]
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
${tables('0a')}
  vpc-b:
    id: vpc-0b000000000000001
    region: ap-southeast-1
    cidr: 10.1.0.0/16
    transitGateway: tgw-b
    attachment: tgw-attach-0b000000000000001
    routeTables:
${tables('0b')}
transitGateways:
  tgw-a: { id: tgw-0a000000000000001, region: us-east-1, routeTables: [tgw-rtb-0a000000000000001] }
  tgw-b: { id: tgw-0b000000000000001, region: ap-southeast-1, routeTables: [tgw-rtb-0b000000000000001] }
peerings:
  - { between: [tgw-a, tgw-b], attachment: tgw-attach-0c000000000000001 }
`;
}

describe.runIf(process.env.VIP_FULL_RELIABILITY === '1')('fault matrix (large topology)', () => {
  let dir: string;
  let cluster: Cluster;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vip-reliability-'));
    const config = join(dir, 'big.yaml');
    writeFileSync(config, largeTopology(TABLES_PER_VPC));
    cluster = await startCluster({ config, budgetMs: 15_000 });
  });

  afterAll(async () => {
    await cluster?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('2 token buckets exhausted by 120 route tables -> SUCCEEDED, paced within the refill rate, no failed change', async (ctx) => {
    const before = routesOf(cluster);
    cluster.local.models.update({
      throttle: { enabled: true, mutating: { burst: BURST, refillPerSecond: REFILL_PER_SECOND } },
    });

    const result = await cluster.vipctl(['failover', '--to', 'server-b', '--json', '--timeout', '120']);

    expect(result.code, result.stdout + result.stderr).toBe(0);
    const report = json<{
      status: string;
      run: { arn: string };
      changes: { result: string; attempts: number }[];
    }>(result);
    expect(report.status).toBe('SUCCEEDED');
    expect(report.changes.filter((c) => c.result === 'applied')).toHaveLength(2 * TABLES_PER_VPC + 2);
    expect(report.changes.filter((c) => c.result !== 'applied')).toEqual([]);
    const stats = cluster.local.models.stats();
    expect(stats.throttled).toBeGreaterThan(0);
    expect(report.changes.some((c) => c.attempts > 1)).toBe(true);
    // Each step's writes in one region cannot finish faster than the bucket refills.
    const run = await cluster.settle(report.run.arn);
    const floorMs = ((TABLES_PER_VPC - BURST) / REFILL_PER_SECOND) * 1000;
    expect(run.detail.output?.timings['local-vpc']).toBeGreaterThanOrEqual(floorMs * 0.9);
    expect(run.detail.output?.timings['remote-vpc']).toBeGreaterThanOrEqual(floorMs * 0.9);
    const invariants = await checkInvariants(cluster, before, [run]);
    expect(invariants.problems).toEqual([]);
    record(
      ctx,
      '2 token buckets, 120 tables',
      `SUCCEEDED, ${stats.throttled} throttled, 0 failed`,
      invariants,
    );
  });
});
