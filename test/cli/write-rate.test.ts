/**
 * `vipctl plan` and `vipctl check` say, before a node dies, when a failover's writes cannot fit the
 * run budget under EC2's documented request rate (tasks/write-rate.ts).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EC2Client } from '@aws-sdk/client-ec2';
import { SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { scaleTopology, topologyYaml } from '../../bench/topologies';
import { ExitCode } from '../../cli/core/exit-codes';
import { vipctl, worldFor } from './harness';

mockClient(SFNClient);
const ec2 = mockClient(EC2Client);
beforeEach(() => ec2.reset());

// 250 tables per VPC in two regions, 4 VIPs: 2,008 VIP routes, 1,000 ReplaceRoute per VPC step.
const large = scaleTopology({ tablesPerRegion: 250, vips: 4, regions: 2 });
let config: string;
beforeAll(() => {
  config = join(mkdtempSync(join(tmpdir(), 'vipctl-write-rate-')), 'cluster.yaml');
  writeFileSync(config, topologyYaml(large));
});

describe('the write-rate warning', () => {
  it('vipctl plan warns that 2,000 writes need at least 380 s, more than the 110 s run budget', async () => {
    const result = await vipctl(['plan', '--to', 'server-1', '--json'], {
      config,
      world: worldFor('server-0', large),
    });

    expect(result.code).toBe(ExitCode.Ok);
    expect(result.stderr).toMatch(/warning: these writes need at least 380 s .*run budget of 110 s/);
    expect(result.stderr).toContain('request an EC2 API rate limit increase');
    expect(JSON.parse(result.stdout).writeRate).toMatchObject({
      boundSeconds: 380,
      warning: expect.stringContaining('split the cluster'),
    });
  });

  it('vipctl check warns about the largest failover of the topology, and still answers converged', async () => {
    const result = await vipctl(['check', '--active', 'server-0'], {
      config,
      world: worldFor('server-0', large),
    });

    expect(result.code).toBe(ExitCode.Ok);
    expect(result.stderr).toMatch(/warning: a failover that rewrites every VIP route needs at least 380 s/);
  });

  it('says nothing for the seed topology', async () => {
    const plan = await vipctl(['plan', '--to', 'server-b'], { world: worldFor('server-a') });
    const check = await vipctl(['check', '--active', 'server-a', '--no-host-check'], {
      world: worldFor('server-a'),
    });

    expect(plan.stderr).not.toContain('warning');
    expect(check.stderr).not.toContain('warning');
  });
});
