/**
 * Random topologies and route states for the property tests, plus helpers that build observations the
 * way tasks/ec2/read-world.ts would report them.
 */
import fc from 'fast-check';
import type { Change } from '../../tasks/plan';
import { desiredRoutes, tablesOf } from '../../tasks/routing';
import type { Topology } from '../../tasks/topology';
import { type Health, type Observation, type ObservedRoute, routeKey } from '../../tasks/world';

const REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1', 'eu-central-1', 'ap-southeast-1', 'ap-northeast-1'];

/** IDs outside any topology, as a real table may hold (internet gateway, VPC peering, a stray ENI). */
export const FOREIGN_TARGETS = ['igw-0f0f0f0f0f0f0f0f0', 'pcx-0e0e0e0e0e0e0e0e0', 'eni-0d0d0d0d0d0d0d0d0'];

const Shape = fc.record({
  regions: fc.shuffledSubarray(REGIONS, { minLength: 2, maxLength: 4 }),
  /** Parent of TGW i+1 in a random spanning tree: the peering graph is always connected. */
  parents: fc.array(fc.nat(), { minLength: 3, maxLength: 3 }),
  /** Extra peerings: cycles, and parallel links between the same pair. */
  extra: fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 3 }),
  tgwTables: fc.array(fc.integer({ min: 1, max: 2 }), { minLength: 4, maxLength: 4 }),
  vpcs: fc.array(fc.record({ tgw: fc.nat(), tables: fc.integer({ min: 1, max: 5 }) }), {
    minLength: 1,
    maxLength: 6,
  }),
  nodes: fc.array(fc.nat(), { minLength: 2, maxLength: 4 }),
  vips: fc.integer({ min: 1, max: 3 }),
  /** Which VIPs are IPv6 /128s: a cluster may mix both families. */
  ipv6: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
});

/** A valid topology: 2-4 regions with one TGW each, 1-6 VPCs with 1-5 tables, 2-4 nodes, 1-3 VIPs of either family. */
export const topologyArb: fc.Arbitrary<Topology> = Shape.map((shape) => {
  let counter = 0;
  const id = (prefix: string) => `${prefix}-${(++counter).toString(16).padStart(17, '0')}`;
  const tgwNames = shape.regions.map((_, i) => `tgw-${i}`);
  const transitGateways = Object.fromEntries(
    shape.regions.map((region, i) => [
      `tgw-${i}`,
      {
        id: id('tgw'),
        region,
        routeTables: Array.from({ length: shape.tgwTables[i] ?? 1 }, () => id('tgw-rtb')),
      },
    ]),
  );
  const peerings: Topology['peerings'] = [];
  for (let i = 1; i < tgwNames.length; i++) {
    const parent = (shape.parents[i - 1] ?? 0) % i;
    peerings.push({ between: [`tgw-${parent}`, `tgw-${i}`], attachment: id('tgw-attach') });
  }
  for (const [a, b] of shape.extra) {
    const [x, y] = [a % tgwNames.length, b % tgwNames.length];
    if (x !== y) peerings.push({ between: [`tgw-${x}`, `tgw-${y}`], attachment: id('tgw-attach') });
  }
  const vpcs = Object.fromEntries(
    shape.vpcs.map((vpc, i) => {
      const tgw = vpc.tgw % tgwNames.length;
      return [
        `vpc-${i}`,
        {
          id: id('vpc'),
          region: shape.regions[tgw] ?? 'us-east-1',
          cidr: `10.${i}.0.0/16`,
          transitGateway: `tgw-${tgw}`,
          attachment: id('tgw-attach'),
          routeTables: Array.from({ length: vpc.tables }, () => id('rtb')),
        },
      ];
    }),
  );
  const nodes = Object.fromEntries(
    shape.nodes.map((vpc, i) => [
      `node-${i}`,
      { vpc: `vpc-${vpc % shape.vpcs.length}`, eni: id('eni'), instance: id('i') },
    ]),
  );
  return {
    cluster: 'prop',
    vips: Array.from({ length: shape.vips }, (_, i) =>
      shape.ipv6[i] ? `fd00:172:16::${i + 1}/128` : `172.16.0.${i + 1}/32`,
    ),
    nodes,
    vpcs,
    transitGateways,
    peerings,
  };
});

