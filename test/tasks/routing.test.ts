import { beforeAll, describe, expect, it } from 'vitest';
import { desiredRoutes, peeringNextHops, regionOfNode, regionsOf, tablesOf } from '../../tasks/routing';
import { loadTopology, type Topology } from '../../tasks/topology';

let seed: Topology;
let three: Topology;
beforeAll(async () => {
  seed = await loadTopology('examples/two-region.yaml');
  three = await loadTopology('examples/three-region.yaml');
});

const targetsOf = (topology: Topology, node: string) =>
  Object.fromEntries(
    desiredRoutes(topology, node).map((r) => [r.table, { target: r.target, step: r.step, wave: r.wave }]),
  );

describe('desiredRoutes on the seed topology (DESIGN section 2)', () => {
  it('points every route at server-b when server-b is active', () => {
    const routes = targetsOf(seed, 'server-b');

    expect(routes).toEqual({
      // VPC-B's tables send the VIP to Server-B's ENI.
      'rtb-0b1d3f5a7c9e2b4d6': { target: 'eni-0b2e4a6c8f1d3b5e7', step: 'local-vpc', wave: 0 },
      'rtb-0b2e4a6c8d1f3b5e7': { target: 'eni-0b2e4a6c8f1d3b5e7', step: 'local-vpc', wave: 0 },
      // tgw-B's table sends it to VPC-B's attachment.
      'tgw-rtb-0b1c2d3e4f5a6b7c8': { target: 'tgw-attach-0b6d8f1a3c5e7b9d4', step: 'tgw', wave: 0 },
      // tgw-A's table sends it to the peering attachment.
      'tgw-rtb-0a1b2c3d4e5f6a7b8': { target: 'tgw-attach-0c1d2e3f4a5b6c7d8', step: 'tgw', wave: 1 },
      // VPC-A's tables send it to tgw-A.
      'rtb-0a1c3e5f7b9d2a4c6': { target: 'tgw-0a9b8c7d6e5f4a3b2', step: 'remote-vpc', wave: 0 },
      'rtb-0a2d4f6b8c1e3a5d7': { target: 'tgw-0a9b8c7d6e5f4a3b2', step: 'remote-vpc', wave: 0 },
    });
  });

  it('is the mirror image with server-a active', () => {
    const routes = targetsOf(seed, 'server-a');

    expect(routes).toEqual({
      'rtb-0a1c3e5f7b9d2a4c6': { target: 'eni-0a1f3c5e7b9d2f4a6', step: 'local-vpc', wave: 0 },
      'rtb-0a2d4f6b8c1e3a5d7': { target: 'eni-0a1f3c5e7b9d2f4a6', step: 'local-vpc', wave: 0 },
      'tgw-rtb-0a1b2c3d4e5f6a7b8': { target: 'tgw-attach-0a5c7e9b1d3f6a8c2', step: 'tgw', wave: 0 },
      'tgw-rtb-0b1c2d3e4f5a6b7c8': { target: 'tgw-attach-0c1d2e3f4a5b6c7d8', step: 'tgw', wave: 1 },
      'rtb-0b1d3f5a7c9e2b4d6': { target: 'tgw-0b9c8d7e6f5a4b3c2', step: 'remote-vpc', wave: 0 },
      'rtb-0b2e4a6c8d1f3b5e7': { target: 'tgw-0b9c8d7e6f5a4b3c2', step: 'remote-vpc', wave: 0 },
    });
  });

  it('gives every table one route per VIP with the region of its owner', () => {
    const routes = desiredRoutes(three, 'server-a');

    expect(routes).toHaveLength(tablesOf(three).length * 2);
    expect(routes.filter((r) => r.table === 'rtb-0c3e5a7b9d1f2c4e6').map((r) => [r.vip, r.region])).toEqual([
      ['172.16.0.1/32', 'eu-west-1'],
      ['172.16.0.2/32', 'eu-west-1'],
    ]);
  });

  it('refuses a node that the topology does not know', () => {
    expect(() => desiredRoutes(seed, 'server-z')).toThrow(/server-z is not in the topology/);
  });
});

