/**
 * `vipctl discover` as a child process against local AWS started in this process: the file it writes
 * passes the topology parser and holds the seeded topology's routing facts.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_ENVIRONMENT } from '../../local/iam/principals';
import { type LocalAws, startLocalAws } from '../../local/index';
import { loadTopology, parseTopology, type Topology } from '../../tasks/topology';
import { cleanEnv, EXAMPLE, ensureBuilt, vipctl } from './local-harness';

let seeded: Topology;
let aws: LocalAws;

beforeAll(async () => {
  ensureBuilt();
  seeded = parseTopology(readFileSync(EXAMPLE, 'utf8'), EXAMPLE);
  aws = await startLocalAws({ topology: seeded, port: 0, sfn: false });
});
afterAll(async () => {
  await aws?.close();
});

describe('vipctl discover', () => {
  it('writes a cluster.yaml that the parser accepts and that matches what AWS holds', async () => {
    const output = join(mkdtempSync(join(tmpdir(), 'discover-e2e-')), 'cluster.yaml');
    const a = seeded.nodes['server-a']!;
    const b = seeded.nodes['server-b']!;

    const end = await vipctl(
      [
        'discover',
        '--cluster',
        'orders-db',
        '--vip',
        seeded.vips[0]!,
        '--node',
        `server-a=${a.instance}@us-east-1`,
        '--node',
        `server-b=${b.instance}@ap-southeast-1`,
        '--output',
        output,
      ],
      // Discovery is the operator's, with an administrator's reads (a node's role may not describe VPCs).
      cleanEnv({ AWS_ENDPOINT_URL: aws.url, ...ADMIN_ENVIRONMENT }),
    );

    expect(end.stderr).not.toContain('vipctl:');
    expect(end.code).toBe(0);
    const written = await loadTopology(output);
    expect(written.cluster).toBe('orders-db');
    expect(written.account).toBe(seeded.account);
    expect(written.vips).toEqual(seeded.vips);
    expect(written.nodes['server-a']).toMatchObject({ eni: a.eni, instance: a.instance });
    expect(written.nodes['server-b']).toMatchObject({ eni: b.eni, instance: b.instance });
    const ids = (t: Topology) => ({
      vpcs: Object.values(t.vpcs)
        .map((v) =>
          [
            v.id,
            v.region,
            v.cidr,
            v.attachment,
            t.transitGateways[v.transitGateway]!.id,
            ...v.routeTables,
          ].join(' '),
        )
        .sort(),
      tgws: Object.values(t.transitGateways)
        .map((g) => [g.id, g.region, ...g.routeTables].join(' '))
        .sort(),
      peerings: t.peerings.map((p) =>
        [p.attachment, ...p.between.map((n) => t.transitGateways[n]!.id).sort()].join(' '),
      ),
      nodeVpcs: Object.entries(t.nodes).map(([name, n]) => `${name} ${t.vpcs[n.vpc]!.id}`),
    });
    expect(ids(written)).toEqual(ids(seeded));
  });
});
