import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TopologyError, type TopologyProblem } from '../../tasks/errors';
import { loadTopology, MAX_TOPOLOGY_BYTES, parseTopology, validateTopology } from '../../tasks/topology';

const FIXTURES = 'test/fixtures/topologies';

/** The problems a call reports, or a failure if it does not throw a TopologyError. */
function problemsOf(run: () => unknown): readonly TopologyProblem[] {
  try {
    run();
  } catch (error) {
    if (error instanceof TopologyError) return error.problems;
    throw error;
  }
  throw new Error('expected a TopologyError, but the topology was accepted');
}

interface Expected {
  readonly path: string;
  readonly line: number | undefined;
  readonly message: string;
}

/** Each bad fixture ends with `# expect: <path or (file)> | <line or -> | <message substring>` lines. */
function expectationsOf(text: string): Expected[] {
  return [...text.matchAll(/^# expect: (.+?) \| (.+?) \| (.+)$/gm)].map(
    ([, path = '', line = '', message = '']) => ({
      path: path === '(file)' ? '' : path,
      line: line === '-' ? undefined : Number(line),
      message,
    }),
  );
}

describe('parseTopology on good files', () => {
  it.each([
    'examples/two-region.yaml',
    'examples/three-region.yaml',
    'examples/multi-account.yaml',
    `${FIXTURES}/good/base.yaml`,
  ])('loads %s with no problem', async (file) => {
    const topology = await loadTopology(file);

    expect(topology.cluster).toBe('orders-db');
    expect(validateTopology(topology)).toEqual([]);
  });

  it('reads the seed topology as DESIGN section 3 describes it', async () => {
    const topology = await loadTopology('examples/two-region.yaml');

    expect(topology.vips).toEqual(['172.16.0.1/32']);
    expect(topology.nodes['server-b']).toEqual({
      vpc: 'vpc-b',
      eni: 'eni-0b2e4a6c8f1d3b5e7',
      instance: 'i-0b8d3f5a7c9e2b4d6',
    });
    expect(topology.vpcs['vpc-a']?.routeTables).toHaveLength(2);
    expect(topology.peerings).toEqual([
      { between: ['tgw-a', 'tgw-b'], attachment: 'tgw-attach-0c1d2e3f4a5b6c7d8' },
    ]);
  });

  it('chains three regions over two peering hops in the three-region example', async () => {
    const topology = await loadTopology('examples/three-region.yaml');

    expect(Object.keys(topology.transitGateways)).toEqual(['tgw-a', 'tgw-b', 'tgw-c']);
    expect(topology.peerings.map((p) => p.between)).toEqual([
      ['tgw-a', 'tgw-b'],
      ['tgw-b', 'tgw-c'],
    ]);
    expect(topology.vips).toHaveLength(2);
  });

  it('reads the owner accounts of the multi-account example, the home account owning the nodes', async () => {
    const topology = await loadTopology('examples/multi-account.yaml');

    expect(topology.account).toBe('111111111111');
    expect(topology.accounts?.clients).toEqual({
      id: '333333333333',
      role: 'arn:aws:iam::333333333333:role/vip-failover-orders-db',
      externalId: 'orders-db-clients',
    });
    expect(Object.values(topology.transitGateways).map((t) => t.account)).toEqual(['network', 'network']);
    expect(Object.values(topology.vpcs).map((v) => v.account)).toEqual([undefined, undefined, 'clients']);
  });

  it('defaults peerings to an empty list when a single TGW needs none', () => {
    const text = [
      'cluster: solo',
      'vips: [172.16.0.1/32]',
      'nodes: { a: { vpc: v, eni: eni-0123456789abcdef0, instance: i-0123456789abcdef0 } }',
      'vpcs: { v: { id: vpc-0123456789abcdef0, region: eu-west-1, cidr: 10.0.0.0/16, transitGateway: t,',
      '             attachment: tgw-attach-0123456789abcdef0, routeTables: [rtb-0123456789abcdef0] } }',
      'transitGateways: { t: { id: tgw-0123456789abcdef0, region: eu-west-1, routeTables: [tgw-rtb-0123456789abcdef0] } }',
    ].join('\n');

    expect(parseTopology(text).peerings).toEqual([]);
  });
});

describe('parseTopology on bad files', async () => {
  const files = (await readdir(`${FIXTURES}/bad`)).filter((f) => f.endsWith('.yaml')).sort();

  it('has at least 30 bad fixtures', () => {
    expect(files.length).toBeGreaterThanOrEqual(30);
  });

  it.each(files)('reports exactly the planted problems of %s', async (file) => {
    const text = await readFile(join(FIXTURES, 'bad', file), 'utf8');
    const expected = expectationsOf(text);
    expect(expected.length, 'fixture has no # expect: line').toBeGreaterThan(0);

    const problems = problemsOf(() => parseTopology(text, file));

    expect(problems).toHaveLength(expected.length);
    for (const want of expected) {
      expect(problems).toContainEqual({
        path: want.path,
        message: expect.stringContaining(want.message),
        ...(want.line === undefined ? {} : { line: want.line }),
      });
    }
  });

  it('lists every problem of a file at once, in line order', () => {
    const text = [
      'cluster: orders-db',
      'vips: [10.0.0.9/32]',
      'nodes: { a: { vpc: nowhere, eni: eni-0123456789abcdef0, instance: i-0123456789abcdef0 } }',
      'vpcs: { v: { id: vpc-0123456789abcdef0, region: eu-west-1, cidr: 10.0.0.0/16, transitGateway: t,',
      '             attachment: tgw-attach-0123456789abcdef0, routeTables: [rtb-0123456789abcdef0] } }',
      'transitGateways: { t: { id: tgw-0123456789abcdef0, region: eu-west-9x, routeTables: [rtb-0123456789abcdef1] } }',
    ].join('\n');

    const problems = problemsOf(() => parseTopology(text));

    expect(problems.map((p) => [p.line, p.path])).toEqual([
      [2, 'vips.0'],
      [3, 'nodes.a.vpc'],
      [6, 'transitGateways.t.region'],
      [6, 'transitGateways.t.routeTables.0'],
    ]);
  });

  it('names the source file and every problem in the error message', () => {
    const error = (() => {
      try {
        parseTopology('cluster: BAD\n', 'my-cluster.yaml');
      } catch (e) {
        return e as TopologyError;
      }
      throw new Error('accepted');
    })();

    expect(error.name).toBe('TopologyError');
    expect(error.source).toBe('my-cluster.yaml');
    expect(error.message).toMatch(/^my-cluster\.yaml: \d+ problems/);
    expect(error.message).toContain('line 1: cluster: must be 1-32 lowercase letters');
  });
});

describe('hostile input', () => {
  it('refuses text over 1 MiB before parsing it', () => {
    const text = `cluster: orders-db\n# ${'x'.repeat(MAX_TOPOLOGY_BYTES)}\n`;

    const problems = problemsOf(() => parseTopology(text));

    expect(problems).toEqual([{ path: '', message: expect.stringContaining('at most 1 MiB') }]);
  });

  it('refuses a file over 1 MiB by its size, without reading it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'topology-'));
    const file = join(dir, 'cluster.yaml');
    await writeFile(file, `# ${'x'.repeat(MAX_TOPOLOGY_BYTES)}\n`);

    await expect(loadTopology(file)).rejects.toThrow(/at most 1 MiB/);
  });

  it('refuses deep nesting hidden inside a long file', () => {
    const text = `cluster: orders-db\nvips: ${'{a: '.repeat(100_000)}1${'}'.repeat(100_000)}\n`;

    const problems = problemsOf(() => parseTopology(text));

    expect(problems).toEqual([
      { path: '', line: 2, message: expect.stringContaining('nesting deeper than') },
    ]);
  });
});

describe('loadTopology', () => {
  it('explains how to fix a missing file', async () => {
    const missing = join(tmpdir(), 'does-not-exist', 'cluster.yaml');

    const error = await loadTopology(missing).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(TopologyError);
    expect((error as TopologyError).problems).toEqual([
      { path: '', message: expect.stringContaining('pass --config <file> or create cluster.yaml') },
    ]);
  });

  it('reports problems under the path it was given', async () => {
    const error = await loadTopology(`${FIXTURES}/bad/bad-region.yaml`).catch((e: unknown) => e);

    expect((error as TopologyError).source).toBe(`${FIXTURES}/bad/bad-region.yaml`);
  });
});
