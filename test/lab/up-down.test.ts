/**
 * `vipctl lab up`, `status`, `kill` and `down` as an operator types them (the built CLI): between up
 * and down, an independent sender in a client namespace is answered by the node `crm_resource --locate`
 * names, before and after the active node is killed; down leaves no namespace of the lab.
 */
import { execFile } from 'node:child_process';
import { afterAll, describe, expect } from 'vitest';
import { listNamespaces } from '../../local/data-plane/netns';
import { BIN, EXAMPLE, ensureBuilt } from '../e2e/local-harness';
import { commands, itRequires, netns, root } from '../support/requirements';
import { askVip } from './ask-vip';

const it = itRequires([
  root(),
  netns(),
  commands(
    ['corosync', 'pacemakerd', 'crm_mon', 'cibadmin', 'crm_resource', 'python3', 'unshare'],
    ['corosync', 'pacemaker', 'python3'],
  ),
]);

function vipctl(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, '--config', EXAMPLE, ...args],
      { timeout: 400_000, env: { ...process.env, AWS_EC2_METADATA_DISABLED: 'true' } },
      (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

interface Status {
  endpoint: string;
  activeNode: string | null;
  nodes: Record<string, { netns: string; online: boolean }>;
  crmMon: string;
}

async function status(): Promise<Status> {
  const shown = await vipctl('lab', 'status', '--json');
  expect(shown.code, shown.stderr).toBe(0);
  return JSON.parse(shown.stdout) as Status;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 180_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

afterAll(async () => {
  await vipctl('lab', 'down');
});

describe('vipctl lab up, status, kill, down', () => {
  it('an independent sender sees the VIP answered where Pacemaker runs the group, before and after a kill', async () => {
    ensureBuilt();
    const up = await vipctl('lab', 'up');
    expect(up.code, up.stderr).toBe(0);
    const before = await status();
    expect(Object.keys(before.nodes).sort()).toEqual(['server-a', 'server-b']);
    expect(Object.values(before.nodes).every((n) => n.online)).toBe(true);
    const active = before.activeNode!;
    expect(Object.keys(before.nodes)).toContain(active);
    const plane = (await (await fetch(`${before.endpoint}/_local/data-plane`)).json()) as {
      namespaces: Record<string, { netns: string }>;
    };
    const client = plane.namespaces['client-vpc-b']!.netns;
    const vip = '172.16.0.1';
    expect(await askVip(client, vip), before.crmMon).toBe(active);

    const killed = await vipctl('lab', 'kill', active);
    expect(killed.code, killed.stderr).toBe(0);
    const survivor = Object.keys(before.nodes).find((n) => n !== active)!;
    const after = await until('the survivor to run the group', async () => {
      const s = await status();
      return s.activeNode === survivor && !s.nodes[active]!.online ? s : undefined;
    });
    expect(after.activeNode).toBe(survivor);
    await until('the survivor to answer', async () =>
      (await askVip(client, vip)) === survivor ? true : undefined,
    );
    expect(await askVip(client, vip)).toBe(survivor);

    const down = await vipctl('lab', 'down');
    expect(down.code, down.stderr).toBe(0);
    const left = listNamespaces().filter((n) => Object.values(plane.namespaces).some((p) => p.netns === n));
    expect(left).toEqual([]);
    expect((await vipctl('lab', 'status', '--json')).code).toBe(2);
  });
});
