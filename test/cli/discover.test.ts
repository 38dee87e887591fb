/**
 * `vipctl discover` in process against local AWS (EC2 only) seeded from the two-region example:
 * the file it writes describes the seeded routing exactly, and ambiguous AWS setups are refused.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../cli/program';
import { ADMIN_ENVIRONMENT } from '../../local/iam/principals';
import { type LocalAws, startLocalAws } from '../../local/index';
import { parseTopology, type Topology } from '../../tasks/topology';

const EXAMPLE = fileURLToPath(new URL('../../examples/two-region.yaml', import.meta.url));
const seeded: Topology = parseTopology(readFileSync(EXAMPLE, 'utf8'), EXAMPLE);
const A = seeded.nodes['server-a']!;
const B = seeded.nodes['server-b']!;
const NODES = [
  '--node',
  `server-a=${A.instance}@us-east-1`,
  '--node',
  `server-b=${B.instance}@ap-southeast-1`,
];

let aws: LocalAws;

beforeAll(async () => {
  aws = await startLocalAws({ topology: seeded, port: 0, sfn: false });
});
afterAll(async () => {
  await aws.close();
});
afterEach(async () => {
  await fetch(`${aws.url}/_local/reset`, { method: 'POST' });
});

async function discover(argv: readonly string[], endpoint = aws.url) {
  let stdout = '';
  let stderr = '';
  const code = await run(['--endpoint-url', endpoint, 'discover', ...argv], {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    isTTY: false,
    // Discovery is the operator's, with an administrator's reads (a node's role may not describe VPCs).
    env: { VIPCTL_JOURNAL: process.env.VIPCTL_JOURNAL, ...ADMIN_ENVIRONMENT },
    cwd: tmpdir(),
  });
  return { code, stdout, stderr };
}

/** The routing facts of a topology: every AWS ID and how they hang together, without the key names. */
function routingFacts(t: Topology) {
  const vpcById = (name: string) => t.vpcs[name]!.id;
  const tgwById = (name: string) => t.transitGateways[name]!.id;
  return {
    account: t.account,
    vips: t.vips,
    nodes: Object.values(t.nodes)
      .map((n) => ({ vpc: vpcById(n.vpc), eni: n.eni, instance: n.instance }))
      .sort((a, b) => a.instance.localeCompare(b.instance)),
    vpcs: Object.values(t.vpcs)
      .map((v) => ({
        ...v,
        transitGateway: tgwById(v.transitGateway),
        routeTables: [...v.routeTables].sort(),
      }))
      .sort((a, b) => a.id.localeCompare(b.id)),
    transitGateways: Object.values(t.transitGateways)
      .map((g) => ({ ...g, routeTables: [...g.routeTables].sort() }))
      .sort((a, b) => a.id.localeCompare(b.id)),
    peerings: t.peerings.map((p) => ({ attachment: p.attachment, between: p.between.map(tgwById).sort() })),
  };
}

