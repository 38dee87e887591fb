/**
 * vipctl as users run it: the built CLI as a child process, against local AWS started in this test
 * process on a free port. Every call goes to 127.0.0.1 with dummy credentials.
 */

import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localEnvironment } from '../../local/client-env';
import { type LocalAws, startLocalAws } from '../../local/server';
import { loadTopology } from '../../tasks/topology';
import {
  fetchWorld,
  nonVipChanges,
  type RawWorld,
  readTopologyFile,
  unreachedFrom,
} from '../oracle/route-walker';
import { ensureBuilt } from './local-harness';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = `${ROOT}bin/vipctl.mjs`;
const CONFIG = fileURLToPath(new URL('../cli/fixtures/two-region.yaml', import.meta.url));

interface Result {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

let local: LocalAws;
/** Never the machine's journal of direct runs. */
const JOURNAL = mkdtempSync(join(tmpdir(), 'vipctl-journal-'));
/** The raw world as seeded, before any run. */
let seeded: RawWorld;
const walkTopology = readTopologyFile(CONFIG);

/**
 * The reference oracle (test/oracle): problems on the way from every listed table to `node`, plus
 * every non-VIP route that differs from the seeded world. Empty when the world is right.
 */
async function wrongFor(node: string): Promise<string[]> {
  const world = await fetchWorld(local.url);
  return [...unreachedFrom(world, walkTopology, node), ...nonVipChanges(seeded, world, walkTopology.vips)];
}

function vipctl(args: readonly string[], env: Record<string, string> = {}): Promise<Result> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, '--config', CONFIG, ...args],
      {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH ?? '',
          ...localEnvironment(local.url),
          VIPCTL_JOURNAL: JOURNAL,
          AWS_REGION: 'us-east-1',
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
          ...env,
        },
        timeout: 270_000,
      },
      (error, stdout, stderr) => {
        const code = error && typeof error.code === 'number' ? error.code : error ? -1 : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const json = (result: Result) => JSON.parse(result.stdout);

beforeAll(async () => {
  ensureBuilt();
  local = await startLocalAws({ topology: await loadTopology(CONFIG), active: 'server-a', port: 0 });
  seeded = await fetchWorld(local.url);
});

afterAll(async () => {
  await local?.close();
});

describe('vipctl against local AWS', () => {
  it('status shows every VIP route leading to the seeded node', async () => {
    const result = await vipctl(['status', '--json']);

    expect(result.code).toBe(0);
    const status = json(result);
    expect(status.node).toBe('server-a');
    expect(status.routes).toHaveLength(6);
    expect(status.trace.converged).toBe(true);
    expect(await wrongFor('server-a')).toEqual([]);
  });

  it('check exits 0 for the active node and 1 for the other one', async () => {
    expect(await wrongFor('server-a')).toEqual([]);
    expect((await vipctl(['check', '--active', 'server-a'])).code).toBe(0);
    const other = await vipctl(['check', '--active', 'server-b']);
    expect(other.code).toBe(1);
    expect(other.stdout).toContain('not converged on server-b');
  });

  it('plan lists the changes and writes nothing', async () => {
    const plan = await vipctl(['plan', '--to', 'server-b', '--json']);

    expect(plan.code).toBe(0);
    expect(json(plan).changes).toHaveLength(6);
    expect(await fetchWorld(local.url)).toEqual(seeded);
  });

  it('status --format mermaid draws the cluster', async () => {
    const result = await vipctl(['status', '--format', 'mermaid']);

    expect(result.code).toBe(0);
    expect(result.stdout).toContain('flowchart LR');
    expect(result.stdout).toContain('vpc_vpc_a ==>|172.16.0.1/32| node_server_a');
  });

  it('failover moves every route, prints the steps, and check agrees afterwards', async () => {
    const result = await vipctl(['failover', '--to', 'server-b', '--reason', 'e2e']);

    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^Plan\s+6 changes, 0 unchanged\s+\d+/m);
    expect(result.stdout).toContain('SUCCEEDED');
    expect(await wrongFor('server-b')).toEqual([]);
    expect((await vipctl(['check', '--active', 'server-b'])).code).toBe(0);
  });

  it('failover --json to a node that is already active succeeds without changes', async () => {
    const before = await fetchWorld(local.url);
    const result = await vipctl(['failover', '--to', 'server-b', '--json']);

    expect(result.code).toBe(0);
    expect(await fetchWorld(local.url)).toEqual(before);
    const report = json(result);
    expect(report).toMatchObject({ status: 'SUCCEEDED', target: 'server-b', exitCode: 0 });
    expect(report.changes.every((c: { result: string }) => c.result !== 'applied')).toBe(true);
  });

  it('runs lists the runs newest first, and show --last gives the newest one', async () => {
    const runs = json(await vipctl(['runs', '--json'])).runs as {
      name: string;
      target: string;
      status: string;
    }[];
    expect(runs.length).toBeGreaterThanOrEqual(2);
    expect(runs.every((r) => r.status === 'SUCCEEDED' && r.target === 'server-b')).toBe(true);

    const show = await vipctl(['show', '--last', '--json']);
    expect(show.code).toBe(0);
    const shown = json(show);
    expect(shown.run.name).toBe(runs[0]?.name);
    expect(shown.steps.map((s: { name: string }) => s.name)).toContain('Plan');
    expect(shown.snapshot).toHaveLength(6);

    const human = await vipctl(['show', runs[1]?.name ?? '']);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('snapshot (VIP routes before the run):');
  });

  it('rollback of the first failover restores server-a', async () => {
    const runs = json(await vipctl(['runs', '--json'])).runs as { name: string }[];
    const first = runs[runs.length - 1]?.name ?? '';

    const result = await vipctl(['rollback', first, '--yes', '--json']);

    expect(result.code, result.stderr).toBe(0);
    expect(json(result)).toMatchObject({ status: 'SUCCEEDED', target: 'server-a' });
    expect(await wrongFor('server-a')).toEqual([]);
    expect(await fetchWorld(local.url)).toEqual(seeded);
  });

  it('failover --to self resolves the node through instance metadata', async () => {
    local.imds.setSelf('server-b');

    const result = await vipctl(['failover', '--to', 'self', '--no-wait', '--json']);

    expect(result.code).toBe(0);
    expect(json(result)).toMatchObject({ status: 'STARTED', target: 'server-b' });
  });

  it('show rejects a malformed run id with exit 2', async () => {
    const result = await vipctl(['show', 'bad/id']);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain("'bad/id' is not a run id");
  });

  it('policy --node prints a policy for the cluster state machines', async () => {
    const result = await vipctl(['policy', '--node']);

    expect(result.code).toBe(0);
    expect(result.stdout).toContain('vip-failover-orders-db');
  });

  it('check exits 4 when no region can be reached, and never reports a wrong route', async () => {
    local.models.setOutage('us-east-1', true);
    local.models.setOutage('ap-southeast-1', true);
    try {
      const result = await vipctl(['check', '--active', 'server-a']);
      expect(result.code).toBe(4);
      expect(result.stdout).not.toContain('not converged');
    } finally {
      local.models.setOutage('us-east-1', false);
      local.models.setOutage('ap-southeast-1', false);
    }
  });
});

