/**
 * The data plane's commands as users run them (the built vipctl): `demo --data-plane` shows packets
 * moving from server-a to server-b, and without root `local --data-plane` and `demo --data-plane`
 * refuse with exit 2 and leave no namespace behind.
 */
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { describe, expect } from 'vitest';
import { BIN, EXAMPLE, ensureBuilt, ROOT } from '../e2e/local-harness';
import { commands, itRequires, netns, root } from '../support/requirements';

const it = itRequires([root(), netns(), commands(['python3', 'runuser'], ['python3', 'util-linux'])]);

function run(
  command: string,
  args: readonly string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      command,
      [...args],
      {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH ?? '',
          AWS_EC2_METADATA_DISABLED: 'true',
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
          VIPCTL_JOURNAL: '/tmp',
        },
        timeout: 270_000,
      },
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }),
    );
  });
}

/** Data-plane namespaces whose owner process is gone (other test files' live ones are not counted). */
const leftovers = () => {
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  try {
    return readdirSync('/run/netns').filter((n) => {
      const owner = /^tvf-(\d+)-/.exec(n)?.[1];
      return owner !== undefined && !alive(Number(owner));
    });
  } catch {
    return [];
  }
};

describe('data plane commands', () => {
  it('demo --data-plane shows every client answered by server-a, then server-b during the failover, with no loop', async () => {
    ensureBuilt();
    const demo = await run(process.execPath, [BIN, 'demo', '--data-plane', '--no-color']);

    expect(demo.code, demo.stderr).toBe(0);
    // Before the failover: every datagram of the first second answered by server-a alone.
    for (const client of ['client-vpc-a', 'client-vpc-b']) {
      const before = new RegExp(`${client}: (\\d+) sent, answered by server-a (\\d+) \\(server-a first`).exec(
        demo.stdout,
      );
      expect(before, demo.stdout).not.toBeNull();
      expect(before![2]).toBe(before![1]);
    }
    const during = demo.stdout.slice(demo.stdout.indexOf('failover --to server-b'));
    expect(during).toMatch(/client-vpc-a: \d+ sent, answered by .*server-b first at .* 0 looped/);
    expect(during).toMatch(/client-vpc-b: \d+ sent, answered by .*server-b first at .* 0 looped/);
  });

  it('without root, local --data-plane and demo --data-plane refuse with exit 2 and make no namespace', async () => {
    ensureBuilt();
    for (const args of [
      ['--config', EXAMPLE, 'local', '--data-plane', '--port', '0'],
      ['demo', '--data-plane'],
    ]) {
      const refused = await run('runuser', ['-u', 'nobody', '--', process.execPath, BIN, ...args]);
      expect(refused.code, refused.stdout).toBe(2);
      expect(refused.stderr).toContain('--data-plane: the data plane needs root');
    }
    expect(leftovers()).toEqual([]);
  });
});