describe('vipctl discover', () => {
  it('writes a topology with the routing facts of the seeded AWS', async () => {
    const { code, stdout } = await discover(['--vip', '172.16.0.1/32', '--cluster', 'orders-db', ...NODES]);

    expect(code).toBe(0);
    const written = parseTopology(stdout, 'stdout');
    expect(routingFacts(written)).toEqual(routingFacts(seeded));
    expect(written.cluster).toBe('orders-db');
  });

  it('names what it found in comments: node state, table and subnet counts', async () => {
    const { stdout } = await discover(['--vip', '172.16.0.1/32', ...NODES]);

    expect(stdout).toMatch(/server-a: \{.*\} # running in us-east-1/);
    expect(stdout).toMatch(/# vpc-0a3e5c7f9b1d4a6c8, node server-a, 2 route tables for 2 subnets/);
    expect(stdout).toContain('- rtb-0a1c3e5f7b9d2a4c6 # main, 1 subnet');
    expect(stdout).toMatch(/tgw-0a9b8c7d6e5f4a3b2, 1 route table/);
  });

  it('writes the file given with --output and says what it holds', async () => {
    const output = join(mkdtempSync(join(tmpdir(), 'discover-')), 'cluster.yaml');

    const { code, stdout } = await discover(['--vip', '172.16.0.1/32', ...NODES, '--output', output]);

    expect(code).toBe(0);
    expect(stdout).toContain(
      `wrote ${output}: 2 nodes, 2 VPCs, 2 transit gateways, 1 peering, 6 route tables`,
    );
    expect(routingFacts(parseTopology(readFileSync(output, 'utf8')))).toEqual(routingFacts(seeded));
  });

  it('adds client VPCs with their own transit gateway routes', async () => {
    // Only server-a is a node; VPC-B comes in as a client VPC.
    const { code, stdout } = await discover([
      '--vip',
      '172.16.0.1/32',
      '--node',
      `server-a=${A.instance}@us-east-1`,
      '--client-vpc',
      `${seeded.vpcs['vpc-b']!.id}@ap-southeast-1`,
    ]);

    expect(code).toBe(0);
    const written = parseTopology(stdout);
    expect(Object.keys(written.nodes)).toEqual(['server-a']);
    expect(written.vpcs['client-1']?.id).toBe(seeded.vpcs['vpc-b']!.id);
    expect(written.peerings).toHaveLength(1);
  });

  it('refuses an instance that the region does not know (exit 2)', async () => {
    const { code, stderr } = await discover([
      '--vip',
      '172.16.0.1/32',
      '--node',
      `server-a=${A.instance}@ap-southeast-1`,
    ]);

    expect(code).toBe(2);
    expect(stderr).toContain(`instance ${A.instance} of node server-a was not found in ap-southeast-1`);
  });

  it('refuses a VPC with two transit gateway attachments (exit 2)', async () => {
    const east = aws.world.region('us-east-1');
    const vpcA = seeded.vpcs['vpc-a']!;
    east.tgwAttachments['tgw-attach-0eeeeeeeeeeeeeee1'] = {
      ...east.tgwAttachments[vpcA.attachment]!,
      id: 'tgw-attach-0eeeeeeeeeeeeeee1',
    };

    const { code, stderr } = await discover(['--vip', '172.16.0.1/32', ...NODES]);

    expect(code).toBe(2);
    expect(stderr).toContain(`VPC ${vpcA.id} of node server-a has 2 transit gateway attachments`);
  });

  it('refuses a VPC without an available transit gateway attachment (exit 2)', async () => {
    const south = aws.world.region('ap-southeast-1');
    const vpcB = seeded.vpcs['vpc-b']!;
    south.tgwAttachments[vpcB.attachment]!.state = 'deleted';

    const { code, stderr } = await discover(['--vip', '172.16.0.1/32', ...NODES]);

    expect(code).toBe(2);
    expect(stderr).toContain(`VPC ${vpcB.id} of node server-b has no available transit gateway attachment`);
    expect(stderr).toContain(`${vpcB.attachment} is deleted`);
  });

  it('refuses transit gateways that no peering joins (exit 2)', async () => {
    const peering = seeded.peerings[0]!.attachment;
    for (const region of ['us-east-1', 'ap-southeast-1'])
      delete aws.world.region(region).tgwAttachments[peering];

    const { code, stderr } = await discover(['--vip', '172.16.0.1/32', ...NODES]);

    expect(code).toBe(2);
    expect(stderr).toMatch(
      /transit gateway tgw-0b9c8d7e6f5a4b3c2 \(ap-southeast-1\) is not joined to tgw-0a9b8c7d6e5f4a3b2/,
    );
  });

  it('refuses a VIP that lies inside a discovered VPC CIDR (exit 2)', async () => {
    const { code, stderr } = await discover(['--vip', '10.0.0.5/32', ...NODES]);

    expect(code).toBe(2);
    expect(stderr).toContain('lies inside 10.0.0.0/16');
  });

  it('reports AWS unreachable (exit 4) when nothing listens at the endpoint', async () => {
    const closed = await closedPort();

    const { code, stderr } = await discover(
      ['--vip', '172.16.0.1/32', ...NODES],
      `http://127.0.0.1:${closed}`,
    );

    expect(code).toBe(4);
    expect(stderr).toContain('AWS could not be reached');
  });

  it('rejects a malformed --node as a usage error', async () => {
    const { code, stderr } = await discover(['--vip', '172.16.0.1/32', '--node', 'server-a=i-0abc']);

    expect(code).toBe(2);
    expect(stderr).toContain('must be name=instance-id@region');
  });
});

/** A port that was free a moment ago: nothing listens there. */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
