import { beforeAll, describe, expect, it } from 'vitest';
import { loadTopology, type Topology } from '../../tasks/topology';
import { trace } from '../../tasks/trace';
import type { Observation } from '../../tasks/world';
import { convergedOn } from './arbitraries';

let seed: Topology;
beforeAll(async () => {
  seed = await loadTopology('examples/two-region.yaml');
});

const A1 = 'rtb-0a1c3e5f7b9d2a4c6';
const B1 = 'rtb-0b1d3f5a7c9e2b4d6';
const TGW_A_RTB = 'tgw-rtb-0a1b2c3d4e5f6a7b8';
const TGW_B_RTB = 'tgw-rtb-0b1c2d3e4f5a6b7c8';
const PEERING = 'tgw-attach-0c1d2e3f4a5b6c7d8';
const VIP = '172.16.0.1/32';
const ENI_B = 'eni-0b2e4a6c8f1d3b5e7';
const INSTANCE_B = 'i-0b8d3f5a7c9e2b4d6';

/** The seed converged on server-b, with some VIP routes overridden. */
function world(
  overrides: Record<string, { target: string | null; state: Observation['routes'][number]['state'] }> = {},
) {
  const observation = convergedOn(seed, 'server-b');
  return {
    ...observation,
    routes: observation.routes.map((r) => ({ ...r, ...overrides[r.table] })),
  };
}

const startAt = (observation: Observation, table: string, node = 'server-b') =>
  trace(seed, observation, node).starts.find((s) => s.table === table && s.vip === VIP);

describe('trace on the seed topology', () => {
  it('is converged when every table leads to server-b and everything is healthy', () => {
    const result = trace(seed, world(), 'server-b');

    expect(result.converged).toBe(true);
    expect(result.health).toEqual([]);
    expect(result.starts).toHaveLength(6);
    expect(result.starts.every((s) => s.outcome.kind === 'arrives' && s.outcome.node === 'server-b')).toBe(
      true,
    );
  });

  it('follows a remote VPC table hop by hop: tgw-a, peering, tgw-b, attachment, vpc-b, ENI', () => {
    const start = startAt(world(), A1);

    expect(start?.hops).toEqual([
      A1,
      'tgw-0a9b8c7d6e5f4a3b2',
      TGW_A_RTB,
      PEERING,
      TGW_B_RTB,
      'tgw-attach-0b6d8f1a3c5e7b9d4',
      B1,
      ENI_B,
    ]);
    expect(start?.owner).toBe('vpc-a');
  });

  it('is not converged for a node other than the one the routes lead to', () => {
    const result = trace(seed, world(), 'server-a');

    expect(result.converged).toBe(false);
    expect(result.starts[0]?.outcome).toEqual({ kind: 'arrives', node: 'server-b' });
  });
});

