/**
 * Two oracles that share no code, one world at a time: the reference route walker
 * (test/oracle/route-walker.ts) reads local AWS's raw state and says where each client's packets to the
 * VIP end; the Linux kernel, carrying the same tables (local/data-plane), forwards real packets from
 * each client. For every seeded world and every client, the walker's verdict and what the packets show
 * must be the same: answered by the same node, looped, unreachable, or lost.
 */
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { startProbe } from '../../local/data-plane/probe';
import { type LocalAws, startLocalAws } from '../../local/server';
import type { WorldData } from '../../local/world';
import { loadTopology } from '../../tasks/topology';
import { fetchWorld, readTopologyFile, type WalkTopology, walkAll } from '../oracle/route-walker';
import { commands, itRequires, missingReasons, netns, root } from '../support/requirements';

const REQUIREMENTS = [root(), netns(), commands(['python3'], ['python3'])];
const it = itRequires(REQUIREMENTS);
const runnable = missingReasons(REQUIREMENTS).length === 0;

const TWO = new URL('../../examples/two-region.yaml', import.meta.url).pathname;
const THREE = new URL('../../examples/three-region.yaml', import.meta.url).pathname;
const DUAL = new URL('../../examples/dual-stack.yaml', import.meta.url).pathname;
const VIP6 = 'fd00:172:16::1/128';

// IDs of examples/two-region.yaml, written out: the worlds are described in AWS's terms, not the product's.
const US = 'us-east-1';
const AP = 'ap-southeast-1';
const VIP = '172.16.0.1/32';
const A_TABLES = ['rtb-0a1c3e5f7b9d2a4c6', 'rtb-0a2d4f6b8c1e3a5d7'];
const B_TABLES = ['rtb-0b1d3f5a7c9e2b4d6', 'rtb-0b2e4a6c8d1f3b5e7'];
const TGW_A = { table: 'tgw-rtb-0a1b2c3d4e5f6a7b8', id: 'tgw-0a9b8c7d6e5f4a3b2' };
const TGW_B = { table: 'tgw-rtb-0b1c2d3e4f5a6b7c8', id: 'tgw-0b9c8d7e6f5a4b3c2' };
const ENI_A = 'eni-0a1f3c5e7b9d2f4a6';
const ENI_B = 'eni-0b2e4a6c8f1d3b5e7';
const ATTACH_B = 'tgw-attach-0b6d8f1a3c5e7b9d4';
const PEERING = 'tgw-attach-0c1d2e3f4a5b6c7d8';

type Seen = `answered by ${string}` | 'looped' | 'unreachable' | 'lost';

interface Lab {
  aws: LocalAws;
  walk: WalkTopology;
  seeded: WorldData;
  /** client key -> the route table of its subnet */
  clientTables: Record<string, { region: string; table: string }>;
}

async function lab(path: string): Promise<Lab> {
  // Two clients per VPC: one in the public subnet (a default route to the internet gateway), one in
  // the private one, where a missing VIP route has nothing to fall back on.
  const aws = await startLocalAws({
    topology: await loadTopology(path),
    port: 0,
    active: 'server-a',
    sfn: false,
    dataPlane: { vipOn: 'all', clients: 2 },
  });
  const plane = aws.dataPlane!;
  const clientTables: Lab['clientTables'] = {};
  for (const [key, info] of Object.entries(plane.layout.namespaces)) {
    if (info.role !== 'client') continue;
    const host = plane.layout.hosts.find((h) => h.host === info.netns)!;
    clientTables[key] = { region: info.region, table: host.table };
  }
  return { aws, walk: readTopologyFile(path), seeded: aws.world.snapshot(), clientTables };
}

