/**
 * The fault matrix on the seed topology (examples/two-region.yaml): each scenario runs the real
 * workflow on local AWS, mostly through vipctl as a child process, then checks the invariants.
 * Scenarios share one local AWS (synthesis is the slow part); the world and the models are reset
 * before each one, and the runs of earlier scenarios are all closed and older.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { run as runCli } from '../../cli/program';
import type { RunRecord } from '../../cli/runs/run-record';
import { seededForTest } from '../support/seeded';
import {
  type CliResult,
  type Cluster,
  checkInvariants,
  json,
  record,
  routesOf,
  startCluster,
} from './harness';

const VIP = '172.16.0.1/32';
const A = {
  eni: 'eni-0a1f3c5e7b9d2f4a6',
  rtbPublic: 'rtb-0a1c3e5f7b9d2a4c6',
  rtbPrivate: 'rtb-0a2d4f6b8c1e3a5d7',
};
const B = {
  eni: 'eni-0b2e4a6c8f1d3b5e7',
  rtbPublic: 'rtb-0b1d3f5a7c9e2b4d6',
  rtbPrivate: 'rtb-0b2e4a6c8d1f3b5e7',
};
const TGW_RTB_A = 'tgw-rtb-0a1b2c3d4e5f6a7b8';
const TGW_RTB_B = 'tgw-rtb-0b1c2d3e4f5a6b7c8';
const PEERING = 'tgw-attach-0c1d2e3f4a5b6c7d8';
const US = 'us-east-1';
const AP = 'ap-southeast-1';

let cluster: Cluster;

interface Report {
  status: string;
  exitCode: number;
  run: { arn: string; name: string; region: string; reused: boolean };
  changes?: { table: string; result: string; action: string; attempts: number }[];
  unreached?: { table: string; region: string }[];
  failure?: { step?: string; error: string; cause: string };
}

beforeAll(async () => {
  cluster = await startCluster();
});

afterAll(async () => {
  await cluster?.close();
});

beforeEach(async () => {
  await fetch(`${cluster.local.url}/_local/reset`, { method: 'POST' });
});

const vipRoute = (table: string, region: string) => cluster.local.world.findRoute(region, table, VIP);
const failover = (to: string, ...extra: string[]) =>
  cluster.vipctl(['failover', '--to', to, '--json', '--timeout', '240', ...extra]);
const reportOf = (result: CliResult) => json<Report>(result);
const runOf = (result: CliResult): Promise<RunRecord> => cluster.settle(reportOf(result).run.arn);
const writes = () => cluster.local.models.stats().writes;

describe('fault matrix (two regions)', () => {
  it('1 throttling: 30% of mutating calls in one region throttled -> SUCCEEDED with retries visible', async (ctx) => {
    const before = routesOf(cluster);
    cluster.useRandom(seededForTest().random);
    // At most 2 random throttles per action: no call can see enough of them in a row to outlast the
    // 2 s retry budget, whatever the seed and however slow the machine.
    const throttle = (action: string) => ({
      action,
      region: AP,
      code: 'RequestLimitExceeded',
      message: 'Request limit exceeded.',
      status: 503,
      probability: 0.3,
      count: 2,
    });
    // The first write of the region is throttled for sure, so a retry is always there to see.
    cluster.local.models.addFault({ ...throttle('ReplaceRoute'), probability: 1, count: 1 });
    for (const action of [
      'ReplaceRoute',
      'CreateRoute',
      'ReplaceTransitGatewayRoute',
      'CreateTransitGatewayRoute',
    ])
      cluster.local.models.addFault(throttle(action));

    const result = await failover('server-b');

    expect(result.code, result.stderr).toBe(0);
    const report = reportOf(result);
    expect(report.status).toBe('SUCCEEDED');
    expect(report.changes?.some((c) => c.result === 'applied' && c.attempts > 1)).toBe(true);
    expect(report.changes?.every((c) => c.result === 'applied')).toBe(true);
    expect(cluster.local.models.stats().faultsInjected).toBeGreaterThanOrEqual(1);
    const invariants = await checkInvariants(cluster, before, [await runOf(result)]);
    expect(invariants.problems).toEqual([]);
    const most = Math.max(...(report.changes ?? []).map((c) => c.attempts));
    record(ctx, '1 throttling 30% in one region', `${report.status}, up to ${most} attempts`, invariants);
  });

  it("3 old active's region unreachable -> DEGRADED, target region converged; check --repair converges later", async (ctx) => {
    const before = routesOf(cluster);
    cluster.local.models.setOutage(US, true);

    const result = await failover('server-b');

    expect(result.code, result.stdout).toBe(3);
    const report = reportOf(result);
    expect(report.status).toBe('DEGRADED');
    const unreached = (report.unreached ?? []).map((u) => u.table).sort();
    expect(unreached).toEqual([A.rtbPublic, A.rtbPrivate, TGW_RTB_A].sort());
    expect(vipRoute(B.rtbPublic, AP)?.target).toBe(B.eni);
    expect(vipRoute(B.rtbPrivate, AP)?.target).toBe(B.eni);
    expect(vipRoute(TGW_RTB_B, AP)?.target).toBe('tgw-attach-0b6d8f1a3c5e7b9d4');
    const degraded = await runOf(result);
    const during = await checkInvariants(cluster, before, [degraded]);
    expect(during.problems).toEqual([]);

    cluster.local.models.setOutage(US, false);
    const repair = await cluster.vipctl(['check', '--active', 'server-b', '--repair', '--json']);

    expect(repair.code, repair.stdout + repair.stderr).toBe(0);
    const repaired = json<{ repair: Report }>(repair).repair;
    expect(repaired.status).toBe('SUCCEEDED');
    expect((await cluster.vipctl(['check', '--active', 'server-b'])).code).toBe(0);
    const after = await checkInvariants(cluster, before, [degraded, await cluster.settle(repaired.run.arn)]);
    expect(after.problems).toEqual([]);
    record(ctx, "3 old active's region down", `${report.status}, then repair ${repaired.status}`, after);
  });

  it("4 target's own region unreachable -> started in another region, FAILED with the reason, never success", async (ctx) => {
    const before = routesOf(cluster);
    cluster.local.models.setOutage(AP, true);

    const result = await failover('server-b');

    expect(result.code).toBe(1);
    const report = reportOf(result);
    expect(report.run.region).toBe(US);
    expect(report.status).toBe('FAILED');
    expect(report.failure?.error).toBe('RegionUnreachable');
    expect(report.failure?.cause).toContain(`the EC2 API of ${AP}, the region of target server-b`);
    expect(result.stderr).toContain(`Step Functions in ${AP} is unreachable`);
    expect(writes()).toBe(0);
    const run = await runOf(result);
    cluster.local.models.setOutage(AP, false);
    const invariants = await checkInvariants(cluster, before, [run]);
    expect(invariants.problems).toEqual([]);
    expect(routesOf(cluster)).toEqual(before);
    record(ctx, "4 target's region down", `${report.status} ${report.failure?.error}`, invariants);
  });

  it('5 UnauthorizedOperation on one remote table -> FAILED naming it; show has the snapshot; rollback restores it', async (ctx) => {
    const before = routesOf(cluster);
    cluster.local.models.addFault({
      action: 'ReplaceRoute',
      resource: A.rtbPublic,
      code: 'UnauthorizedOperation',
      message: 'You are not authorized to perform this operation.',
      status: 403,
    });

    const result = await failover('server-b');

    expect(result.code).toBe(1);
    const report = reportOf(result);
    expect(report.failure).toMatchObject({ step: 'UpdateRemoteVpcRoutes', error: 'RouteUpdateFailed' });
    expect(report.failure?.cause).toContain(A.rtbPublic);
    expect(report.failure?.cause).toContain('UnauthorizedOperation');
    // The local step's changes stay: no automatic rollback.
    expect(vipRoute(B.rtbPublic, AP)?.target).toBe(B.eni);
    expect(vipRoute(A.rtbPublic, US)?.target).toBe(A.eni);
    const failed = await runOf(result);
    const invariants = await checkInvariants(cluster, before, [failed]);
    expect(invariants.problems).toEqual([]);

    const shown = await cluster.vipctl(['show', report.run.name, '--json']);
    expect(shown.code).toBe(0);
    const snapshot = json<{ snapshot: { table: string; target: string }[] }>(shown).snapshot;
    expect(snapshot).toHaveLength(6);
    cluster.local.models.clearFaults();
    const rollback = await cluster.vipctl(['rollback', report.run.name, '--yes', '--json']);

    expect(rollback.code, rollback.stdout).toBe(0);
    expect(reportOf(rollback)).toMatchObject({ status: 'SUCCEEDED', target: 'server-a' });
    for (const route of snapshot) {
      const region = route.table.startsWith('rtb-0a') || route.table === TGW_RTB_A ? US : AP;
      expect(vipRoute(route.table, region)?.target, route.table).toBe(route.target);
    }
    expect(routesOf(cluster)).toEqual(before);
    record(ctx, '5 permanent error on a remote table', `${report.status}, rollback SUCCEEDED`, invariants);
  });

  it('6 stale reads after writes -> verification retries, then SUCCEEDED', async (ctx) => {
    const before = routesOf(cluster);
    cluster.local.models.update({ staleReads: 2 });

    const result = await failover('server-b');

    expect(result.code, result.stdout).toBe(0);
    const run = await runOf(result);
    const history = await cluster.executions.history(run.detail.arn);
    const notConverged = history.filter((e) => e.taskFailedEventDetails?.error === 'NotConverged').length;
    // The tables of the last update step are read only by VerifyReachability: each of its first two
    // reads sees the route before the write, so it retries exactly twice.
    expect(notConverged).toBe(2);
    expect(run.detail.output?.status).toBe('SUCCEEDED');
    const invariants = await checkInvariants(cluster, before, [run]);
    expect(invariants.problems).toEqual([]);
    record(ctx, '6 stale reads after writes', `SUCCEEDED after ${notConverged} NotConverged`, invariants);
  });

  it('7 a missing VIP route is created and a blackholed one replaced', async (ctx) => {
    cluster.local.world.deleteRoute(US, A.rtbPublic, VIP);
    cluster.local.world.setRoute(AP, TGW_RTB_B, VIP, null);
    const before = routesOf(cluster);
    expect(before.find((r) => r.table === TGW_RTB_B && r.destination === VIP)?.state).toBe('blackhole');

    const result = await failover('server-a');

    expect(result.code, result.stdout).toBe(0);
    const changes = reportOf(result).changes ?? [];
    expect(changes.find((c) => c.table === A.rtbPublic)).toMatchObject({
      action: 'create',
      result: 'applied',
    });
    expect(changes.find((c) => c.table === TGW_RTB_B)).toMatchObject({
      action: 'replace',
      result: 'applied',
    });
    expect(changes.filter((c) => c.result === 'applied')).toHaveLength(2);
    expect(vipRoute(A.rtbPublic, US)?.target).toBe(A.eni);
    expect(vipRoute(TGW_RTB_B, AP)?.state).toBe('active');
    const invariants = await checkInvariants(cluster, before, [await runOf(result)]);
    expect(invariants.problems).toEqual([]);
    record(ctx, '7 missing and blackholed VIP routes', 'SUCCEEDED (1 create, 1 replace)', invariants);
  });

  it('8 the same failover twice at once (same requestedAt) -> one execution, both report its outcome', async (ctx) => {
    const before = routesOf(cluster);
    // vipctl names a run <target>-<requestedAt in ms> and requestedAt is the command's clock: two
    // commands dedupe when they ask in the same millisecond (a retried start). The CLI is run in
    // process here so both invocations can share one clock reading.
    const at = new Date();
    const invoke = async () => {
      let stdout = '';
      let stderr = '';
      const code = await runCli(
        [
          '--config',
          cluster.config,
          '--endpoint-url',
          cluster.local.url,
          '--json',
          'failover',
          '--to',
          'server-b',
        ],
        {
          stdout: { write: (s: string) => (stdout += s) },
          stderr: { write: (s: string) => (stderr += s) },
          isTTY: false,
          env: { VIPCTL_JOURNAL: process.env.VIPCTL_JOURNAL },
          cwd: process.cwd(),
        },
        { now: () => new Date(at), requestedBy: 'cluster start script' },
      );
      return { code, stdout, stderr, ms: 0, killed: false };
    };

    const [first, second] = await Promise.all([invoke(), invoke()]);

    expect(first.code, first.stderr).toBe(0);
    expect(second.code, second.stderr).toBe(0);
    const [r1, r2] = [reportOf(first), reportOf(second)];
    expect(r1.run.arn).toBe(r2.run.arn);
    expect(r1.status).toBe('SUCCEEDED');
    expect(r2.status).toBe('SUCCEEDED');
    const { runs } = await cluster.executions.list(100);
    expect(runs.filter((r) => r.name === r1.run.name)).toHaveLength(1);
    const invariants = await checkInvariants(cluster, before, [await cluster.settle(r1.run.arn)]);
    expect(invariants.problems).toEqual([]);
    record(ctx, '8 duplicate start, same requestedAt', 'one execution, both SUCCEEDED', invariants);
  });

  it('8b two failover commands to the same node at once (separate processes) -> one outcome, reported by both', async (ctx) => {
    const before = routesOf(cluster);
    const earlier = new Set((await cluster.executions.list(100)).runs.map((r) => r.arn));

    const [first, second] = await Promise.all([failover('server-b'), failover('server-b')]);

    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(second.code, second.stdout + second.stderr).toBe(0);
    const [r1, r2] = [reportOf(first), reportOf(second)];
    expect([r1.status, r2.status]).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    // The later command joins the running run, or its own run is superseded and it follows the newer
    // one; only when both start within one ListExecutions round trip and the older run has passed its
    // last guard do two runs both finish, writing the same routes.
    const runs = (await cluster.executions.list(100)).runs.filter((r) => !earlier.has(r.arn));
    expect(runs.length).toBeGreaterThanOrEqual(1);
    expect(runs.length).toBeLessThanOrEqual(2);
    if (r1.run.arn !== r2.run.arn) expect(runs.every((r) => r.status === 'SUCCEEDED')).toBe(true);
    expect((await cluster.vipctl(['check', '--active', 'server-b'])).code).toBe(0);
    const settled = await Promise.all(runs.map((r) => cluster.settle(r.arn)));
    const invariants = await checkInvariants(cluster, before, settled);
    expect(invariants.problems).toEqual([]);
    const how = r1.run.arn === r2.run.arn ? 'one run, both followed it' : 'two runs, both SUCCEEDED';
    record(ctx, '8b duplicate start, two processes', how, invariants);
  });

  it('10 flapping A->B->A->B in quick succession -> final state is the last request, trace converged', async (ctx) => {
    const before = routesOf(cluster);
    const started: string[] = [];
    // Through the SDK: a vipctl process takes longer to start than a run takes to finish here. Each
    // request is a millisecond later than the one before, so no two share an execution name.
    const at = Date.now();
    for (const [i, to] of ['server-b', 'server-a', 'server-b', 'server-a', 'server-b'].entries()) {
      const requestedAt = new Date(at + i).toISOString();
      started.push(await cluster.start({ target: to, requestedAt, reason: 'flap' }));
    }

    const runs = [];
    for (const arn of started) runs.push(await cluster.settle(arn));

    const last = runs[runs.length - 1]!;
    expect(last.detail.output?.status).toBe('SUCCEEDED');
    expect(last.detail.output?.trace.converged).toBe(true);
    expect((await cluster.vipctl(['check', '--active', 'server-b'])).code).toBe(0);
    // Every earlier run either finished or stopped itself as Superseded; none failed otherwise.
    for (const run of runs.slice(0, -1)) {
      expect(['SUCCEEDED', 'FAILED']).toContain(run.detail.status);
      if (run.detail.status === 'FAILED') expect(run.failure?.error).toBe('Superseded');
    }
    const invariants = await checkInvariants(cluster, before, runs);
    expect(invariants.problems).toEqual([]);
    const statuses = runs.map((r) => (r.detail.status === 'FAILED' ? 'Superseded' : r.detail.status));
    record(ctx, '10 flapping A-B-A-B-A-B', `last SUCCEEDED (${statuses.join(', ')})`, invariants);
  });

  it('11 the task process dies mid-apply -> FAILED; a rerun converges; nothing points outside the topology', async (ctx) => {
    const before = routesOf(cluster);
    await fetch(`${cluster.local.url}/_local/crash`, {
      method: 'POST',
      body: JSON.stringify({ afterWrites: 3 }),
    });

    const crashed = await failover('server-b');

    expect(crashed.code).toBe(1);
    expect(reportOf(crashed).failure?.error).toBe('Runtime.ExitError');
    expect(writes()).toBe(3);
    const crashedRun = await runOf(crashed);
    const rerun = await failover('server-b');

    expect(rerun.code, rerun.stdout).toBe(0);
    expect(reportOf(rerun).status).toBe('SUCCEEDED');
    const rerunRun = await runOf(rerun);
    const known = knownTargets();
    const vipTargets = routesOf(cluster).filter((r) => r.destination === VIP);
    expect(vipTargets.filter((r) => !known.has(r.target ?? ''))).toEqual([]);
    // A dead process reports nothing; its writes show up in the rerun's snapshot (the audit trail).
    const crashWrites = rerunRun.snapshot
      ?.filter((s) => before.find((r) => r.table === s.table && r.destination === s.vip)?.target !== s.target)
      .map((s) => `${s.table}|${s.vip}`);
    expect(crashWrites).toHaveLength(3);
    const invariants = await checkInvariants(cluster, before, [crashedRun, rerunRun], {
      injected: crashWrites,
    });
    expect(invariants.problems).toEqual([]);
    record(ctx, '11 task dies after 3 of 6 writes', 'FAILED, rerun SUCCEEDED', invariants);
  });

  it('12 drift between apply and verify -> NotConverged, no false SUCCEEDED', async (ctx) => {
    const before = routesOf(cluster);
    let seen = 0;
    const stop = cluster.local.models.onWrite(() => {
      seen += 1;
      // Right after the last of the 6 writes, before VerifyReachability reads: someone re-points a table.
      if (seen === 6) cluster.local.world.setRoute(AP, B.rtbPublic, VIP, A.eni);
    });
    try {
      const result = await failover('server-b');

      expect(result.code).toBe(1);
      const report = reportOf(result);
      expect(report.status).toBe('FAILED');
      expect(report.failure).toMatchObject({ step: 'VerifyReachability', error: 'NotConverged' });
      expect(report.failure?.cause).toContain(B.rtbPublic);
      const invariants = await checkInvariants(cluster, before, [await runOf(result)], {
        injected: [`${B.rtbPublic}|${VIP}`],
      });
      expect(invariants.problems).toEqual([]);
      record(
        ctx,
        '12 drift between apply and verify',
        `${report.status} ${report.failure?.error}`,
        invariants,
      );
    } finally {
      stop();
    }
  });

  it('12b a loop between the TGWs appears between apply and verify -> NotConverged, no false SUCCEEDED', async (ctx) => {
    const before = routesOf(cluster);
    let seen = 0;
    const stop = cluster.local.models.onWrite(() => {
      seen += 1;
      // After the last write, the target's TGW sends the VIP back over the peering: every path from
      // VPC-A and from both TGWs now loops between the TGWs, one hop past the first TGW.
      if (seen === 6) cluster.local.world.setRoute(AP, TGW_RTB_B, VIP, PEERING);
    });
    try {
      const result = await failover('server-b');

      expect(result.code, result.stdout).toBe(1);
      const report = reportOf(result);
      expect(report.status).toBe('FAILED');
      expect(report.failure).toMatchObject({ step: 'VerifyReachability', error: 'NotConverged' });
      expect(report.failure?.cause).toContain(TGW_RTB_B);
      const invariants = await checkInvariants(cluster, before, [await runOf(result)], {
        injected: [`${TGW_RTB_B}|${VIP}`],
      });
      expect(invariants.problems).toEqual([]);
      record(
        ctx,
        '12b TGW loop between apply and verify',
        `${report.status} ${report.failure?.error}`,
        invariants,
      );
    } finally {
      stop();
    }
  });
});

function knownTargets(): Set<string> {
  const t = cluster.topology;
  return new Set([
    ...Object.values(t.nodes).map((n) => n.eni),
    ...Object.values(t.vpcs).map((v) => v.attachment),
    ...Object.values(t.transitGateways).map((g) => g.id),
    ...t.peerings.map((p) => p.attachment),
  ]);
}
