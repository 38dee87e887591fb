import { describe, expect, it } from 'vitest';
import { seedWorld } from '../../local/seed';
import { desiredRoutes, tablesOf } from '../../tasks/routing';
import { loadTopology } from '../../tasks/topology';

const examples = ['examples/two-region.yaml', 'examples/three-region.yaml'];

describe.each(examples)('seeding %s', async (path) => {
  const topology = await loadTopology(path);
  const nodes = Object.keys(topology.nodes);

  it.each(nodes)('points every VIP route per the routing rule with %s active', (node) => {
    const world = seedWorld(topology, '123456789012', node);
    const vipRoutes = world.allRoutes().filter((r) => topology.vips.includes(r.destination));
    const want = desiredRoutes(topology, node);
    expect(vipRoutes.map((r) => [r.table, r.destination, r.target, r.state]).sort()).toEqual(
      want.map((w) => [w.table, w.vip, w.target, 'active']).sort(),
    );
  });

  it('routes every VPC CIDR from every listed table, all active', () => {
    const world = seedWorld(topology, '123456789012', null);
    const routes = world.allRoutes();
    expect(routes.filter((r) => r.state !== 'active')).toEqual([]);
    for (const { table } of tablesOf(topology)) {
      const destinations = routes.filter((r) => r.table === table).map((r) => r.destination);
      for (const vpc of Object.values(topology.vpcs)) expect(destinations).toContain(vpc.cidr);
    }
  });

  it('seeds the same non-VIP routes whichever node is active', () => {
    const nonVip = (node: string | null) =>
      seedWorld(topology, '123456789012', node)
        .allRoutes()
        .filter((r) => !topology.vips.includes(r.destination));
    for (const node of nodes) expect(nonVip(node)).toEqual(nonVip(null));
  });
});
