/**
 * Network namespaces of the data plane, through iproute2: names with a per-instance prefix, the
 * commands run in them, and the removal of what a dead instance left behind.
 *
 * A prefix is `tvf-<pid>-<n>-`: the owner's process ID lets a new start remove the namespaces of an
 * instance whose process is gone (a crash, a SIGKILL), and `<n>` keeps several instances of one process
 * (parallel tests) apart.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

const PREFIX = /^tvf-(\d+)-(\d+)-/;
let instances = 0;

/** A fresh prefix for this process. */
export function newPrefix(): string {
  instances += 1;
  return `tvf-${process.pid}-${instances}-`;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Every named network namespace on this machine (`ip netns list` keeps them in /run/netns). */
export function listNamespaces(): string[] {
  try {
    return readdirSync('/run/netns');
  } catch {
    return [];
  }
}

/** Kills what runs in a namespace and deletes it; quiet when it is already gone. */
export function removeNamespace(netns: string): void {
  const pids = spawnSync('ip', ['netns', 'pids', netns], { encoding: 'utf8' });
  for (const pid of (pids.stdout ?? '').split(/\s+/).filter(Boolean)) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // gone already
    }
  }
  spawnSync('ip', ['netns', 'delete', netns], { stdio: 'ignore' });
}

/** Removes the namespaces of data planes whose process is gone; returns their names. */
export function removeLeftovers(): string[] {
  const removed: string[] = [];
  for (const name of listNamespaces()) {
    const match = PREFIX.exec(name);
    if (!match || alive(Number(match[1]))) continue;
    removeNamespace(name);
    removed.push(name);
  }
  return removed;
}

export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command and collects its output; rejects only when it cannot start. */
export function run(command: string, args: readonly string[], input?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    // A command that exits without reading its input closes the pipe: that is not an error here.
    child.stdin.on('error', () => {});
    child.stdin.end(input ?? '');
  });
}

/** `ip [-6] -n <netns> -batch -` with `lines` (without -6, each line's family follows its addresses); throws naming the namespace and iproute2's message. */
export async function ipBatch(
  netns: string | undefined,
  lines: readonly string[],
  family?: '-6',
): Promise<void> {
  if (lines.length === 0) return;
  const args = [...(family ? [family] : []), ...(netns ? ['-n', netns] : []), '-batch', '-'];
  const result = await run('ip', args, `${lines.join('\n')}\n`);
  if (result.code !== 0)
    throw new Error(
      `ip ${args.join(' ')} failed in ${netns ?? 'the host namespace'}: ${result.stderr.trim()}\n${lines.join('\n')}`,
    );
}

/** A command inside a namespace: `ip netns exec <netns> ...`. */
export function inNamespace(netns: string, command: readonly string[]): [string, string[]] {
  return ['ip', ['netns', 'exec', netns, ...command]];
}

/** What is missing for the data plane on this machine, or undefined (root and iproute2 with netns). */
export function dataPlaneMissing(): string | undefined {
  if (process.platform !== 'linux') return 'the data plane needs Linux network namespaces';
  if (process.getuid?.() !== 0)
    return 'the data plane needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN) to make network namespaces: run it as root, e.g. with sudo';
  const ip = spawnSync('ip', ['-V'], { encoding: 'utf8' });
  if (ip.error) return 'the data plane needs iproute2 (`ip`): apt-get install iproute2';
  const python = spawnSync('python3', ['-c', 'pass'], { encoding: 'utf8' });
  if (python.error || python.status !== 0)
    return 'the data plane needs python3 for its responders and probes: apt-get install python3';
  return undefined;
}