describe('trace outcomes', () => {
  it('reports a loop with its cycle when two TGWs point at each other', () => {
    const observation = world({ [TGW_B_RTB]: { target: PEERING, state: 'active' } });

    const start = startAt(observation, A1);

    expect(start?.outcome).toEqual({ kind: 'loop', cycle: [TGW_A_RTB, PEERING, TGW_B_RTB, PEERING] });
  });

  it('reports a blackhole where the route is blackholed', () => {
    const observation = world({
      [TGW_B_RTB]: { target: 'tgw-attach-0b6d8f1a3c5e7b9d4', state: 'blackhole' },
    });

    expect(startAt(observation, A1)?.outcome).toEqual({ kind: 'blackhole', at: TGW_B_RTB });
  });

  it('reports a transit gateway route still pending as pending, not converged, even toward the right target', () => {
    const observation = world({ [TGW_B_RTB]: { target: 'tgw-attach-0b6d8f1a3c5e7b9d4', state: 'pending' } });

    const verdict = trace(seed, observation, 'server-b');

    expect(startAt(observation, A1)?.outcome).toEqual({ kind: 'pending', at: TGW_B_RTB });
    expect(verdict.converged).toBe(false);
  });

  it('reports a filtered VPC route as filtered, a state of its own', () => {
    const observation = world({ [B1]: { target: ENI_B, state: 'filtered' } });

    expect(startAt(observation, B1)?.outcome).toEqual({ kind: 'filtered', at: B1 });
    expect(trace(seed, observation, 'server-b').converged).toBe(false);
  });

  it('reports no-route where the VIP route is missing', () => {
    const observation = world({ [TGW_A_RTB]: { target: null, state: 'missing' } });

    expect(startAt(observation, A1)?.outcome).toEqual({ kind: 'no-route', at: TGW_A_RTB });
  });

  it('reports that traffic leaves the topology for a foreign target', () => {
    const observation = world({ [B1]: { target: 'igw-0123456789abcdef0', state: 'active' } });

    expect(startAt(observation, A1)?.outcome).toEqual({
      kind: 'leaves',
      at: B1,
      target: 'igw-0123456789abcdef0',
    });
  });

  it('treats an ENI outside the topology as leaving', () => {
    const observation = world({ [B1]: { target: 'eni-0fffffffffffffff0', state: 'active' } });

    expect(startAt(observation, B1)?.outcome).toEqual({
      kind: 'leaves',
      at: B1,
      target: 'eni-0fffffffffffffff0',
    });
  });

  it('treats a peering attachment that does not touch the TGW as leaving', () => {
    const observation = world({ [TGW_B_RTB]: { target: 'tgw-attach-0a0a0a0a0a0a0a0a0', state: 'active' } });

    expect(startAt(observation, TGW_B_RTB)?.outcome.kind).toBe('leaves');
  });

  it('reports unknown where a table of an unreachable region is on the path', () => {
    const observation: Observation = {
      ...world({ [TGW_B_RTB]: { target: null, state: 'unknown' } }),
      unreachable: [{ region: 'ap-southeast-1', code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' }],
    };

    const result = trace(seed, observation, 'server-b');

    expect(result.starts.find((s) => s.table === A1)?.outcome).toEqual({
      kind: 'unknown',
      at: TGW_B_RTB,
      region: 'ap-southeast-1',
    });
    expect(result.converged).toBe(false);
  });

  it('arrives at the old node through a VPC table that still points at its ENI', () => {
    const observation = world({
      [TGW_B_RTB]: { target: PEERING, state: 'active' },
      [TGW_A_RTB]: { target: 'tgw-attach-0a5c7e9b1d3f6a8c2', state: 'active' },
      [A1]: { target: 'eni-0a1f3c5e7b9d2f4a6', state: 'active' },
    });

    expect(startAt(observation, B1)?.outcome).toEqual({ kind: 'arrives', node: 'server-b' });
    expect(startAt(observation, TGW_B_RTB)?.outcome).toEqual({ kind: 'arrives', node: 'server-a' });
  });
});

describe('trace health', () => {
  const withHealth = (change: (o: Observation) => void): Observation => {
    const observation = structuredClone(world());
    change(observation);
    return observation;
  };

  it('reports a peering that is not available', () => {
    const observation = withHealth((o) => {
      o.health.attachments[PEERING] = 'pendingAcceptance';
    });

    const result = trace(seed, observation, 'server-b');

    expect(result.health).toEqual([
      {
        resource: PEERING,
        problem: 'peering between tgw-a and tgw-b is pendingAcceptance, expected available',
      },
    ]);
    expect(result.converged).toBe(false);
  });

  it('reports an ENI that is detached or attached to another instance', () => {
    const detached = withHealth((o) => {
      o.health.networkInterfaces[ENI_B] = { status: 'available', instance: null };
    });
    const moved = withHealth((o) => {
      o.health.networkInterfaces[ENI_B] = { status: 'in-use', instance: 'i-0123456789abcdef0' };
    });

    expect(trace(seed, detached, 'server-b').health).toEqual([
      { resource: ENI_B, problem: 'ENI of server-b is available, expected in-use' },
    ]);
    expect(trace(seed, moved, 'server-b').health).toEqual([
      {
        resource: ENI_B,
        problem: `ENI of server-b is attached to i-0123456789abcdef0, expected ${INSTANCE_B}`,
      },
    ]);
  });

  it('reports a stopped instance and a source/destination check that is on', () => {
    const observation = withHealth((o) => {
      o.health.instances[INSTANCE_B] = { state: 'stopped', sourceDestCheck: true };
    });

    const problems = trace(seed, observation, 'server-b').health;

    expect(problems.map((p) => p.problem)).toEqual([
      'instance of server-b is stopped, expected running',
      expect.stringContaining('source/destination check is on for server-b'),
    ]);
  });

  it('reports an attachment whose state was not observed in a reachable region', () => {
    const observation = withHealth((o) => {
      delete o.health.attachments['tgw-attach-0a5c7e9b1d3f6a8c2'];
    });

    expect(trace(seed, observation, 'server-b').health).toEqual([
      {
        resource: 'tgw-attach-0a5c7e9b1d3f6a8c2',
        problem: 'VPC attachment of vpc-a: state was not observed',
      },
    ]);
  });

  it('does not report resources of an unreachable region as problems', () => {
    const observation = withHealth((o) => {
      o.health = { attachments: {}, networkInterfaces: {}, instances: {} };
      o.unreachable = [{ region: 'ap-southeast-1', code: 'ETIMEDOUT', message: 'timed out' }];
      o.health.attachments['tgw-attach-0a5c7e9b1d3f6a8c2'] = 'available';
    });

    expect(trace(seed, observation, 'server-b').health).toEqual([]);
  });

  it('checks only the active node, not the standby', () => {
    const observation = withHealth((o) => {
      o.health.instances['i-0a7c2e4f6b8d1a3c5'] = { state: 'stopped', sourceDestCheck: true };
    });

    expect(trace(seed, observation, 'server-b').health).toEqual([]);
  });
});
