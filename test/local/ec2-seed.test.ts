import { describe, expect, it } from 'vitest';
import { seedWorld } from '../../local/seed';
import { tablesOf } from '../../tasks/routing';
import { loadTopology } from '../../tasks/topology';
import { readTopologyFile, unreachedFrom } from '../oracle/route-walker';

const examples = ['examples/two-region.yaml', 'examples/three-region.yaml'];

// The IDs of examples/*.yaml, named for reading.
const ENI_A = 'eni-0a1f3c5e7b9d2f4a6';
const ENI_B = 'eni-0b2e4a6c8f1d3b5e7';
const TGW_A = 'tgw-0a9b8c7d6e5f4a3b2';
const TGW_B = 'tgw-0b9c8d7e6f5a4b3c2';
const TGW_C = 'tgw-0c9d8e7f6a5b4c3d2';
const ATTACH_A = 'tgw-attach-0a5c7e9b1d3f6a8c2';
const ATTACH_B = 'tgw-attach-0b6d8f1a3c5e7b9d4';
const RTB_A = ['rtb-0a1c3e5f7b9d2a4c6', 'rtb-0a2d4f6b8c1e3a5d7'];
const RTB_B = ['rtb-0b1d3f5a7c9e2b4d6', 'rtb-0b2e4a6c8d1f3b5e7'];
const RTB_CLIENTS_US = ['rtb-0d4f6b8c1e3a5d7f9', 'rtb-0d5a7c9e2f4b6d8a1'];
const RTB_CLIENTS_EU = 'rtb-0c3e5a7b9d1f2c4e6';
const TGW_RTB_A = 'tgw-rtb-0a1b2c3d4e5f6a7b8';
const TGW_RTB_B = 'tgw-rtb-0b1c2d3e4f5a6b7c8';
const TGW_RTB_C = 'tgw-rtb-0c1d2e3f4a5b6c7d8';

/**
 * The VIP routes each example must be seeded with, written out by hand from DESIGN section 2 (not
 * computed by tasks/routing.ts, which seeding itself uses): table -> target, for every VIP.
 */
const EXPECTED: Record<string, Record<string, Record<string, string>>> = {
  'examples/two-region.yaml': {
    'server-a': {
      ...Object.fromEntries(RTB_A.map((t) => [t, ENI_A])),
      [TGW_RTB_A]: ATTACH_A,
      [TGW_RTB_B]: 'tgw-attach-0c1d2e3f4a5b6c7d8', // the peering
      ...Object.fromEntries(RTB_B.map((t) => [t, TGW_B])),
    },
    'server-b': {
      ...Object.fromEntries(RTB_A.map((t) => [t, TGW_A])),
      [TGW_RTB_A]: 'tgw-attach-0c1d2e3f4a5b6c7d8',
      [TGW_RTB_B]: ATTACH_B,
      ...Object.fromEntries(RTB_B.map((t) => [t, ENI_B])),
    },
  },
  'examples/three-region.yaml': {
    // Peerings a-b (0e1f...) and b-c (0f1a...): tgw-c reaches tgw-a only through tgw-b.
    'server-a': {
      ...Object.fromEntries(RTB_A.map((t) => [t, ENI_A])),
      ...Object.fromEntries(RTB_CLIENTS_US.map((t) => [t, TGW_A])),
      ...Object.fromEntries(RTB_B.map((t) => [t, TGW_B])),
      [RTB_CLIENTS_EU]: TGW_C,
      [TGW_RTB_A]: ATTACH_A,
      [TGW_RTB_B]: 'tgw-attach-0e1f2a3b4c5d6e7f8',
      [TGW_RTB_C]: 'tgw-attach-0f1a2b3c4d5e6f7a8',
    },
    'server-b': {
      ...Object.fromEntries([...RTB_A, ...RTB_CLIENTS_US].map((t) => [t, TGW_A])),
      ...Object.fromEntries(RTB_B.map((t) => [t, ENI_B])),
      [RTB_CLIENTS_EU]: TGW_C,
      [TGW_RTB_A]: 'tgw-attach-0e1f2a3b4c5d6e7f8',
      [TGW_RTB_B]: ATTACH_B,
      [TGW_RTB_C]: 'tgw-attach-0f1a2b3c4d5e6f7a8',
    },
  },
};

describe.each(examples)('seeding %s', async (path) => {
  const topology = await loadTopology(path);
  const nodes = Object.keys(topology.nodes);

  it.each(nodes)('points every VIP route as written out by hand with %s active', (node) => {
    const world = seedWorld(topology, '123456789012', node);
    const vipRoutes = world.allRoutes().filter((r) => topology.vips.includes(r.destination));
    const want = Object.entries(EXPECTED[path]?.[node] ?? {}).flatMap(([table, target]) =>
      topology.vips.map((vip) => [table, vip, target, 'active']),
    );
    expect(want).toHaveLength(tablesOf(topology).length * topology.vips.length);
    expect(vipRoutes.map((r) => [r.table, r.destination, r.target, r.state]).sort()).toEqual(want.sort());
  });

  it.each(nodes)('leads every VIP from every listed table to %s, by the reference walker', (node) => {
    const world = seedWorld(topology, '123456789012', node).snapshot();

    expect(unreachedFrom(world, readTopologyFile(path), node)).toEqual([]);
    const other = nodes.find((n) => n !== node) ?? node;
    expect(unreachedFrom(world, readTopologyFile(path), other)).not.toEqual([]);
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
