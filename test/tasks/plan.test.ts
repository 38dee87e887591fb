import { beforeAll, describe, expect, it } from 'vitest';
import { planChanges, reassertAll, restoreRoutes, type SnapshotRoute, wavesOf } from '../../tasks/plan';
import { desiredRoutes } from '../../tasks/routing';
import { loadTopology, type Topology } from '../../tasks/topology';
import type { Observation } from '../../tasks/world';
import { convergedOn, observe } from './arbitraries';

let seed: Topology;
let three: Topology;
beforeAll(async () => {
  seed = await loadTopology('examples/two-region.yaml');
  three = await loadTopology('examples/three-region.yaml');
});

const VIP = '172.16.0.1/32';
const B2 = 'rtb-0b2e4a6c8d1f3b5e7';

describe('planChanges', () => {
  it('plans nothing when the routes are already right', () => {
    const plan = planChanges(desiredRoutes(seed, 'server-b'), convergedOn(seed, 'server-b'));

    expect(plan.changes).toEqual([]);
    expect(plan.unchanged).toHaveLength(6);
    expect(plan.snapshot).toEqual(plan.unchanged);
  });

  it('replaces every route of a failover, destination first, and snapshots the old targets', () => {
    const plan = planChanges(desiredRoutes(seed, 'server-b'), convergedOn(seed, 'server-a'));

    expect(plan.changes.map((c) => [c.step, c.wave, c.table, c.action])).toEqual([
      ['local-vpc', 0, 'rtb-0b1d3f5a7c9e2b4d6', 'replace'],
      ['local-vpc', 0, B2, 'replace'],
      ['tgw', 0, 'tgw-rtb-0b1c2d3e4f5a6b7c8', 'replace'],
      ['tgw', 1, 'tgw-rtb-0a1b2c3d4e5f6a7b8', 'replace'],
      ['remote-vpc', 0, 'rtb-0a1c3e5f7b9d2a4c6', 'replace'],
      ['remote-vpc', 0, 'rtb-0a2d4f6b8c1e3a5d7', 'replace'],
    ]);
    expect(plan.changes.find((c) => c.table === B2)).toMatchObject({
      previous: 'tgw-0b9c8d7e6f5a4b3c2',
      previousState: 'active',
      target: 'eni-0b2e4a6c8f1d3b5e7',
      region: 'ap-southeast-1',
    });
    expect(plan.snapshot.find((s) => s.table === B2)?.target).toBe('tgw-0b9c8d7e6f5a4b3c2');
  });

  it('creates missing routes and replaces blackholed ones even when the target matches', () => {
    const converged = convergedOn(seed, 'server-b');
    const observation: Observation = {
      ...converged,
      routes: converged.routes.map((r) =>
        r.table === B2
          ? { ...r, target: null, state: 'missing' as const }
          : r.table === 'tgw-rtb-0b1c2d3e4f5a6b7c8'
            ? { ...r, state: 'blackhole' as const }
            : r,
      ),
    };

    const plan = planChanges(desiredRoutes(seed, 'server-b'), observation);

    expect(plan.changes.map((c) => [c.table, c.action, c.previousState])).toEqual([
      [B2, 'create', 'missing'],
      ['tgw-rtb-0b1c2d3e4f5a6b7c8', 'replace', 'blackhole'],
    ]);
  });

  it('leaves a pending transit gateway route to the right target alone and replaces a filtered VPC route', () => {
    const converged = convergedOn(seed, 'server-b');
    const observation: Observation = {
      ...converged,
      routes: converged.routes.map((r) =>
        r.table === B2
          ? { ...r, state: 'filtered' as const }
          : r.table === 'tgw-rtb-0b1c2d3e4f5a6b7c8'
            ? { ...r, state: 'pending' as const }
            : r,
      ),
    };

    const plan = planChanges(desiredRoutes(seed, 'server-b'), observation);

    expect(plan.changes.map((c) => [c.table, c.action, c.previousState])).toEqual([
      [B2, 'replace', 'filtered'],
    ]);
    expect(plan.unchanged.find((r) => r.table === 'tgw-rtb-0b1c2d3e4f5a6b7c8')?.state).toBe('pending');
    expect(plan.snapshot.find((r) => r.table === B2)?.state).toBe('filtered');
  });

  it('replaces a pending transit gateway route that points elsewhere', () => {
    const converged = convergedOn(seed, 'server-a');
    const observation: Observation = {
      ...converged,
      routes: converged.routes.map((r) =>
        r.table === 'tgw-rtb-0b1c2d3e4f5a6b7c8' ? { ...r, state: 'pending' as const } : r,
      ),
    };

    const change = planChanges(desiredRoutes(seed, 'server-b'), observation).changes.find(
      (c) => c.table === 'tgw-rtb-0b1c2d3e4f5a6b7c8',
    );

    expect(change).toMatchObject({ action: 'replace', previousState: 'pending' });
  });

  it('plans a replace for a table that could not be read', () => {
    const converged = convergedOn(seed, 'server-b');
    const observation: Observation = {
      ...converged,
      routes: converged.routes.filter((r) => r.table !== B2),
    };

    const [change] = planChanges(desiredRoutes(seed, 'server-b'), observation).changes;

    expect(change).toMatchObject({ table: B2, action: 'replace', previous: null, previousState: 'unknown' });
  });
});

