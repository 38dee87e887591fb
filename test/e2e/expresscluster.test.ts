/**
 * The EXPRESSCLUSTER scripts (examples/expresscluster/start.sh, genw.sh) as the cluster runs them,
 * with VIPCTL pointing at the built CLI. "self" is the node whose instance metadata local AWS serves
 * at AWS_EC2_METADATA_SERVICE_ENDPOINT=<local AWS>/_imds/<node>.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalAws, startLocalAws } from '../../local/index';
import { parseTopology, type Topology } from '../../tasks/topology';
import { fetchWorld, readTopologyFile, unreachedFrom } from '../oracle/route-walker';
import { cleanEnv, closedPort, EXAMPLE, ensureBuilt, ROOT, sh, vipctlWrapper } from './local-harness';

const START = join(ROOT, 'examples', 'expresscluster', 'start.sh');
const GENW = join(ROOT, 'examples', 'expresscluster', 'genw.sh');

/** The direct-run journal of these tests. */
const JOURNAL = mkdtempSync(join(tmpdir(), 'vipctl-journal-'));
let topology: Topology;
let aws: LocalAws;
let wrapper: string;

beforeAll(async () => {
  ensureBuilt();
  wrapper = vipctlWrapper();
  topology = parseTopology(readFileSync(EXAMPLE, 'utf8'), EXAMPLE);
  aws = await startLocalAws({ topology, port: 0, active: 'server-a' });
});
afterAll(async () => {
  await aws?.close();
});

function script(path: string, self: string, extra: Record<string, string> = {}) {
  return sh(
    path,
    [],
    cleanEnv({
      VIPCTL: wrapper,
      VIPCTL_CONFIG: EXAMPLE,
      VIPCTL_TIMEOUT: '60',
      // A start with AWS unreachable may run directly from the node: keep its record out of /var/lib.
      VIPCTL_JOURNAL: JOURNAL,
      CLP_EVENT: 'FAILOVER',
      CLP_GROUPNAME: 'failover-db',
      AWS_ENDPOINT_URL: aws.url,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_EC2_METADATA_SERVICE_ENDPOINT: `${aws.url}/_imds/${self}`,
      // This machine is not the node and does not carry the VIP; the host check has a test of its own.
      VIPCTL_HOST_CHECK: '0',
      ...extra,
    }),
  );
}

/** Every VIP reaches `node` from every listed table, by the reference walker over local AWS's raw world. */
async function routesLeadTo(node: string): Promise<boolean> {
  return unreachedFrom(await fetchWorld(aws.url), readTopologyFile(EXAMPLE), node).length === 0;
}

describe('EXPRESSCLUSTER scripts', () => {
  it('start.sh on server-b moves every VIP route to it (exit 0)', async () => {
    expect(await routesLeadTo('server-b')).toBe(false);

    const started = await script(START, 'server-b');

    expect(started.stdout).toContain('vipctl: VIP routes now reach this server');
    expect(started.code).toBe(0);
    expect(await routesLeadTo('server-b')).toBe(true);
  });

  it('genw.sh reports normal on the active server and an error on the other', async () => {
    await script(START, 'server-b');

    expect((await script(GENW, 'server-b')).code).toBe(0);
    const other = await script(GENW, 'server-a');
    expect(other.code).toBe(1);
    expect(other.stdout).toContain('VIP routes do not reach this server, or the VIP is not on it (exit 1)');
  });

  it('genw.sh reports an error on the active server when the VIP is not one of its addresses', async () => {
    await script(START, 'server-b');

    const monitored = await script(GENW, 'server-b', { VIPCTL_HOST_CHECK: '1' });

    expect(monitored.code).toBe(1);
    expect(monitored.stdout).toContain('routes converged, VIP not on this host: 172.16.0.1/32');
  });

  it('genw.sh treats AWS unreachable as a warning, or as an error when asked to', async () => {
    const nothing = `http://127.0.0.1:${await closedPort()}`;

    // Both wait out vipctl's retry budget against the closed port: side by side, not one after the other.
    const [lenient, strict] = await Promise.all([
      script(GENW, 'server-b', { AWS_ENDPOINT_URL: nothing }),
      script(GENW, 'server-b', { AWS_ENDPOINT_URL: nothing, VIPCTL_UNREACHABLE_IS_ERROR: '1' }),
    ]);

    expect(lenient.code).toBe(0);
    expect(lenient.stdout).toContain('AWS API unreachable');
    expect(strict.code).toBe(1);
  });

  it('genw.sh ends a check that outlives VIPCTL_CHECK_TIMEOUT and reports it as AWS unreachable', async () => {
    const slow = join(mkdtempSync(join(tmpdir(), 'vipctl-slow-')), 'vipctl');
    writeFileSync(slow, '#!/bin/sh\nexec sleep 30\n', { mode: 0o755 });

    const monitored = await script(GENW, 'server-b', { VIPCTL: slow, VIPCTL_CHECK_TIMEOUT: '1' });

    expect(monitored.code).toBe(0);
    expect(monitored.stdout).toContain('AWS API unreachable (no answer within 1s)');
  });

  it('start.sh ignores events other than start, failover and recover', async () => {
    const before = aws.world.allRoutes();

    const ignored = await script(START, 'server-a', { CLP_EVENT: 'STOP' });

    expect(ignored.code).toBe(0);
    expect(aws.world.allRoutes()).toEqual(before);
  });
});