describe('the built CLI', () => {
  /** The dist/ files a vipctl process loads, traced by a module resolve hook, and the packages each holds. */
  const loaded = async (args: string[]) => {
    const run = await new Promise<Result>((resolve) =>
      execFile(
        process.execPath,
        ['--import', `${ROOT}bench/module-log.mjs`, BIN, '--config', CONFIG, ...args],
        {
          cwd: ROOT,
          env: { PATH: process.env.PATH ?? '', ...localEnvironment(local.url), VIPCTL_JOURNAL: JOURNAL },
        },
        (error, stdout, stderr) => resolve({ code: error ? 1 : 0, stdout, stderr }),
      ),
    );
    // Written by esbuild's metafile at build time: output file -> the npm packages bundled into it.
    const packagesOf = JSON.parse(readFileSync(`${ROOT}dist/chunk-packages.json`, 'utf8')) as Record<
      string,
      string[]
    >;
    const files = [...run.stderr.matchAll(/^\[module\] file:\/\/.*?\/dist\/(\S+)$/gm)].map((m) => m[1] ?? '');
    const packages = new Set(files.flatMap((file) => packagesOf[file] ?? []));
    const fromNodeModules = [...run.stderr.matchAll(/node_modules\/((?:@[^/]+\/)?[^/]+)\//g)].map(
      (m) => m[1] ?? '',
    );
    return { run, files, packages: [...packages, ...fromNodeModules].sort() };
  };

  it('loads no AWS SDK for --help: no chunk it loads holds an @aws-sdk or @smithy package', async () => {
    const help = await loaded(['--help']);
    expect(help.run.code).toBe(0);
    expect(help.run.stdout).toContain('failover');
    expect(help.files).toContain('vipctl.mjs');
    expect(help.packages.filter((name) => /^@(aws-sdk|smithy)\//.test(name))).toEqual([]);
  });

  it('traces the SDK where a command needs it (the control of the test above): check loads the EC2 client', async () => {
    const check = await loaded(['check', '--active', 'server-a']);
    // Whichever node the earlier tests left active: the check reads EC2 in both cases.
    expect(check.run.stdout).toMatch(/server-[ab]/);
    expect(check.packages).toContain('@aws-sdk/client-ec2');
  });
});