describe('wavesOf', () => {
  it('groups the TGW changes of a chain into waves by peering hops', () => {
    const { changes } = planChanges(desiredRoutes(three, 'server-a'), observe(three));

    const waves = wavesOf(changes, 'tgw').map((wave) => wave.map((c) => `${c.table} ${c.vip}`));

    expect(waves).toEqual([
      ['tgw-rtb-0a1b2c3d4e5f6a7b8 172.16.0.1/32', 'tgw-rtb-0a1b2c3d4e5f6a7b8 172.16.0.2/32'],
      ['tgw-rtb-0b1c2d3e4f5a6b7c8 172.16.0.1/32', 'tgw-rtb-0b1c2d3e4f5a6b7c8 172.16.0.2/32'],
      ['tgw-rtb-0c1d2e3f4a5b6c7d8 172.16.0.1/32', 'tgw-rtb-0c1d2e3f4a5b6c7d8 172.16.0.2/32'],
    ]);
  });

  it('leaves out a far TGW whose next hop is the same for both nodes', () => {
    const { changes } = planChanges(desiredRoutes(three, 'server-a'), convergedOn(three, 'server-b'));

    // tgw-c reaches either node over the b-c peering, so a failover between a and b does not touch it.
    expect(wavesOf(changes, 'tgw').map((wave) => wave.map((c) => c.table))).toEqual([
      ['tgw-rtb-0a1b2c3d4e5f6a7b8', 'tgw-rtb-0a1b2c3d4e5f6a7b8'],
      ['tgw-rtb-0b1c2d3e4f5a6b7c8', 'tgw-rtb-0b1c2d3e4f5a6b7c8'],
    ]);
  });

  it('is empty for a step with no change', () => {
    expect(wavesOf([], 'local-vpc')).toEqual([]);
  });
});

describe('restoreRoutes', () => {
  const snapshotRoute = (
    table: string,
    kind: 'vpc' | 'tgw',
    target: string | null,
    state: SnapshotRoute['state'],
  ) => ({
    table,
    kind,
    region: 'us-east-1',
    vip: VIP,
    target,
    state,
  });

  it('restores the snapshot destination first: ENI tables, VPC attachments, peerings, then TGW targets', () => {
    const snapshot = [
      snapshotRoute('rtb-0a1c3e5f7b9d2a4c6', 'vpc', 'tgw-0a9b8c7d6e5f4a3b2', 'active'),
      snapshotRoute('tgw-rtb-0a1b2c3d4e5f6a7b8', 'tgw', 'tgw-attach-0c1d2e3f4a5b6c7d8', 'active'),
      snapshotRoute('tgw-rtb-0b1c2d3e4f5a6b7c8', 'tgw', 'tgw-attach-0b6d8f1a3c5e7b9d4', 'active'),
      snapshotRoute(B2, 'vpc', 'eni-0b2e4a6c8f1d3b5e7', 'blackhole'),
    ];

    const { desired, skipped } = restoreRoutes(seed, snapshot);

    expect(skipped).toEqual([]);
    expect(desired.map((d) => [d.table, d.step, d.wave])).toEqual([
      ['rtb-0a1c3e5f7b9d2a4c6', 'remote-vpc', 0],
      ['tgw-rtb-0a1b2c3d4e5f6a7b8', 'tgw', 1],
      ['tgw-rtb-0b1c2d3e4f5a6b7c8', 'tgw', 0],
      [B2, 'local-vpc', 0],
    ]);
  });

  it('skips routes that were missing or unreadable, since routes are never deleted', () => {
    const missing = snapshotRoute(B2, 'vpc', null, 'missing');
    const unknown = snapshotRoute('rtb-0a1c3e5f7b9d2a4c6', 'vpc', null, 'unknown');

    const { desired, skipped } = restoreRoutes(seed, [missing, unknown]);

    expect(desired).toEqual([]);
    expect(skipped).toEqual([missing, unknown]);
  });

  it('round-trips a failover: restoring its snapshot plans exactly the reverse writes', () => {
    const before = convergedOn(seed, 'server-a');
    const failover = planChanges(desiredRoutes(seed, 'server-b'), before);
    const after = convergedOn(seed, 'server-b');

    const { desired } = restoreRoutes(seed, failover.snapshot);
    const restore = planChanges(desired, after);

    expect(restore.changes.map((c) => [c.table, c.target])).toEqual(
      planChanges(desiredRoutes(seed, 'server-a'), after).changes.map((c) => [c.table, c.target]),
    );
  });
});

describe('reassertAll', () => {
  it('turns every already-right route into a replace of itself, in step order, keeping the real changes', () => {
    const desired = desiredRoutes(seed, 'server-b');
    const world = convergedOn(seed, 'server-b');
    const drifted: Observation = {
      ...world,
      routes: world.routes.map((r) => (r.table === B2 ? { ...r, target: 'eni-0a1f3c5e7b9d2f4a6' } : r)),
    };
    const plan = planChanges(desired, drifted);

    const reasserted = reassertAll(desired, plan);

    expect(plan.changes).toHaveLength(1);
    expect(reasserted.unchanged).toEqual([]);
    expect(reasserted.snapshot).toEqual(plan.snapshot);
    expect(reasserted.changes.map((c) => [c.step, c.table, c.previous === c.target])).toEqual([
      ['local-vpc', 'rtb-0b1d3f5a7c9e2b4d6', true],
      ['local-vpc', B2, false],
      ['tgw', 'tgw-rtb-0b1c2d3e4f5a6b7c8', true],
      ['tgw', 'tgw-rtb-0a1b2c3d4e5f6a7b8', true],
      ['remote-vpc', 'rtb-0a1c3e5f7b9d2a4c6', true],
      ['remote-vpc', 'rtb-0a2d4f6b8c1e3a5d7', true],
    ]);
    expect(reasserted.changes.every((c) => c.action === 'replace' && c.vip === VIP)).toBe(true);
  });
});
