import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, describe, expect, it } from 'vitest';
import {
  convergeOnServerB,
  ec2CommandNames,
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
import { tasks } from './flow';

const topology = twoRegionTopology();
const WRITES = ['CreateRoute', 'ReplaceRoute', 'CreateTransitGatewayRoute', 'ReplaceTransitGatewayRoute'];

describe('plan task', () => {
  let aws: FakeAws;
  afterEach(() => {
    aws.ec2.restore();
    aws.sfn.restore();
  });

  it('plans every VIP route towards the new node, destination first, and writes nothing', async () => {
    aws = fakeAws(worldWithServerAActive());

    const plan = await tasks(aws, topology).plan(failoverToB());

    expect(plan).toMatchObject({
      mode: 'failover',
      target: 'server-b',
      converged: false,
      skipped: [],
      unreachable: [],
    });
    expect(plan.plan?.changes.map((c) => [c.step, c.wave, c.table, c.action, c.previous, c.target])).toEqual([
      ['local-vpc', 0, ID.rtbB1, 'replace', ID.tgwB, ID.eniB],
      ['tgw', 0, ID.tgwRtbB, 'replace', ID.peering, ID.attachB],
      ['tgw', 1, ID.tgwRtbA, 'replace', ID.attachA, ID.peering],
      ['remote-vpc', 0, ID.rtbA1, 'replace', ID.eniA, ID.tgwA],
      ['remote-vpc', 0, ID.rtbA2, 'replace', ID.eniA, ID.tgwA],
    ]);
    expect(plan.plan?.snapshot).toHaveLength(5);
    expect(plan.plan?.snapshot).toContainEqual({
      table: ID.rtbA1,
      kind: 'vpc',
      region: REGION_A,
      vip: VIP,
      target: ID.eniA,
      state: 'active',
    });
    expect(ec2CommandNames(aws).filter((name) => WRITES.some((w) => name.startsWith(w)))).toEqual([]);
  });

  it('reports converged with no changes when every route is already right', async () => {
    const world = worldWithServerAActive();
    convergeOnServerB(world);
    aws = fakeAws(world);

    const plan = await tasks(aws, topology).plan(failoverToB());

    expect(plan.converged).toBe(true);
    expect(plan.plan?.changes).toEqual([]);
    expect(plan.plan?.unchanged).toHaveLength(5);
  });

  it('plans a missing route as a create', async () => {
    const world = worldWithServerAActive();
    world.tables.get(ID.rtbB1)?.routes.delete(VIP);
    aws = fakeAws(world);

    const plan = await tasks(aws, topology).plan(failoverToB());

    expect(plan.plan?.changes.find((c) => c.table === ID.rtbB1)).toMatchObject({
      action: 'create',
      previous: null,
      previousState: 'missing',
    });
  });

  it('fails with RegionUnreachable when the target region cannot be read', async () => {
    const world = worldWithServerAActive();
    world.down.add(REGION_B);
    aws = fakeAws(world);

    await expect(tasks(aws, topology).plan(failoverToB())).rejects.toMatchObject({
      name: 'RegionUnreachable',
      region: REGION_B,
      message: expect.stringContaining('ECONNREFUSED'),
    });
  });

  it('plans unreadable tables of a remote region as replacements and lists the region', async () => {
    const world = worldWithServerAActive();
    world.down.add(REGION_A);
    aws = fakeAws(world);

    const plan = await tasks(aws, topology).plan(failoverToB());

    expect(plan.unreachable).toEqual([expect.objectContaining({ region: REGION_A, code: 'ECONNREFUSED' })]);
    expect(
      plan.plan?.changes.filter((c) => c.region === REGION_A).map((c) => [c.table, c.previousState]),
    ).toEqual([
      [ID.tgwRtbA, 'unknown'],
      [ID.rtbA1, 'unknown'],
      [ID.rtbA2, 'unknown'],
    ]);
  });

  it('writes the restore plan from the snapshot, skipping routes that were missing', async () => {
    const world = worldWithServerAActive();
    convergeOnServerB(world);
    aws = fakeAws(world);
    const snapshot = worldWithServerAActiveSnapshot();

    const plan = await tasks(aws, topology).plan({
      target: 'server-a',
      requestedAt: '2026-11-25T12:10:00.000Z',
      restore: {
        from: 'arn:aws:states:ap-southeast-1:123456789012:execution:vip-failover-orders-db:server-b-20261125T120356123',
        routes: snapshot,
      },
    });

    expect(plan.mode).toBe('restore');
    expect(plan.skipped).toEqual([snapshot[2]]);
    expect(plan.plan?.changes.map((c) => [c.step, c.wave, c.table, c.target])).toEqual([
      ['local-vpc', 0, ID.rtbA1, ID.eniA],
      ['local-vpc', 0, ID.rtbA2, ID.eniA],
      ['tgw', 0, ID.tgwRtbA, ID.attachA],
      ['tgw', 1, ID.tgwRtbB, ID.peering],
    ]);
    expect(aws.writes).toEqual([]);
  });
});

/** The routes before a failover to server-b; rtbB1 had no VIP route then (it cannot be restored). */
function worldWithServerAActiveSnapshot() {
  const route = (table: string, kind: 'vpc' | 'tgw', region: string, target: string | null) => ({
    table,
    kind,
    region,
    vip: VIP,
    target,
    state: target ? ('active' as const) : ('missing' as const),
  });
  return [
    route(ID.rtbA1, 'vpc', REGION_A, ID.eniA),
    route(ID.rtbA2, 'vpc', REGION_A, ID.eniA),
    route(ID.rtbB1, 'vpc', REGION_B, null),
    route(ID.tgwRtbA, 'tgw', REGION_A, ID.attachA),
    route(ID.tgwRtbB, 'tgw', REGION_B, ID.peering),
  ];
}

describe('plan task preconditions', () => {
  let aws: FakeAws;
  afterEach(() => {
    aws.ec2.restore();
    aws.sfn.restore();
  });

  const refusals: [string, (world: ReturnType<typeof worldWithServerAActive>) => void, string][] = [
    [
      'the ENI is detached',
      (w) => w.enis.set(ID.eniB, { region: REGION_B, status: 'available', instance: null }),
      `network interface ${ID.eniB} of server-b: status available`,
    ],
    [
      'the ENI is attached elsewhere',
      (w) => w.enis.set(ID.eniB, { region: REGION_B, status: 'in-use', instance: ID.iA }),
      `attached to ${ID.iA}`,
    ],
    ['the ENI does not exist', (w) => w.enis.delete(ID.eniB), `${ID.eniB} of server-b: AWS does not know it`],
    [
      'the instance is stopped',
      (w) => w.instances.set(ID.iB, { region: REGION_B, state: 'stopped', sourceDestCheck: false }),
      `instance ${ID.iB} of server-b: state stopped`,
    ],
    [
      'source/destination check is on',
      (w) => w.instances.set(ID.iB, { region: REGION_B, state: 'running', sourceDestCheck: true }),
      '--no-source-dest-check',
    ],
    [
      'the VPC attachment is pending',
      (w) =>
        w.attachments.set(ID.attachB, { regions: [REGION_B], state: 'pending', tgw: ID.tgwB, type: 'vpc' }),
      `VPC attachment ${ID.attachB} of vpc-b: pending`,
    ],
    [
      'the peering is not accepted',
      (w) =>
        w.attachments.set(ID.peering, {
          regions: [REGION_A, REGION_B],
          state: 'pendingAcceptance',
          tgw: ID.tgwA,
          type: 'peering',
        }),
      `peering attachment ${ID.peering} (tgw-a <-> tgw-b): pendingAcceptance`,
    ],
    ['a route table does not exist', (w) => w.tables.delete(ID.rtbA2), ID.rtbA2],
    ['a TGW route table does not exist', (w) => w.tables.delete(ID.tgwRtbA), ID.tgwRtbA],
  ];

  it.each(refusals)(
    'fails with PreconditionFailed when %s, writing nothing',
    async (_what, breakIt, mentions) => {
      const world = worldWithServerAActive();
      breakIt(world);
      aws = fakeAws(world);

      await expect(tasks(aws, topology).plan(failoverToB())).rejects.toMatchObject({
        name: 'PreconditionFailed',
        message: expect.stringContaining(mentions),
      });
      expect(aws.writes).toEqual([]);
    },
  );

  it('accepts a peering seen available from the reachable side while the other region is down', async () => {
    const world = worldWithServerAActive();
    world.down.add(REGION_A);
    aws = fakeAws(world);

    const plan = await tasks(aws, topology).plan(failoverToB());

    expect(plan.converged).toBe(false);
    expect(plan.unreachable.map((f) => f.region)).toEqual([REGION_A]);
  });

  it('lists every failed precondition at once', async () => {
    const world = worldWithServerAActive();
    world.instances.set(ID.iB, { region: REGION_B, state: 'stopped', sourceDestCheck: true });
    world.attachments.set(ID.attachB, { regions: [REGION_B], state: 'deleted', tgw: ID.tgwB, type: 'vpc' });
    aws = fakeAws(world);

    const failure = await tasks(aws, topology)
      .plan(failoverToB())
      .catch((error: unknown) => error);

    expect(failure).toMatchObject({ name: 'PreconditionFailed' });
    const message = (failure as Error).message;
    expect(message).toContain('state stopped');
    expect(message).toContain('source/destination check is on');
    expect(message).toContain(`${ID.attachB} of vpc-b: deleted`);
  });
});
