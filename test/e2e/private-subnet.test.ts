/**
 * A node in a private subnet reaches AWS only through its own region's interface endpoints. Here its
 * only way out is a proxy that drops every request signed for another region; the task function in
 * local AWS still reaches every region, as in AWS. `failover --to self` must need nothing else, and
 * fall back to another region only when its own does not answer.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type LocalAws, startLocalAws } from '../../local/index';
import { desiredRoutes } from '../../tasks/routing';
import { parseTopology, type Topology } from '../../tasks/topology';
import { type ForwardProxy, startForwardProxy } from './forward-proxy';
import { cleanEnv, EXAMPLE, ensureBuilt, ROOT, vipctl } from './local-harness';

const TEST_HOSTS = join(ROOT, 'test', 'e2e', 'fixtures', 'test-hosts.mjs');
const NODE_REGION = 'ap-southeast-1'; // server-b's

let aws: LocalAws;
let proxy: ForwardProxy;
let topology: Topology;
let config: string;
/** The regions the node's network reaches. */
let reachable: (region: string | undefined) => boolean;

beforeAll(async () => {
  ensureBuilt();
  topology = parseTopology(readFileSync(EXAMPLE, 'utf8'), EXAMPLE);
  aws = await startLocalAws({ topology, port: 0, active: 'server-a' });
  proxy = await startForwardProxy({ 'aws.test': aws.port }, (request) => !reachable(request.region));
  // Without an account in the topology vipctl asks STS, which must be the node's own region's too.
  config = join(mkdtempSync(join(tmpdir(), 'vipctl-private-')), 'cluster.yaml');
  writeFileSync(config, readFileSync(EXAMPLE, 'utf8').replace(/^account:.*$/m, ''));
});
afterAll(async () => {
  await proxy?.close();
  await aws?.close();
});
beforeEach(() => {
  proxy.requests.length = 0;
});

/** vipctl on server-b: AWS only through the proxy (aws.test does not resolve otherwise), IMDS direct. */
function onTheNode(args: string[]) {
  return vipctl(
    ['--config', config, ...args],
    cleanEnv({
      NODE_OPTIONS: `--import=${TEST_HOSTS}`,
      AWS_ENDPOINT_URL: `http://aws.test:${aws.port}`,
      HTTP_PROXY: proxy.url,
      AWS_EC2_METADATA_SERVICE_ENDPOINT: `${aws.url}/_imds/server-b`,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      // Not the node's region: what vipctl asks must not depend on it.
      AWS_REGION: 'us-east-1',
    }),
  );
}

function routesLeadTo(node: string): boolean {
  return desiredRoutes(topology, node).every(
    (want) => aws.world.findRoute(want.region, want.table, want.vip)?.target === want.target,
  );
}

describe('a node that reaches only its own region', () => {
  it('failover --to self calls only its own region, and the workflow moves every region', async () => {
    reachable = (region) => region === NODE_REGION;

    const result = await onTheNode(['failover', '--to', 'self', '--timeout', '60']);

    expect(result.stderr).not.toContain('unreachable');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`in ${NODE_REGION}`);
    expect(proxy.requests.length).toBeGreaterThan(0);
    expect(proxy.requests.filter((r) => r.region !== NODE_REGION)).toEqual([]);
    expect(proxy.requests.map((r) => r.operation)).toContain('sts:GetCallerIdentity');
    expect(routesLeadTo('server-b')).toBe(true);
  });

  it('falls back to another cluster region when its own does not answer', async () => {
    reachable = (region) => region !== NODE_REGION;

    const result = await onTheNode(['failover', '--to', 'self', '--timeout', '60', '--json']);

    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.run.region).toBe('us-east-1');
    expect(report.fallback.map((f: { region: string }) => f.region)).toEqual([NODE_REGION]);
    expect(proxy.requests.some((r) => r.region === NODE_REGION && r.refused)).toBe(true);
  });

  it('check --via-workflow gives the verdict of a drill in its own region; a plain check cannot', async () => {
    reachable = (region) => region === NODE_REGION;

    const viaWorkflow = await onTheNode(['check', '--active', 'self', '--no-host-check', '--via-workflow']);
    const plain = await onTheNode(['check', '--active', 'self', '--no-host-check']);

    expect(viaWorkflow.stdout).toContain(
      'converged: every VIP route leads to server-b (drill in ap-southeast-1)',
    );
    expect(viaWorkflow.code).toBe(0);
    expect(plain.code).toBe(4);
    expect(
      proxy.requests.filter((r) => r.region !== NODE_REGION).every((r) => r.operation.startsWith('ec2:')),
    ).toBe(true);
    expect(routesLeadTo('server-b')).toBe(true);
  });

  it('check --via-workflow finds a route drifted in another region, and writes nothing', async () => {
    reachable = (region) => region === NODE_REGION;
    const [drifted] = desiredRoutes(topology, 'server-b').filter((r) => r.region !== NODE_REGION);
    if (!drifted) throw new Error('the example has a route outside the node region');
    aws.world.deleteRoute(drifted.region, drifted.table, drifted.vip);
    const before = aws.world.allRoutes();

    const result = await onTheNode([
      'check',
      '--active',
      'self',
      '--no-host-check',
      '--via-workflow',
      '--json',
    ]);

    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout);
    expect(report.via).toBe('workflow');
    expect(report.wrong.map((c: { table: string }) => c.table)).toContain(drifted.table);
    expect(aws.world.allRoutes()).toEqual(before);
  });
});
