/**
 * `vipctl drill` as users run it: the built CLI as a child process against local AWS, both examples.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localEnvironment } from '../../local/client-env';
import { type LocalAws, startLocalAws } from '../../local/server';
import { loadTopology } from '../../tasks/topology';
import { ensureBuilt, JOURNAL, ROOT } from './local-harness';

interface Result {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function vipctl(local: LocalAws, config: string, args: readonly string[]): Promise<Result> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(ROOT, 'bin', 'vipctl.mjs'), '--config', config, ...args],
      {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH ?? '',
          ...localEnvironment(local.url),
          AWS_REGION: 'us-east-1',
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
          // Never the machine's journal of direct runs (/var/lib/...): this file's own.
          VIPCTL_JOURNAL: JOURNAL,
        },
        timeout: 60_000,
      },
      (error, stdout, stderr) => {
        const code = error && typeof error.code === 'number' ? error.code : error ? -1 : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe.each(['two-region.yaml', 'three-region.yaml'])('vipctl drill on examples/%s', (file) => {
  const config = join(ROOT, 'examples', file);
  let local: LocalAws;
  beforeAll(async () => {
    ensureBuilt();
    local = await startLocalAws({ topology: await loadTopology(config), active: 'server-a', port: 0 });
  });
  afterAll(async () => {
    await local?.close();
  });

  it('--to all is READY for every node, and every route of every table is byte-identical', async () => {
    const before = JSON.stringify(local.world.allRoutes());
    const result = await vipctl(local, config, ['drill', '--to', 'all', '--json']);

    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({ ready: true, exitCode: 0 });
    expect(report.drills.map((d: { target: string; status: string }) => [d.target, d.status])).toEqual([
      ['server-a', 'READY'],
      ['server-b', 'READY'],
    ]);
    expect(report.drills[0].run.name).toMatch(/^drill-server-a-\d{8}T\d{9}$/);
    expect(JSON.stringify(local.world.allRoutes())).toBe(before);
  });
});

describe('vipctl drill, not ready and bad input', () => {
  const config = join(ROOT, 'examples', 'two-region.yaml');
  let local: LocalAws;
  beforeAll(async () => {
    ensureBuilt();
    local = await startLocalAws({ topology: await loadTopology(config), active: 'server-a', port: 0 });
  });
  afterAll(async () => {
    await local?.close();
  });

  it('prints a readiness table and every reason, and exits 1, when the standby is stopped', async () => {
    const instance = local.world.region('ap-southeast-1').instances['i-0b8d3f5a7c9e2b4d6']!;
    instance.state = 'stopped';
    try {
      const result = await vipctl(local, config, ['drill', '--to', 'all']);
      expect(result.code, result.stderr).toBe(1);
      expect(result.stdout).toMatch(/NODE\s+REGION\s+READINESS/);
      expect(result.stdout).toMatch(/server-a\s+us-east-1\s+READY/);
      expect(result.stdout).toMatch(/server-b\s+ap-southeast-1\s+NOT READY/);
      expect(result.stdout).toContain(
        '  - precondition: instance i-0b8d3f5a7c9e2b4d6 of server-b: state stopped, not running (start it first)',
      );
    } finally {
      instance.state = 'running';
    }
  });

  it('exits 2 for a node the topology does not know', async () => {
    const result = await vipctl(local, config, ['drill', '--to', 'nobody']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('nobody');
  });

  it('marks drills in runs and show, and runs --no-drills leaves them out', async () => {
    await vipctl(local, config, ['drill', '--to', 'server-b']);
    const runs = JSON.parse((await vipctl(local, config, ['runs', '--json', '--limit', '50'])).stdout);
    const drill = runs.runs.find((r: { name: string }) => r.name.startsWith('drill-server-b-'));
    expect(drill).toMatchObject({ mode: 'drill', target: 'server-b', outcome: 'READY' });
    const human = await vipctl(local, config, ['runs', '--limit', '50']);
    expect(human.stdout).toMatch(/drill-server-b-\S+\s+server-b \(drill\)\s+READY/);

    const noDrills = JSON.parse(
      (await vipctl(local, config, ['runs', '--json', '--limit', '50', '--no-drills'])).stdout,
    );
    expect(noDrills.runs.filter((r: { name: string }) => r.name.startsWith('drill-'))).toEqual([]);

    const show = await vipctl(local, config, ['show', drill.name]);
    expect(show.code).toBe(0);
    expect(show.stdout).toContain('a drill: every write was sent with DryRun, nothing was changed');
    expect(JSON.parse((await vipctl(local, config, ['show', drill.name, '--json'])).stdout).run.drill).toBe(
      true,
    );
  });
});
