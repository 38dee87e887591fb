/** Runs vipctl in-process with captured output, a fixed clock and a route reader that returns a given world. */

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CliDeps } from '../../cli/core/context';
import type { InterfaceLister } from '../../cli/core/host-addresses';
import { run } from '../../cli/program';
import type { RunOutput } from '../../tasks/contracts';
import { desiredRoutes } from '../../tasks/routing';
import { parseTopology, type Topology } from '../../tasks/topology';
import type { Observation } from '../../tasks/world';

export const FIXTURE = fileURLToPath(new URL('./fixtures/two-region.yaml', import.meta.url));
export const topology: Topology = parseTopology(readFileSync(FIXTURE, 'utf8'), FIXTURE);
export const ACCOUNT = '123456789012';
/** A journal directory that stays empty unless a test writes direct runs into it. */
const EMPTY_JOURNAL = mkdtempSync(join(tmpdir(), 'vipctl-journal-'));
export const NOW = new Date('2026-11-25T12:03:56.123Z');
/**
 * Seconds a test's metadata request may take (AWS_METADATA_SERVICE_TIMEOUT). The default 1 s covers
 * the first fetch's start-up (Node loads its HTTP client then), which alone can take longer than that
 * on two loaded cores: the test metadata servers answer at once, so only a hang would wait this long.
 */
export const METADATA_TIMEOUT = '60';
export const SM = (region: string) =>
  `arn:aws:states:${region}:${ACCOUNT}:stateMachine:vip-failover-orders-db`;
export const EXEC = (region: string, name: string) =>
  `arn:aws:states:${region}:${ACCOUNT}:execution:vip-failover-orders-db:${name}`;

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface HarnessOptions {
  readonly world?: Observation | (() => Promise<Observation>);
  readonly env?: Record<string, string | undefined>;
  readonly isTTY?: boolean;
  readonly confirm?: (question: string) => Promise<boolean>;
  readonly config?: string | null;
  /** Milliseconds the clock moves on every read (to reach a --timeout). */
  readonly tickMs?: number;
  /** This host's network interfaces (`check --active self`). @default the real host's */
  readonly interfaces?: InterfaceLister;
  /** Receives every delay the CLI sleeps (sleeps are instant). */
  readonly sleeps?: number[];
}

export async function vipctl(argv: readonly string[], options: HarnessOptions = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  let now = NOW.getTime();
  const world = options.world;
  const deps: Partial<CliDeps> = {
    now: () => {
      const at = new Date(now);
      now += options.tickMs ?? 0;
      return at;
    },
    sleep: async (ms: number) => {
      options.sleeps?.push(ms);
    },
    requestedBy: 'test',
    ...(options.interfaces ? { networkInterfaces: options.interfaces } : {}),
    ...(world ? { readWorld: async () => (typeof world === 'function' ? world() : world) } : {}),
  };
  const config = options.config === undefined ? FIXTURE : options.config;
  const code = await run(
    [...(config === null ? [] : ['--config', config]), ...argv],
    {
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { write: (s: string) => (stderr += s) },
      isTTY: options.isTTY ?? false,
      // Never the machine's own journal of direct runs (/var/lib/...): runs would list its records.
      env: {
        VIPCTL_JOURNAL: EMPTY_JOURNAL,
        AWS_METADATA_SERVICE_TIMEOUT: METADATA_TIMEOUT,
        ...(options.env ?? {}),
      },
      cwd: process.cwd(),
      ...(options.confirm ? { confirm: options.confirm } : {}),
    },
    deps,
  );
  return { code, stdout, stderr };
}

/** What AWS shows when every VIP route leads to `active` and every resource is healthy. */
export function worldFor(active: string, t: Topology = topology): Observation {
  const attachments: Record<string, string> = {};
  for (const vpc of Object.values(t.vpcs)) attachments[vpc.attachment] = 'available';
  for (const p of t.peerings) attachments[p.attachment] = 'available';
  const networkInterfaces: Observation['health']['networkInterfaces'] = {};
  const instances: Observation['health']['instances'] = {};
  for (const node of Object.values(t.nodes)) {
    networkInterfaces[node.eni] = { status: 'in-use', instance: node.instance };
    instances[node.instance] = { state: 'running', sourceDestCheck: false };
  }
  return {
    routes: desiredRoutes(t, active).map((r) => ({
      table: r.table,
      vip: r.vip,
      target: r.target,
      state: 'active',
    })),
    health: { attachments, networkInterfaces, instances },
    unreachable: [],
  };
}

/** A valid execution output for a run to `target`. */
export function runOutput(target: string, status: 'SUCCEEDED' | 'DEGRADED' = 'SUCCEEDED'): RunOutput {
  return {
    status,
    mode: 'failover',
    target,
    request: { target, requestedAt: NOW.toISOString() },
    changes: [
      {
        table: 'rtb-0b2e4a6c8d1f3b5e7',
        kind: 'vpc',
        region: 'ap-southeast-1',
        vip: '172.16.0.1/32',
        step: 'local-vpc',
        previous: 'tgw-0b9c8d7e6f5a4b3c2',
        target: 'eni-0b2e4a6c8f1d3b5e7',
        result: 'applied',
        action: 'replace',
        attempts: 1,
      },
    ],
    snapshot: [],
    skipped: [],
    trace: { node: target, converged: true, starts: [], health: [] },
    unreached:
      status === 'DEGRADED'
        ? [{ table: 'rtb-0a1c3e5f7b9d2a4c6', region: 'us-east-1', vip: '172.16.0.1/32' }]
        : [],
    timings: {},
    summary: { routes: 1, applied: 1, alreadyRight: 0, failed: 0, unreachable: 0 },
  };
}

/** A network failure as the SDK surfaces it when nothing listens. */
export function connectionRefused(): Error {
  return Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
}

/** A named AWS error as the SDK surfaces it. */
export function awsError(name: string, message = name): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 400 } });
}