/** What the walker says each client's packets to `vip` meet. */
async function walkerSays(l: Lab, vip: string): Promise<Record<string, Seen>> {
  const world = await fetchWorld(l.aws.url);
  const nodeOfEni = Object.fromEntries(Object.entries(l.walk.nodes).map(([name, n]) => [n.eni, name]));
  const walks = walkAll(world, l.walk, Object.keys(l.walk.nodes)[0]!).filter((w) => w.vip === vip);
  const entryTables = attachmentEntryTables(world);
  const says: Record<string, Seen> = {};
  for (const [client, start] of Object.entries(l.clientTables)) {
    const branches = walks.filter((w) => w.region === start.region && w.table === start.table);
    // Where the walker branches into every subnet of an attachment, the kernel's packets enter the VPC
    // through one interface, the attachment's first subnet's: compare with that branch.
    const walk =
      branches.find((w) => w.path.slice(1).every((hop) => !isVpcTable(world, hop) || entryTables.has(hop))) ??
      branches[0];
    if (!walk) throw new Error(`the walker did not start from ${start.table}`);
    const end = walk.end;
    if (end.kind === 'arrives' || end.kind === 'wrong-node')
      says[client] = `answered by ${nodeOfEni[end.eni]}`;
    else if (end.kind === 'loop') says[client] = 'looped';
    else if (end.kind === 'missing')
      // With no VIP route, a VPC table's default route (to the internet gateway) takes the packet out of
      // the modelled world; a table without one answers "unreachable".
      says[client] = hasDefaultRoute(world, end.table, vip) ? 'lost' : 'unreachable';
    else says[client] = 'lost';
  }
  return says;
}

type RawRegion = {
  routeTables?: Record<string, { associations?: { subnetId?: string }[] }>;
  tgwAttachments?: Record<string, { resourceType?: string; subnetIds?: string[] }>;
};

/** `region/table` of the table of each VPC attachment's first subnet, read from the raw world. */
function attachmentEntryTables(world: Awaited<ReturnType<typeof fetchWorld>>): Set<string> {
  const entries = new Set<string>();
  for (const [name, region] of Object.entries(world.regions) as [string, RawRegion][]) {
    for (const attachment of Object.values(region.tgwAttachments ?? {})) {
      const first = attachment.resourceType === 'vpc' ? attachment.subnetIds?.[0] : undefined;
      for (const [id, table] of Object.entries(region.routeTables ?? {}))
        if (first && table.associations?.some((a) => a.subnetId === first)) entries.add(`${name}/${id}`);
    }
  }
  return entries;
}

function isVpcTable(world: Awaited<ReturnType<typeof fetchWorld>>, hop: string): boolean {
  const [name = '', table = ''] = hop.split('/');
  return Boolean((world.regions[name] as RawRegion | undefined)?.routeTables?.[table]);
}

function hasDefaultRoute(world: Awaited<ReturnType<typeof fetchWorld>>, table: string, vip: string): boolean {
  const any = vip.includes(':') ? '::/0' : '0.0.0.0/0';
  for (const region of Object.values(world.regions) as {
    routeTables?: Record<string, { routes: { destination: string }[] }>;
  }[]) {
    const found = region.routeTables?.[table];
    if (found) return found.routes.some((r) => r.destination === any);
  }
  return false;
}

/** What each client's packets to `vip` meet in the kernel: 20 datagrams, all with one fate. */
async function packetsShow(l: Lab, vip: string): Promise<Record<string, Seen | string>> {
  const plane = l.aws.dataPlane!;
  const clients = Object.keys(l.clientTables).map((key) => ({ key, netns: plane.namespace(key).netns }));
  const seen = await startProbe({ clients, vips: [vip], rate: 100, durationMs: 200, graceMs: 300 }).done;
  return Object.fromEntries(
    Object.entries(seen).map(([client, o]) => {
      const v = o.vips[vip]!;
      const nodes = Object.keys(v.byNode);
      if (v.answered === v.sent && nodes.length === 1) return [client, `answered by ${nodes[0]}`];
      if (v.looped === v.sent) return [client, 'looped'];
      // Linux rate-limits the ICMP errors of an `unreachable` route per source (net.ipv4.route.error_cost,
      // a host-wide setting the data plane leaves alone): no answer, no loop and at least one
      // "destination unreachable" is an unreachable destination.
      if (v.answered === 0 && v.looped === 0 && v.unreachable > 0) return [client, 'unreachable'];
      if (v.lost === v.sent) return [client, 'lost'];
      return [client, `mixed ${JSON.stringify(v)}`];
    }),
  );
}

async function inWorld(l: Lab, change: (aws: LocalAws) => void, vip = VIP) {
  l.aws.world.restore(l.seeded);
  change(l.aws);
  await l.aws.dataPlane!.sync();
  return { walker: await walkerSays(l, vip), packets: await packetsShow(l, vip) };
}

