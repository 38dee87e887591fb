/**
 * The cluster scripts when Step Functions is down in every cluster region (local AWS's per-service
 * outage): EXPRESSCLUSTER's start.sh and the Pacemaker OCF agent run `vipctl failover
 * --direct-when-unavailable`, which falls back to a direct run from the node. Convergence is judged
 * by the reference route walker (test/oracle) and by hand-written expectations, never by vipctl.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalAws, startLocalAws } from '../../local/index';
import { loadTopology } from '../../tasks/topology';
import { expectedTargets, vipTargets } from '../fixtures/two-region-routes';
import { fetchWorld, readTopologyFile, unreachedFrom } from '../oracle/route-walker';
import { cleanEnv, EXAMPLE, ensureBuilt, ROOT, sh, vipctl, vipctlWrapper } from './local-harness';

const START = join(ROOT, 'examples', 'expresscluster', 'start.sh');
const AGENT = join(ROOT, 'examples', 'pacemaker', 'vipctl');
const REGIONS = ['us-east-1', 'ap-southeast-1'];

let aws: LocalAws;
let wrapper: string;
let journal: string;

beforeAll(async () => {
  ensureBuilt();
  wrapper = vipctlWrapper();
  journal = mkdtempSync(join(tmpdir(), 'vipctl-journal-'));
  aws = await startLocalAws({ topology: await loadTopology(EXAMPLE), port: 0, active: 'server-a' });
  for (const region of REGIONS) aws.models.setOutage(region, true, 'states');
});
afterAll(async () => {
  await aws?.close();
});

const awsEnv = (self: string) => ({
  AWS_ENDPOINT_URL: aws.url,
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  AWS_REGION: 'us-east-1',
  AWS_EC2_METADATA_SERVICE_ENDPOINT: `${aws.url}/_imds/${self}`,
  VIPCTL_JOURNAL: journal,
  // This machine is not the node and does not carry the VIP.
  VIPCTL_HOST_CHECK: '0',
});

async function unreached(node: string): Promise<string[]> {
  return unreachedFrom(await fetchWorld(aws.url), readTopologyFile(EXAMPLE), node);
}

describe('with Step Functions down in every cluster region', () => {
  it('EXPRESSCLUSTER start.sh moves the VIP routes through a direct run, and runs lists it', async () => {
    expect(await unreached('server-b')).not.toEqual([]);

    const started = await sh(
      START,
      [],
      cleanEnv({
        VIPCTL: wrapper,
        VIPCTL_CONFIG: EXAMPLE,
        VIPCTL_TIMEOUT: '60',
        CLP_EVENT: 'FAILOVER',
        CLP_GROUPNAME: 'failover-db',
        ...awsEnv('server-b'),
      }),
    );

    expect(started.code, started.stdout + started.stderr).toBe(0);
    expect(started.stdout).toContain('vipctl: VIP routes now reach this server');
    expect(started.stderr).toContain('running it directly from this node');
    expect(await unreached('server-b')).toEqual([]);
    expect(vipTargets(aws)).toEqual(expectedTargets('server-b'));

    const runs = await vipctl(['--config', EXAMPLE, 'runs', '--json'], cleanEnv(awsEnv('server-b')));
    expect(runs.code, runs.stderr).toBe(0);
    expect(JSON.parse(runs.stdout).runs).toEqual([
      expect.objectContaining({ target: 'server-b', direct: true, outcome: 'SUCCEEDED' }),
    ]);
  });

  it('the OCF agent starts the resource through a direct run', async () => {
    const started = await sh(
      AGENT,
      ['start'],
      cleanEnv({
        OCF_ROOT: '/nonexistent',
        HA_RSCTMP: mkdtempSync(join(tmpdir(), 'vipctl-rsctmp-')),
        OCF_RESOURCE_INSTANCE: 'vip-routes',
        OCF_RESKEY_config: EXAMPLE,
        OCF_RESKEY_node: 'server-a',
        OCF_RESKEY_vipctl: wrapper,
        OCF_RESKEY_timeout: '60',
        ...awsEnv('server-a'),
      }),
    );

    expect(started.code, started.stdout + started.stderr).toBe(0);
    expect(started.stderr).toContain('running it directly from this node');
    expect(await unreached('server-a')).toEqual([]);
    expect(vipTargets(aws)).toEqual(expectedTargets('server-a'));
  });
});
