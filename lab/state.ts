/**
 * A lab that outlives the command that started it (`vipctl lab up`): a detached `vipctl lab serve`
 * process owns local AWS, its data plane and the cluster, and records under {@link STATE_DIR} its pid
 * (as soon as it starts) and, once the group runs, the lab's state as JSON. `lab kill/move/status` read
 * that state; `lab down` (and a second `up`) stop the process and remove what a crashed one left:
 * its namespaces (by their prefix, which names the dead owner's pid) and every process in them.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { listNamespaces, removeLeftovers, removeNamespace } from '../local/data-plane/netns';
import type { LabState } from './cluster';

export const STATE_DIR = '/run/tgw-vip-failover/lab';
const PID_FILE = join(STATE_DIR, 'serve.pid');
const STATE_FILE = join(STATE_DIR, 'state.json');
export const LOG_FILE = join(STATE_DIR, 'serve.log');

export interface ServedLab extends LabState {
  /** The `lab serve` process that owns the lab. */
  readonly pid: number;
  readonly startedAt: string;
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function ensureStateDir(): void {
  mkdirSync(STATE_DIR, { recursive: true });
}

/** Called by `lab serve` first thing: its pid, so a crash while starting is found and removed. */
export function recordPid(): void {
  mkdirSync(STATE_DIR, { recursive: true });
  writeFileSync(PID_FILE, `${process.pid}\n`);
}

export function recordState(state: LabState): void {
  const served: ServedLab = { ...state, pid: process.pid, startedAt: new Date().toISOString() };
  writeFileSync(`${STATE_FILE}.tmp`, `${JSON.stringify(served, null, 2)}\n`);
  writeFileSync(STATE_FILE, readFileSync(`${STATE_FILE}.tmp`));
  rmSync(`${STATE_FILE}.tmp`, { force: true });
}

/** The running lab's state, or undefined when none is recorded or its process is gone. */
export function readState(): ServedLab | undefined {
  if (!existsSync(STATE_FILE)) return undefined;
  const state = JSON.parse(readFileSync(STATE_FILE, 'utf8')) as ServedLab;
  return alive(state.pid) ? state : undefined;
}

function recordedPid(): number | undefined {
  if (!existsSync(PID_FILE)) return undefined;
  const pid = Number(readFileSync(PID_FILE, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

export interface Removed {
  readonly stopped: number | undefined;
  readonly namespaces: string[];
}

/**
 * Stops the recorded `lab serve` (SIGTERM, then SIGKILL after `graceMs`) and removes what it leaves:
 * the namespaces named after its pid (with every process in them), those of any other dead data
 * plane, its lab directory and the state directory.
 */
export async function removeLab(graceMs = 60_000): Promise<Removed> {
  const pid = recordedPid();
  let dir: string | undefined;
  try {
    dir = (JSON.parse(readFileSync(STATE_FILE, 'utf8')) as ServedLab).dir;
  } catch {
    // no state recorded: the process died while starting, or there is no lab
  }
  let stopped: number | undefined;
  if (pid !== undefined && alive(pid)) {
    stopped = pid;
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + graceMs;
    while (alive(pid) && Date.now() < deadline) await sleep(200);
    if (alive(pid)) process.kill(pid, 'SIGKILL');
    while (alive(pid)) await sleep(100);
  }
  const namespaces: string[] = [];
  if (pid !== undefined)
    for (const name of listNamespaces())
      if (name.startsWith(`tvf-${pid}-`)) {
        removeNamespace(name);
        namespaces.push(name);
      }
  namespaces.push(...removeLeftovers());
  if (dir) rmSync(dir, { recursive: true, force: true });
  rmSync(STATE_DIR, { recursive: true, force: true });
  return { stopped, namespaces };
}