const setVpc = (aws: LocalAws, region: string, tables: string[], target: string) => {
  for (const table of tables) aws.world.setRoute(region, table, VIP, target);
};
/** Server-b active, every route as the routing rule has it (written out here). */
const onB = (aws: LocalAws) => {
  setVpc(aws, AP, B_TABLES, ENI_B);
  aws.world.setRoute(AP, TGW_B.table, VIP, ATTACH_B);
  aws.world.setRoute(US, TGW_A.table, VIP, PEERING);
  setVpc(aws, US, A_TABLES, TGW_A.id);
};

const WORLDS: [string, (aws: LocalAws) => void, Partial<Record<string, Seen>>][] = [
  ['the seed, server-a active', () => {}, { 'client-vpc-b': 'answered by server-a' }],
  ['server-b active', onB, { 'client-vpc-a': 'answered by server-b' }],
  [
    'a loop between the TGWs (each sends the VIP over the peering)',
    (aws) => aws.world.setRoute(US, TGW_A.table, VIP, PEERING),
    { 'client-vpc-b': 'looped', 'client-vpc-a': 'answered by server-a' },
  ],
  [
    'a loop between a VPC and its TGW (the remote VPCs written first)',
    (aws) => setVpc(aws, US, A_TABLES, TGW_A.id),
    { 'client-vpc-a': 'looped' },
  ],
  [
    'a blackhole route in tgw-a',
    (aws) => aws.world.setRoute(US, TGW_A.table, VIP, null),
    { 'client-vpc-b': 'lost' },
  ],
  [
    'no VIP route in vpc-b',
    (aws) => {
      for (const table of B_TABLES) aws.world.deleteRoute(AP, table, VIP);
    },
    { 'client-vpc-b': 'lost', 'client-vpc-b-2': 'unreachable' },
  ],
  [
    'no VIP route in tgw-b',
    (aws) => aws.world.deleteRoute(AP, TGW_B.table, VIP),
    { 'client-vpc-b': 'unreachable', 'client-vpc-a': 'answered by server-a' },
  ],
  [
    'the wrong ENI: vpc-b still at server-b while the TGWs lead to server-a',
    (aws) => setVpc(aws, AP, B_TABLES, ENI_B),
    { 'client-vpc-b': 'answered by server-b', 'client-vpc-a': 'answered by server-a' },
  ],
  [
    "a detached attachment (vpc-b's)",
    (aws) => {
      aws.world.region(AP).tgwAttachments[ATTACH_B]!.state = 'deleted';
    },
    { 'client-vpc-b': 'lost', 'client-vpc-a': 'answered by server-a' },
  ],
  [
    'the peering down, server-b active',
    (aws) => {
      onB(aws);
      aws.world.region(US).tgwAttachments[PEERING]!.state = 'failed';
      aws.world.region(AP).tgwAttachments[PEERING]!.state = 'failed';
    },
    { 'client-vpc-a': 'lost', 'client-vpc-b': 'answered by server-b' },
  ],
  [
    "server-a's instance stopped",
    (aws) => {
      aws.world.region(US).instances['i-0a7c2e4f6b8d1a3c5']!.state = 'stopped';
    },
    { 'client-vpc-a': 'lost', 'client-vpc-b': 'lost' },
  ],
  [
    "source/destination check on at server-a's ENI",
    (aws) => {
      const region = aws.world.region(US);
      region.networkInterfaces[ENI_A]!.sourceDestCheck = true;
      region.instances['i-0a7c2e4f6b8d1a3c5']!.sourceDestCheck = true;
    },
    { 'client-vpc-a': 'lost' },
  ],
  [
    "tgw-b's VIP route pending",
    (aws) =>
      aws.world.setRouteState(AP, TGW_B.table, VIP, 'pending', {
        reads: 1000,
        until: Date.now() + 3_600_000,
      }),
    { 'client-vpc-b': 'lost', 'client-vpc-a': 'answered by server-a' },
  ],
  [
    "vpc-a's private table filtered",
    (aws) => aws.world.setRouteState(US, A_TABLES[1]!, VIP, 'filtered'),
    { 'client-vpc-a-2': 'lost', 'client-vpc-a': 'answered by server-a' },
  ],
  [
    'tgw-b sends the VIP into vpc-b while vpc-b sends it back to tgw-b',
    (aws) => aws.world.setRoute(AP, TGW_B.table, VIP, ATTACH_B),
    { 'client-vpc-b': 'looped' },
  ],
];