describe('desiredRoutes over two peering hops', () => {
  it('sends the far TGW to its own peering towards the destination, one wave later', () => {
    const routes = targetsOf(three, 'server-a');

    // tgw-c reaches tgw-a only through tgw-b: its next hop is the b-c peering, in wave 2.
    expect(routes['tgw-rtb-0c1d2e3f4a5b6c7d8']).toEqual({
      target: 'tgw-attach-0f1a2b3c4d5e6f7a8',
      step: 'tgw',
      wave: 2,
    });
    expect(routes['tgw-rtb-0b1c2d3e4f5a6b7c8']).toEqual({
      target: 'tgw-attach-0e1f2a3b4c5d6e7f8',
      step: 'tgw',
      wave: 1,
    });
    // A client VPC on the destination's own TGW is a remote VPC all the same.
    expect(routes['rtb-0d4f6b8c1e3a5d7f9']).toEqual({
      target: 'tgw-0a9b8c7d6e5f4a3b2',
      step: 'remote-vpc',
      wave: 0,
    });
  });

  it('puts the middle TGW in wave 1 either way, with server-b active', () => {
    const routes = targetsOf(three, 'server-b');

    expect(routes['tgw-rtb-0b1c2d3e4f5a6b7c8']?.wave).toBe(0);
    expect(routes['tgw-rtb-0a1b2c3d4e5f6a7b8']).toEqual({
      target: 'tgw-attach-0e1f2a3b4c5d6e7f8',
      step: 'tgw',
      wave: 1,
    });
    expect(routes['tgw-rtb-0c1d2e3f4a5b6c7d8']).toEqual({
      target: 'tgw-attach-0f1a2b3c4d5e6f7a8',
      step: 'tgw',
      wave: 1,
    });
  });
});

describe('peeringNextHops', () => {
  it('takes the shortest path when a cycle offers a longer one', () => {
    // Ring a-b-c-d-a plus chord: d is 1 hop from a directly, 3 hops the long way round.
    const ring: Topology = {
      ...three,
      transitGateways: {
        ...three.transitGateways,
        'tgw-d': {
          id: 'tgw-0d9e8f7a6b5c4d3e2',
          region: 'eu-central-1',
          routeTables: ['tgw-rtb-0d1e2f3a4b5c6d7e8'],
        },
      },
      peerings: [
        ...three.peerings,
        { between: ['tgw-c', 'tgw-d'], attachment: 'tgw-attach-0a0a0a0a0a0a0a0a1' },
        { between: ['tgw-d', 'tgw-a'], attachment: 'tgw-attach-0a0a0a0a0a0a0a0a2' },
      ],
    };

    const hops = peeringNextHops(ring, 'tgw-a');

    expect(Object.fromEntries(hops)).toEqual({
      'tgw-b': { attachment: 'tgw-attach-0e1f2a3b4c5d6e7f8', hops: 1 },
      'tgw-d': { attachment: 'tgw-attach-0a0a0a0a0a0a0a0a2', hops: 1 },
      // Two equally short paths (via b or via d): the tie goes to the alphabetically first neighbour.
      'tgw-c': { attachment: 'tgw-attach-0f1a2b3c4d5e6f7a8', hops: 2 },
    });
  });
});

describe('topology helpers', () => {
  it('lists VPC tables before TGW tables, in file order', () => {
    expect(tablesOf(seed).map((t) => `${t.kind}:${t.owner}:${t.table}`)).toEqual([
      'vpc:vpc-a:rtb-0a1c3e5f7b9d2a4c6',
      'vpc:vpc-a:rtb-0a2d4f6b8c1e3a5d7',
      'vpc:vpc-b:rtb-0b1d3f5a7c9e2b4d6',
      'vpc:vpc-b:rtb-0b2e4a6c8d1f3b5e7',
      'tgw:tgw-a:tgw-rtb-0a1b2c3d4e5f6a7b8',
      'tgw:tgw-b:tgw-rtb-0b1c2d3e4f5a6b7c8',
    ]);
  });

  it('finds the regions of the topology and of a node', () => {
    expect(regionsOf(three)).toEqual(['ap-southeast-1', 'eu-west-1', 'us-east-1']);
    expect(regionOfNode(seed, 'server-b')).toBe('ap-southeast-1');
  });
});