/** Every resource healthy: attachments available, ENIs in use by their instance, instances running. */
export function healthyHealth(topology: Topology): Health {
  const attachments = Object.fromEntries([
    ...Object.values(topology.vpcs).map((v) => [v.attachment, 'available'] as const),
    ...topology.peerings.map((p) => [p.attachment, 'available'] as const),
  ]);
  const nodes = Object.values(topology.nodes);
  return {
    attachments,
    networkInterfaces: Object.fromEntries(
      nodes.map((n) => [n.eni, { status: 'in-use', instance: n.instance }]),
    ),
    instances: Object.fromEntries(
      nodes.map((n) => [n.instance, { state: 'running', sourceDestCheck: false }]),
    ),
  };
}

/** An observation of a healthy world; `routeOf` gives each (table, VIP) route, missing by default. */
export function observe(
  topology: Topology,
  routeOf: (table: string, vip: string) => Omit<ObservedRoute, 'table' | 'vip'> | undefined = () => undefined,
): Observation {
  const routes = topology.vips.flatMap((vip) =>
    tablesOf(topology).map(({ table }) => ({
      table,
      vip,
      ...(routeOf(table, vip) ?? { target: null, state: 'missing' as const }),
    })),
  );
  return { routes, health: healthyHealth(topology), unreachable: [] };
}

/** The world after a converged run to `node`. */
export function convergedOn(topology: Topology, node: string): Observation {
  const wanted = new Map(desiredRoutes(topology, node).map((r) => [routeKey(r.table, r.vip), r.target]));
  return observe(topology, (table, vip) => ({
    target: wanted.get(routeKey(table, vip)) ?? null,
    state: 'active',
  }));
}

/** Writes `changes` into the observation, as a successful apply would. */
export function applied(observation: Observation, changes: readonly Change[]): Observation {
  const written = new Map(changes.map((c) => [routeKey(c.table, c.vip), c.target]));
  return {
    ...observation,
    routes: observation.routes.map((r) => {
      const target = written.get(routeKey(r.table, r.vip));
      return target === undefined ? r : { ...r, target, state: 'active' as const };
    }),
  };
}

/** A random current state: every VIP route missing, blackholed or active to a topology or foreign ID. */
export function currentStateArb(topology: Topology): fc.Arbitrary<Observation> {
  const targets = [
    ...Object.values(topology.nodes).map((n) => n.eni),
    ...Object.values(topology.transitGateways).map((t) => t.id),
    ...Object.values(topology.vpcs).map((v) => v.attachment),
    ...topology.peerings.map((p) => p.attachment),
    ...FOREIGN_TARGETS,
  ];
  const route = fc.oneof(
    fc.constant({ target: null, state: 'missing' as const }),
    fc.record({
      target: fc.constantFrom(...targets),
      state: fc.constantFrom('active' as const, 'blackhole' as const),
    }),
  );
  const keys = topology.vips.flatMap((vip) => tablesOf(topology).map(({ table }) => routeKey(table, vip)));
  return fc.array(route, { minLength: keys.length, maxLength: keys.length }).map((chosen) => {
    const byKey = new Map(keys.map((key, i) => [key, chosen[i]]));
    return observe(topology, (table, vip) => byKey.get(routeKey(table, vip)));
  });
}

/** A topology with two of its nodes: the one active before and the one to fail over to. */
export const failoverArb = topologyArb.chain((topology) => {
  const names = Object.keys(topology.nodes);
  return fc.record({
    topology: fc.constant(topology),
    from: fc.constantFrom(...names),
    to: fc.constantFrom(...names),
  });
});