describe('the route walker and the kernel agree, client by client', () => {
  let two: Lab | undefined;
  let three: Lab | undefined;
  beforeAll(async () => {
    if (!runnable) return;
    two = await lab(TWO);
  });
  afterAll(async () => {
    await two?.aws.close();
    await three?.aws.close();
  });

  for (const [name, change, expected] of WORLDS) {
    it(name, async () => {
      const { walker, packets } = await inWorld(two!, change);

      expect(packets).toEqual(walker);
      // And the world is the one described: the named clients see what it was built to show.
      expect(packets).toMatchObject(expected);
    });
  }

  it('IPv6: the /128 VIP of a dual-stack topology, seeded, moved to server-b, and looped between the TGWs', async () => {
    const dual = await lab(DUAL);
    try {
      const seeded = await inWorld(dual, () => {}, VIP6);
      expect(seeded.packets).toEqual(seeded.walker);
      expect(new Set(Object.values(seeded.packets))).toEqual(new Set(['answered by server-a']));

      const moved = await inWorld(
        dual,
        (aws) => {
          for (const table of B_TABLES) aws.world.setRoute(AP, table, VIP6, ENI_B);
          aws.world.setRoute(AP, TGW_B.table, VIP6, ATTACH_B);
          aws.world.setRoute(US, TGW_A.table, VIP6, PEERING);
          for (const table of A_TABLES) aws.world.setRoute(US, table, VIP6, TGW_A.id);
        },
        VIP6,
      );
      expect(moved.packets).toEqual(moved.walker);
      expect(new Set(Object.values(moved.packets))).toEqual(new Set(['answered by server-b']));

      const looped = await inWorld(dual, (aws) => aws.world.setRoute(US, TGW_A.table, VIP6, PEERING), VIP6);
      expect(looped.packets).toEqual(looped.walker);
      expect(looped.packets).toMatchObject({
        'client-vpc-b': 'looped',
        'client-vpc-a': 'answered by server-a',
      });

      const missing = await inWorld(dual, (aws) => aws.world.deleteRoute(AP, TGW_B.table, VIP6), VIP6);
      expect(missing.packets).toEqual(missing.walker);
      expect(missing.packets).toMatchObject({ 'client-vpc-b': 'unreachable' });
    } finally {
      await dual.aws.close();
    }
  });

  it('a three-region chain: every client of every VPC, before and after server-b takes over', async () => {
    three = await lab(THREE);
    const seeded = await inWorld(three, () => {});
    expect(seeded.packets).toEqual(seeded.walker);
    expect(new Set(Object.values(seeded.packets))).toEqual(new Set(['answered by server-a']));

    // Server-b active: written as AWS would hold it, via the routes the walker itself reads back.
    const moved = await inWorld(three, (aws) => {
      const region = (name: string) => aws.world.region(name);
      for (const table of ['rtb-0b1d3f5a7c9e2b4d6', 'rtb-0b2e4a6c8d1f3b5e7'])
        aws.world.setRoute(AP, table, VIP, ENI_B);
      aws.world.setRoute(AP, TGW_B.table, VIP, ATTACH_B);
      // tgw-a and tgw-c reach tgw-b over their peerings (the chain's attachments, looked up by their ends).
      for (const [name, tgwTable] of [
        [US, TGW_A.table],
        ['eu-west-1', 'tgw-rtb-0c1d2e3f4a5b6c7d8'],
      ] as const) {
        const route = region(name).tgwRouteTables[tgwTable]!.routes.find(
          (r) => r.destination === '10.1.0.0/16',
        )!;
        aws.world.setRoute(name, tgwTable, VIP, route.attachmentId);
      }
      for (const [name, vpcTable] of [
        [US, 'rtb-0a1c3e5f7b9d2a4c6'],
        [US, 'rtb-0a2d4f6b8c1e3a5d7'],
        ['eu-west-1', 'rtb-0c3e5a7b9d1f2c4e6'],
        [US, 'rtb-0d4f6b8c1e3a5d7f9'],
        [US, 'rtb-0d5a7c9e2f4b6d8a1'],
      ] as const) {
        const tgw = region(name).routeTables[vpcTable]!.routes.find(
          (r) => r.target.kind === 'transitGateway',
        )!;
        aws.world.setRoute(name, vpcTable, VIP, (tgw.target as { id: string }).id);
      }
    });
    expect(moved.packets).toEqual(moved.walker);
    expect(new Set(Object.values(moved.packets))).toEqual(new Set(['answered by server-b']));
  });
});
