/**
 * The reference checker itself, on hand-written worlds: a converged world, and each way a path can
 * break (a loop, a blackhole, a missing route, the wrong node, a gateway, an unhealthy node).
 */
import { describe, expect, it } from 'vitest';
import {
  destinationKey,
  nonVipChanges,
  problemsOf,
  type RawWorld,
  readTopologyFile,
  unreachedFrom,
  type WalkTopology,
  walkAll,
} from './route-walker';

const VIP = '172.16.0.1/32';
const US = 'us-east-1';
const AP = 'ap-southeast-1';

const topology: WalkTopology = {
  vips: [VIP],
  nodes: {
    'server-a': { eni: 'eni-a', instance: 'i-a', region: US },
    'server-b': { eni: 'eni-b', instance: 'i-b', region: AP },
  },
  tables: [
    { region: US, table: 'rtb-a1', kind: 'vpc' },
    { region: US, table: 'rtb-a2', kind: 'vpc' },
    { region: US, table: 'tgw-rtb-a', kind: 'tgw' },
    { region: AP, table: 'rtb-b1', kind: 'vpc' },
    { region: AP, table: 'tgw-rtb-b', kind: 'tgw' },
  ],
};

const peering = {
  requester: { transitGatewayId: 'tgw-a', region: US },
  accepter: { transitGatewayId: 'tgw-b', region: AP },
};
const local = (cidr: string) => ({
  destination: cidr,
  target: { kind: 'local' },
  origin: 'CreateRouteTable',
});
const toTgw = (destination: string, id: string) => ({
  destination,
  target: { kind: 'transitGateway', id },
  origin: 'CreateRoute',
});
const toEni = (destination: string, id: string) => ({
  destination,
  target: { kind: 'networkInterface', id },
  origin: 'CreateRoute',
});
const tgwRoute = (destination: string, attachmentId: string | null) => ({
  destination,
  attachmentId,
  type: 'static',
});

/** Server-b active: VPC-B to its ENI, tgw-b to VPC-B's attachment, tgw-a to the peering, VPC-A to tgw-a. */
function converged(): RawWorld {
  return {
    regions: {
      [US]: {
        routeTables: {
          'rtb-a1': {
            id: 'rtb-a1',
            vpcId: 'vpc-a',
            associations: [
              { id: 'assoc-1', subnetId: 'subnet-a1', main: false },
              { id: 'assoc-m', main: true },
            ],
            routes: [
              local('10.0.0.0/16'),
              toTgw('10.1.0.0/16', 'tgw-a'),
              { destination: '0.0.0.0/0', target: { kind: 'gateway', id: 'igw-a' }, origin: 'CreateRoute' },
              toTgw(VIP, 'tgw-a'),
            ],
          },
          'rtb-a2': {
            id: 'rtb-a2',
            vpcId: 'vpc-a',
            associations: [{ id: 'assoc-2', subnetId: 'subnet-a2', main: false }],
            routes: [local('10.0.0.0/16'), toTgw('10.1.0.0/16', 'tgw-a'), toTgw(VIP, 'tgw-a')],
          },
        },
        transitGateways: { 'tgw-a': { id: 'tgw-a', state: 'available' } },
        tgwAttachments: {
          'attach-a': {
            id: 'attach-a',
            transitGatewayId: 'tgw-a',
            resourceType: 'vpc',
            resourceId: 'vpc-a',
            state: 'available',
            associatedRouteTableId: 'tgw-rtb-a',
            subnetIds: ['subnet-a1', 'subnet-a2'],
          },
          'attach-p': {
            id: 'attach-p',
            transitGatewayId: 'tgw-a',
            resourceType: 'peering',
            resourceId: 'tgw-b',
            state: 'available',
            associatedRouteTableId: 'tgw-rtb-a',
            subnetIds: [],
            peering,
          },
        },
        tgwRouteTables: {
          'tgw-rtb-a': {
            id: 'tgw-rtb-a',
            routes: [
              tgwRoute('10.0.0.0/16', 'attach-a'),
              tgwRoute('10.1.0.0/16', 'attach-p'),
              tgwRoute(VIP, 'attach-p'),
            ],
          },
        },
        networkInterfaces: {
          'eni-a': {
            id: 'eni-a',
            vpcId: 'vpc-a',
            status: 'in-use',
            instanceId: 'i-a',
            sourceDestCheck: false,
          },
        },
        instances: { 'i-a': { id: 'i-a', state: 'running', sourceDestCheck: false } },
      },
      [AP]: {
        routeTables: {
          'rtb-b1': {
            id: 'rtb-b1',
            vpcId: 'vpc-b',
            associations: [{ id: 'assoc-b', subnetId: 'subnet-b1', main: true }],
            routes: [local('10.1.0.0/16'), toTgw('10.0.0.0/16', 'tgw-b'), toEni(VIP, 'eni-b')],
          },
        },
        transitGateways: { 'tgw-b': { id: 'tgw-b', state: 'available' } },
        tgwAttachments: {
          'attach-b': {
            id: 'attach-b',
            transitGatewayId: 'tgw-b',
            resourceType: 'vpc',
            resourceId: 'vpc-b',
            state: 'available',
            associatedRouteTableId: 'tgw-rtb-b',
            subnetIds: ['subnet-b1'],
          },
          'attach-p': {
            id: 'attach-p',
            transitGatewayId: 'tgw-b',
            resourceType: 'peering',
            resourceId: 'tgw-a',
            state: 'available',
            associatedRouteTableId: 'tgw-rtb-b',
            subnetIds: [],
            peering,
          },
        },
        tgwRouteTables: {
          'tgw-rtb-b': {
            id: 'tgw-rtb-b',
            routes: [
              tgwRoute('10.1.0.0/16', 'attach-b'),
              tgwRoute('10.0.0.0/16', 'attach-p'),
              tgwRoute(VIP, 'attach-b'),
            ],
          },
        },
        networkInterfaces: {
          'eni-b': {
            id: 'eni-b',
            vpcId: 'vpc-b',
            status: 'in-use',
            instanceId: 'i-b',
            sourceDestCheck: false,
          },
        },
        instances: { 'i-b': { id: 'i-b', state: 'running', sourceDestCheck: false } },
      },
    },
  };
}

