import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, describe, expect, it } from 'vitest';
import {
  convergeOnServerB,
  type FakeAws,
  failoverToB,
  fakeAws,
  ID,
  REGION_A,
  REGION_B,
  twoRegionTopology,
  VIP,
  worldWithServerAActive,
} from './fake-aws';
import { runWorkflow, tasks } from './flow';

const topology = twoRegionTopology();
const target = (aws: FakeAws, table: string) => aws.world.tables.get(table)?.routes.get(VIP)?.target;

describe('a whole run through the task handler', () => {
  let aws: FakeAws;
  afterEach(() => {
    aws.ec2.restore();
    aws.sfn.restore();
  });

  it('fails over to server-b and verifies every table arrives there (SUCCEEDED)', async () => {
    aws = fakeAws(worldWithServerAActive());

    const out = await runWorkflow(aws, topology, failoverToB());

    expect(out.status).toBe('SUCCEEDED');
    expect(out.trace.converged).toBe(true);
    expect(out.trace.starts.every((s) => s.outcome.kind === 'arrives' && s.outcome.node === 'server-b')).toBe(
      true,
    );
    expect(out.changes.map((c) => [c.step, c.table, c.result])).toEqual([
      ['local-vpc', ID.rtbB1, 'applied'],
      ['tgw', ID.tgwRtbB, 'applied'],
      ['tgw', ID.tgwRtbA, 'applied'],
      ['remote-vpc', ID.rtbA1, 'applied'],
      ['remote-vpc', ID.rtbA2, 'applied'],
    ]);
    expect(out.snapshot.find((s) => s.table === ID.rtbB1)).toMatchObject({
      target: ID.tgwB,
      state: 'active',
    });
    expect(out.unreached).toEqual([]);
    expect(Object.keys(out.timings)).toEqual(['plan', 'local-vpc', 'tgw', 'remote-vpc', 'verify']);
    expect(out.request).toEqual(failoverToB());
    expect([
      target(aws, ID.rtbA1),
      target(aws, ID.rtbB1),
      target(aws, ID.tgwRtbA),
      target(aws, ID.tgwRtbB),
    ]).toEqual([ID.tgwA, ID.eniB, ID.peering, ID.attachB]);
  });

  it('writes nothing the second time and reports every route as already right', async () => {
    aws = fakeAws(worldWithServerAActive());
    await runWorkflow(aws, topology, failoverToB());
    const writesBefore = aws.writes.length;

    const again = await runWorkflow(aws, topology, {
      ...failoverToB(),
      requestedAt: '2026-11-25T12:05:00.000Z',
    });

    expect(aws.writes).toHaveLength(writesBefore);
    expect(again.status).toBe('SUCCEEDED');
    expect(again.changes).toHaveLength(5);
    expect(
      again.changes.every((c) => c.result === 'already-right' && c.action === 'none' && c.attempts === 0),
    ).toBe(true);
    expect(Object.keys(again.timings)).toEqual(['plan', 'verify']);
  });

  it('ends DEGRADED when a remote region is down, listing the tables it could not write', async () => {
    aws = fakeAws(worldWithServerAActive());
    const t = tasks(aws, topology);
    const plan = await t.plan(failoverToB());
    aws.world.down.add(REGION_A);
    const applied = {
      localVpc: await t.apply(plan, 'local-vpc'),
      tgw: await t.apply(plan, 'tgw'),
      remoteVpc: await t.apply(plan, 'remote-vpc'),
    };

    const out = await t.verify(plan, applied);

    expect(out.status).toBe('DEGRADED');
    expect(out.unreached).toEqual([
      { table: ID.tgwRtbA, region: REGION_A, vip: VIP },
      { table: ID.rtbA1, region: REGION_A, vip: VIP },
      { table: ID.rtbA2, region: REGION_A, vip: VIP },
    ]);
    expect(out.changes.filter((c) => c.region === REGION_B).map((c) => c.result)).toEqual([
      'applied',
      'applied',
    ]);
    expect(target(aws, ID.rtbB1)).toBe(ID.eniB);
    expect(target(aws, ID.tgwRtbB)).toBe(ID.attachB);
  });

  it('fails with NotConverged naming the table whose route drifted after the update', async () => {
    aws = fakeAws(worldWithServerAActive());
    const t = tasks(aws, topology);
    const plan = await t.plan(failoverToB());
    const applied = {
      localVpc: await t.apply(plan, 'local-vpc'),
      tgw: await t.apply(plan, 'tgw'),
      remoteVpc: await t.apply(plan, 'remote-vpc'),
    };
    aws.world.tables.get(ID.rtbA2)?.routes.set(VIP, { target: ID.eniA, state: 'blackhole' });

    await expect(t.verify(plan, applied)).rejects.toMatchObject({
      name: 'NotConverged',
      message: expect.stringContaining(`${ID.rtbA2} (${REGION_A}) ${VIP}: blackhole at ${ID.rtbA2}`),
    });
  });

  it('fails with NotConverged when the node loses its health after the update', async () => {
    const world = worldWithServerAActive();
    convergeOnServerB(world);
    aws = fakeAws(world);
    const t = tasks(aws, topology);
    const plan = await t.plan(failoverToB());
    aws.world.instances.set(ID.iB, { region: REGION_B, state: 'running', sourceDestCheck: true });

    await expect(t.verify(plan, {})).rejects.toMatchObject({
      name: 'NotConverged',
      message: expect.stringContaining('source/destination check is on'),
    });
  });

  it("fails with NotConverged when the target's own region cannot be read", async () => {
    const world = worldWithServerAActive();
    convergeOnServerB(world);
    aws = fakeAws(world);
    const t = tasks(aws, topology);
    const plan = await t.plan(failoverToB());
    aws.world.down.add(REGION_B);

    await expect(t.verify(plan, {})).rejects.toMatchObject({
      name: 'NotConverged',
      message: expect.stringContaining(`the target's region ${REGION_B} could not be read`),
    });
  });

  it('rolls a failover back from its snapshot (restore mode)', async () => {
    aws = fakeAws(worldWithServerAActive());
    const failover = await runWorkflow(aws, topology, failoverToB());

    const restored = await runWorkflow(aws, topology, {
      target: 'server-a',
      reason: 'rollback',
      requestedAt: '2026-11-25T12:10:00.000Z',
      restore: {
        from: 'arn:aws:states:ap-southeast-1:123456789012:execution:vip-failover-orders-db:server-b-20261125T120356123',
        routes: failover.snapshot,
      },
    });

    expect(restored).toMatchObject({ status: 'SUCCEEDED', mode: 'restore', target: 'server-a' });
    expect(restored.request).toMatchObject({
      target: 'server-a',
      restoreFrom:
        'arn:aws:states:ap-southeast-1:123456789012:execution:vip-failover-orders-db:server-b-20261125T120356123',
    });
    expect(restored.request).not.toHaveProperty('restore');
    expect(restored.changes.filter((c) => c.result === 'applied')).toHaveLength(5);
    expect([target(aws, ID.rtbA1), target(aws, ID.rtbA2), target(aws, ID.rtbB1)]).toEqual([
      ID.eniA,
      ID.eniA,
      ID.tgwB,
    ]);
    expect([target(aws, ID.tgwRtbA), target(aws, ID.tgwRtbB)]).toEqual([ID.attachA, ID.peering]);
  });

  it('fails a restore with NotConverged when a restored route is changed again before verification', async () => {
    const world = worldWithServerAActive();
    convergeOnServerB(world);
    aws = fakeAws(world);
    const t = tasks(aws, topology);
    const plan = await t.plan({
      target: 'server-a',
      requestedAt: '2026-11-25T12:10:00.000Z',
      restore: {
        from: 'arn:aws:states:ap-southeast-1:123456789012:execution:vip-failover-orders-db:server-b-20261125T120356123',
        routes: [
          { table: ID.rtbA1, kind: 'vpc', region: REGION_A, vip: VIP, target: ID.eniA, state: 'active' },
        ],
      },
    });
    const applied = { localVpc: await t.apply(plan, 'local-vpc') };
    aws.world.tables.get(ID.rtbA1)?.routes.set(VIP, { target: ID.tgwA, state: 'active' });

    await expect(t.verify(plan, applied)).rejects.toMatchObject({
      name: 'NotConverged',
      message: expect.stringContaining(
        `${ID.rtbA1} (${REGION_A}) ${VIP}: ${ID.tgwA} (active), expected ${ID.eniA}`,
      ),
    });
  });
});
