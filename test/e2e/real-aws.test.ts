/**
 * What would break on real AWS, shown on local AWS with the built vipctl: a run that outlives
 * `--timeout` is stopped, the stale-run guard fails closed on AccessDenied, and a China topology
 * addresses everything by `arn:aws-cn:` ARNs.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type Cluster, json, startCluster, TWO_REGION } from '../reliability/harness';

let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

interface Report {
  status: string;
  run: { arn: string; name: string };
  failure?: { step?: string; error: string; cause: string };
  stopped?: { written: unknown[]; inFlight?: string };
}

describe('a run that outlives vipctl --timeout', () => {
  it('is stopped: vipctl exits 1 and the execution ends ABORTED before it verifies', async () => {
    cluster = await startCluster({ budgetMs: 20_000 });
    // The latency model's state transition cost makes the run take over 30 s.
    cluster.local.models.update({ transitionMs: 3000 });

    const result = await cluster.vipctl(['failover', '--to', 'server-b', '--timeout', '2', '--json']);

    expect(result.code, result.stderr).toBe(1);
    const report = json<Report>(result);
    expect(report.status).toBe('ABORTED');
    expect(report.stopped).toBeDefined();
    cluster.local.models.update({ transitionMs: 0 });
    const run = await cluster.settle(report.run.arn);
    expect(run.detail.status).toBe('ABORTED');
    expect(run.steps.map((s) => s.name)).not.toContain('VerifyReachability');
    // Generous: the run itself would have needed over 30 s; vipctl's own start-up is in this figure.
    expect(result.ms).toBeLessThan(20_000);
  });
});

describe('the stale-run guard', () => {
  it('fails the run, naming the region, when Step Functions denies it the listing there', async () => {
    cluster = await startCluster({ budgetMs: 20_000 });
    cluster.local.models.addFault({
      action: 'ListExecutions',
      region: 'us-east-1',
      code: 'AccessDeniedException',
      message: 'User is not authorized to perform: states:ListExecutions',
    });

    const result = await cluster.vipctl(['failover', '--to', 'server-b', '--json']);

    expect(result.code).toBe(1);
    const report = json<Report>(result);
    expect(report.status).toBe('FAILED');
    expect(report.failure).toMatchObject({ step: 'Plan', error: 'PreconditionFailed' });
    expect(report.failure?.cause).toContain('in us-east-1 (AccessDeniedException');
    expect(report.failure?.cause).toContain('states:ListExecutions');
    // Nothing moved: server-a still has the VIP.
    cluster.local.models.clearFaults();
    expect((await cluster.vipctl(['check', '--active', 'server-a'])).code).toBe(0);
  });
});

describe('a topology in China', () => {
  it('fails over with arn:aws-cn: state machine and execution ARNs', async () => {
    const text = readFileSync(TWO_REGION, 'utf8')
      .replaceAll('us-east-1', 'cn-north-1')
      .replaceAll('ap-southeast-1', 'cn-northwest-1');
    const config = join(mkdtempSync(join(tmpdir(), 'vip-cn-')), 'cluster.yaml');
    writeFileSync(config, text);
    cluster = await startCluster({ config, budgetMs: 20_000 });

    const failover = await cluster.vipctl(['failover', '--to', 'server-b', '--json']);
    const runs = await cluster.vipctl(['runs', '--json']);
    const policy = await cluster.vipctl(['policy', '--node']);

    expect(failover.code, `${failover.stdout}\n${failover.stderr}`).toBe(0);
    expect(json<Report>(failover).run.arn).toMatch(
      /^arn:aws-cn:states:cn-northwest-1:\d{12}:execution:vip-failover-orders-db:server-b-/,
    );
    const listed = json<{ runs: { arn: string }[] }>(runs).runs;
    expect(listed.length).toBeGreaterThan(0);
    for (const run of listed) expect(run.arn.startsWith('arn:aws-cn:states:')).toBe(true);
    const arns = json<{ Statement: { Resource: string[] }[] }>(policy)
      .Statement.flatMap((s) => s.Resource)
      .filter((r) => r !== '*');
    for (const arn of arns) expect(arn.startsWith('arn:aws-cn:')).toBe(true);
  });
});
