/**
 * `--last` after a drill: the readiness schedule starts a drill every 30 minutes per node, so the
 * newest run is nearly always one. `rollback --last` and `show --last` mean the newest run that changed
 * or could change routes, never a drill, and a drill named outright is refused. Checked on the world
 * (the reference walker), not on messages alone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localEnvironment } from '../../local/client-env';
import { type LocalAws, startLocalAws } from '../../local/server';
import { loadTopology } from '../../tasks/topology';
import { fetchWorld, readTopologyFile, unreachedFrom } from '../oracle/route-walker';
import { cleanEnv, EXAMPLE, ensureBuilt, vipctl as runVipctl } from './local-harness';

const walkTopology = readTopologyFile(EXAMPLE);
let local: LocalAws;

beforeAll(async () => {
  ensureBuilt();
  local = await startLocalAws({ topology: await loadTopology(EXAMPLE), active: 'server-a', port: 0 });
});
afterAll(async () => {
  await local?.close();
});

/** The built vipctl against this file's local AWS, as a cluster node runs it. */
const vipctl = (args: readonly string[]) =>
  runVipctl(
    ['--config', EXAMPLE, ...args],
    cleanEnv({ ...localEnvironment(local.url), AWS_REGION: 'us-east-1' }),
  );

const activeIs = async (node: string) => unreachedFrom(await fetchWorld(local.url), walkTopology, node);

describe('--last after a drill', () => {
  let failoverName = '';
  let drillName = '';

  it('failover to server-b, then a drill to server-a', async () => {
    const failover = await vipctl(['failover', '--to', 'server-b', '--json']);
    expect(failover.code, failover.stderr).toBe(0);
    const drill = await vipctl(['drill', '--to', 'server-a']);
    expect(drill.code, drill.stdout + drill.stderr).toBe(0);
    const runs = await vipctl(['runs', '--json']);
    const listed = JSON.parse(runs.stdout) as { runs: { name: string }[] };
    drillName = listed.runs[0]!.name;

    expect(drillName).toMatch(/^drill-server-a-/);
    expect(listed.runs[1]!.name).toMatch(/^server-b-/);
    failoverName = listed.runs[1]!.name;
    expect(await activeIs('server-b')).toEqual([]);
  });

  it('show --last shows the failover, not the drill', async () => {
    const shown = await vipctl(['show', '--last', '--json']);

    expect(shown.code, shown.stderr).toBe(0);
    expect(JSON.parse(shown.stdout).run.name).toBe(failoverName);
  });

  it('rollback of the drill by name is refused (exit 2), naming the run it could have meant, and writes nothing', async () => {
    const before = await fetchWorld(local.url);
    const refused = await vipctl(['rollback', drillName, '--yes']);

    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`run ${drillName} is a drill`);
    expect(refused.stderr).toContain(`vipctl rollback ${failoverName}`);
    expect(await fetchWorld(local.url)).toEqual(before);
  });

  it("rollback --last restores the failover's snapshot: server-a is active again", async () => {
    const rollback = await vipctl(['rollback', '--last', '--yes']);

    expect(rollback.code, rollback.stdout + rollback.stderr).toBe(0);
    expect(rollback.stdout).toContain(`rollback of ${failoverName}`);
    expect(await activeIs('server-a')).toEqual([]);
  });
});