type Table = { routes: Record<string, unknown>[] };

/** A VPC or TGW table of a hand-written world, to change in place. */
function tableOf(world: RawWorld, region: string, id: string): Table {
  const regionWorld = world.regions[region] as Record<string, Record<string, Table>>;
  const table = regionWorld.routeTables?.[id] ?? regionWorld.tgwRouteTables?.[id];
  if (!table) throw new Error(`no table ${id} in ${region}`);
  return table;
}

/** The VIP route of `table` in `region`, to change in place. */
function vipRoute(world: RawWorld, region: string, table: string): Record<string, unknown> {
  const route = tableOf(world, region, table).routes.find((r) => r.destination === VIP);
  if (!route) throw new Error(`no VIP route in ${table}`);
  return route;
}

describe('route walker', () => {
  it('follows every listed table to the active node through both TGWs and the peering', () => {
    const walks = walkAll(converged(), topology, 'server-b');

    expect(problemsOf(walks)).toEqual([]);
    // Every listed table is a start; VPC-A enters tgw-a, crosses the peering, and ends in VPC-B.
    expect(walks.map((w) => w.table).sort()).toEqual([
      'rtb-a1',
      'rtb-a2',
      'rtb-b1',
      'tgw-rtb-a',
      'tgw-rtb-b',
    ]);
    expect(walks.find((w) => w.table === 'rtb-a1')?.path).toEqual([
      `${US}/rtb-a1`,
      `${US}/tgw-rtb-a`,
      `${AP}/tgw-rtb-b`,
      `${AP}/rtb-b1`,
    ]);
    expect(walks.every((w) => w.end.kind === 'arrives' && w.end.eni === 'eni-b')).toBe(true);
  });

  it('reports a loop between the two TGWs', () => {
    const world = converged();
    vipRoute(world, AP, 'tgw-rtb-b').attachmentId = 'attach-p';

    const walks = walkAll(world, topology, 'server-b');

    // Every start but VPC-B's own table runs into the ping-pong between tgw-a and tgw-b.
    expect(
      walks
        .filter((w) => w.end.kind !== 'arrives')
        .map((w) => [w.table, w.end.kind])
        .sort(),
    ).toEqual([
      ['rtb-a1', 'loop'],
      ['rtb-a2', 'loop'],
      ['tgw-rtb-a', 'loop'],
      ['tgw-rtb-b', 'loop'],
    ]);
    expect(walks.find((w) => w.table === 'tgw-rtb-b')?.path).toEqual([
      `${AP}/tgw-rtb-b`,
      `${US}/tgw-rtb-a`,
      `${AP}/tgw-rtb-b`,
    ]);
  });

  it('reports a blackhole: no attachment, a filtered or pending route, an attachment that is not available', () => {
    const world = converged();
    vipRoute(world, US, 'tgw-rtb-a').attachmentId = null;

    const walks = walkAll(world, topology, 'server-b');

    expect(
      walks
        .filter((w) => w.end.kind !== 'arrives')
        .map((w) => [w.table, w.end.kind])
        .sort(),
    ).toEqual([
      ['rtb-a1', 'blackhole'],
      ['rtb-a2', 'blackhole'],
      ['tgw-rtb-a', 'blackhole'],
    ]);

    const filtered = converged();
    vipRoute(filtered, AP, 'rtb-b1').filtered = true;
    expect(walkAll(filtered, topology, 'server-b').map((w) => w.end)).toEqual(
      Array(5).fill({ kind: 'blackhole', table: 'rtb-b1', why: 'the VIP route is filtered' }),
    );

    const notYet = converged();
    vipRoute(notYet, AP, 'tgw-rtb-b').phase = { state: 'pending', readsLeft: 1, until: 0 };
    expect(unreachedFrom(notYet, topology, 'server-b')).toHaveLength(4);

    const pending = converged();
    const regions = pending.regions as unknown as Record<
      string,
      { tgwAttachments: Record<string, { state: string }> }
    >;
    regions[AP]!.tgwAttachments['attach-b']!.state = 'pending';
    const ends = walkAll(pending, topology, 'server-b').filter((w) => w.end.kind !== 'arrives');
    expect(ends.map((w) => w.table).sort()).toEqual(['rtb-a1', 'rtb-a2', 'tgw-rtb-a', 'tgw-rtb-b']);
    expect(ends.every((w) => w.end.kind === 'blackhole' && w.end.why === 'attach-b is pending')).toBe(true);
  });

  it('reports a missing VIP route where the walk needs one', () => {
    const world = converged();
    const table = tableOf(world, AP, 'rtb-b1');
    table.routes = table.routes.filter((r) => r.destination !== VIP);

    const walks = walkAll(world, topology, 'server-b');

    // rtb-b1 is the last hop of every path, so every start ends there.
    expect(walks.map((w) => w.end)).toEqual(Array(5).fill({ kind: 'missing', table: 'rtb-b1' }));
  });

  it('reports routes that end at the other node, leave through a gateway, or reach an unhealthy node', () => {
    const world = converged();
    vipRoute(world, US, 'rtb-a1').target = { kind: 'networkInterface', id: 'eni-a' };
    vipRoute(world, US, 'rtb-a2').target = { kind: 'gateway', id: 'igw-a' };

    const ends = Object.fromEntries(walkAll(world, topology, 'server-b').map((w) => [w.table, w.end.kind]));

    expect(ends).toEqual({
      'rtb-a1': 'wrong-node',
      'rtb-a2': 'leaves',
      'tgw-rtb-a': 'arrives',
      'rtb-b1': 'arrives',
      'tgw-rtb-b': 'arrives',
    });

    const checked = converged();
    const ap = checked.regions[AP] as unknown as { instances: Record<string, { sourceDestCheck: boolean }> };
    ap.instances['i-b']!.sourceDestCheck = true;
    expect(walkAll(checked, topology, 'server-b').map((w) => w.end)).toEqual(
      Array(5).fill({ kind: 'unhealthy', eni: 'eni-b', why: 'source/destination check is on' }),
    );
  });

  it('checks only the starts of the regions it is given', () => {
    const world = converged();
    vipRoute(world, US, 'rtb-a1').target = { kind: 'networkInterface', id: 'eni-a' };

    expect(unreachedFrom(world, topology, 'server-b', { regions: [AP] })).toEqual([]);
    expect(unreachedFrom(world, topology, 'server-b', { regions: [US] })).toHaveLength(1);
  });

  it('finds a changed or deleted non-VIP route, and ignores VIP route changes', () => {
    const before = converged();
    const after = converged();
    vipRoute(after, US, 'rtb-a1').target = { kind: 'networkInterface', id: 'eni-a' };
    expect(nonVipChanges(before, after, [VIP])).toEqual([]);

    const table = tableOf(after, US, 'rtb-a2');
    table.routes = table.routes.filter((r) => r.destination !== '10.1.0.0/16');
    const peered = tableOf(after, AP, 'tgw-rtb-b').routes[1];
    if (peered) peered.attachmentId = 'attach-x';

    const changes = nonVipChanges(before, after, [VIP]);

    expect(changes).toHaveLength(3);
    expect(changes.filter((c) => c.startsWith('- '))).toEqual([
      expect.stringContaining(`${AP} tgw-rtb-b {"destination":"10.0.0.0/16","attachmentId":"attach-p"`),
      expect.stringContaining(`${US} rtb-a2 {"destination":"10.1.0.0/16"`),
    ]);
    expect(changes.filter((c) => c.startsWith('+ '))).toEqual([expect.stringContaining('attach-x')]);
  });

  it('follows an IPv6 /128 beside the IPv4 /32, whatever the spelling of its routes', () => {
    const world = converged();
    const VIP6 = 'fd00:172:16::1/128';
    // Every table carries the /128 along the same path, spelt three different ways.
    const spellings = ['FD00:172:16::1/128', 'fd00:172:16:0:0:0:0:1/128', 'fd00:0172:0016::0001/128'];
    for (const [i, [region, id]] of [
      [US, 'rtb-a1'],
      [US, 'rtb-a2'],
      [US, 'tgw-rtb-a'],
      [AP, 'rtb-b1'],
      [AP, 'tgw-rtb-b'],
    ].entries()) {
      const route = vipRoute(world, region as string, id as string);
      tableOf(world, region as string, id as string).routes.push({
        ...route,
        destination: spellings[i % 3],
      });
    }
    const both = { ...topology, vips: [VIP, VIP6] };

    const walks = walkAll(world, both, 'server-b');

    expect(problemsOf(walks)).toEqual([]);
    expect(walks.filter((w) => w.vip === VIP6)).toHaveLength(5);
  });

  it('reports a missing /128 where only the /32 is routed, and never takes one for the other', () => {
    const both = { ...topology, vips: [VIP, 'fd00:172:16::1/128'] };

    const problems = unreachedFrom(converged(), both, 'server-b');

    expect(problems).toHaveLength(5);
    expect(problems.every((p) => p.startsWith('fd00:172:16::1/128 from') && p.includes('"missing"'))).toBe(
      true,
    );
    expect(destinationKey('FD00::1/128')).toBe(destinationKey('fd00:0:0::0001/128'));
    expect(destinationKey('fd00::1/128')).not.toBe(destinationKey('fd00::1/64'));
    expect(destinationKey('172.16.0.1/32')).toBe('172.16.0.1/32');
  });

  it('reads the listed tables, nodes and VIPs of a topology file', () => {
    const read = readTopologyFile('examples/two-region.yaml');

    expect(read.vips).toEqual(['172.16.0.1/32']);
    expect(read.nodes['server-b']).toEqual({
      eni: 'eni-0b2e4a6c8f1d3b5e7',
      instance: 'i-0b8d3f5a7c9e2b4d6',
      region: AP,
    });
    expect(read.tables).toContainEqual({ region: AP, table: 'tgw-rtb-0b1c2d3e4f5a6b7c8', kind: 'tgw' });
    expect(read.tables.filter((t) => t.kind === 'vpc')).toHaveLength(4);
  });
});
