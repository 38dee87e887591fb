/**
 * What every benchmark shares: local AWS started fresh per run (so each failover pays its cold start)
 * with the synthesized ASL cached per topology, a recorder of the requests it serves, and vipctl run
 * as a child process with its wall time.
 */

import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { localEnvironment } from '../local/client-env';
import { type LocalAws, type ModelPatch, startLocalAws } from '../local/index';
import type { Topology } from '../tasks/topology';
import { synthesizeAsl } from '../workflow/asl';
import { topologyYaml } from './topologies';

export const ROOT = fileURLToPath(new URL('../', import.meta.url));
export const RAW_DIR = `${ROOT}bench/results/raw/`;
/**
 * vipctl as built at the start of the run, copied out of dist/: other builds (the test suite rebuilds
 * dist/) must not swap the CLI under a benchmark. Same layout as bin/ + dist/, same node_modules.
 */
export const VIPCTL = `${RAW_DIR}cli/bin/vipctl.mjs`;

export function snapshotCli(): void {
  rmSync(`${RAW_DIR}cli`, { recursive: true, force: true });
  mkdirSync(`${RAW_DIR}cli/bin`, { recursive: true });
  cpSync(`${ROOT}dist`, `${RAW_DIR}cli/dist`, { recursive: true });
  writeFileSync(VIPCTL, "#!/usr/bin/env node\nimport '../dist/vipctl.mjs';\n");
}

/** Operations vipctl sends; everything else comes from the task function. */
const CLI_OPERATIONS = new Set(['StartExecution', 'DescribeExecution', 'GetExecutionHistory']);

/** One request as local AWS saw it: start from the latency model, end from the request log. */
export interface RequestEvent {
  readonly kind: 'start' | 'end';
  readonly at: number;
  /** Set on requests of the task function (they carry the origin-region header). */
  readonly fromTask: boolean;
  readonly label?: string;
}

export interface BenchAws {
  readonly local: LocalAws;
  readonly events: RequestEvent[];
  /** `performance.now()` of the log line `sfn <region> ... started <name>`, per execution name. */
  readonly startedAt: Map<string, number>;
  /** Forget the events and counters so far. */
  clear(): void;
  close(): Promise<void>;
}

const aslCache = new Map<string, Record<string, object>>();

export function writeConfig(topology: Topology): string {
  mkdirSync(RAW_DIR, { recursive: true });
  const path = `${RAW_DIR}${topology.cluster}.yaml`;
  writeFileSync(path, topologyYaml(topology));
  return path;
}

export async function startBenchAws(
  topology: Topology,
  models: ModelPatch,
  active: string | null = Object.keys(topology.nodes)[0] ?? null,
): Promise<BenchAws> {
  const events: RequestEvent[] = [];
  const startedAt = new Map<string, number>();
  const log = (line: string) => {
    const now = performance.now();
    const started = /^sfn \S+ \S+ started (\S+)$/.exec(line);
    if (started) {
      startedAt.set(started[1]!, now);
      return;
    }
    const request = /^\S+ (\S+) \d{3}/.exec(line);
    if (request && !line.startsWith('sfn ')) {
      const label = request[1]!;
      events.push({ kind: 'end', at: now, fromTask: !CLI_OPERATIONS.has(label), label });
    }
  };
  const cached = aslCache.get(topology.cluster);
  const local = await startLocalAws({
    topology,
    active,
    port: 0,
    log,
    sfn: {
      synthesize: (t) => {
        const asl = cached ?? synthesizeAsl(t);
        aslCache.set(topology.cluster, asl);
        return asl;
      },
    },
  });
  local.models.update(models);
  // The latency model is asked once per API request as it arrives (the TLS cost asks again inside).
  const models_ = local.models;
  const latency = models_.latencyMs.bind(models_);
  const tls = models_.tlsCostMs.bind(models_);
  let inTls = false;
  models_.latencyMs = (region, origin) => {
    if (!inTls) events.push({ kind: 'start', at: performance.now(), fromTask: origin !== undefined });
    return latency(region, origin);
  };
  models_.tlsCostMs = (region, origin) => {
    inTls = true;
    try {
      return tls(region, origin);
    } finally {
      inTls = false;
    }
  };
  return {
    local,
    events,
    startedAt,
    clear() {
      events.length = 0;
      startedAt.clear();
      local.models.resetStats();
    },
    close: () => local.close(),
  };
}

/**
 * Waves of the task function's requests: requests that start with no task request completing in
 * between belong to one wave; a request started after a completion depends on it, a new wave.
 */
export function wavesOf(events: readonly RequestEvent[], from = 0, to = Number.POSITIVE_INFINITY): number {
  let waves = 0;
  let open = false;
  for (const event of events) {
    if (!event.fromTask || event.at < from || event.at > to) continue;
    if (event.kind === 'start' && !open) {
      waves++;
      open = true;
    } else if (event.kind === 'end') open = false;
  }
  return waves;
}

export interface Spawned {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** performance.now() just before the spawn. */
  readonly startedAt: number;
  readonly wallMs: number;
}

export function awsEnv(url: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    ...localEnvironment(url),
    AWS_REGION: 'us-east-1',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...extra,
  };
}

/** Runs `command <args>` and times it from just before the spawn to the exit. */
export function spawnTimed(
  command: string,
  args: readonly string[],
  env: Record<string, string>,
  timeoutMs = 600_000,
): Promise<Spawned> {
  return new Promise((resolve, reject) => {
    const startedAt = performance.now();
    const child = spawn(command, args, { cwd: ROOT, env, timeout: timeoutMs });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({ code: code ?? -1, stdout, stderr, startedAt, wallMs: performance.now() - startedAt }),
    );
  });
}

/** Runs `node <args>` and times it from just before the spawn to the exit. */
export function spawnNode(
  args: readonly string[],
  env: Record<string, string>,
  timeoutMs = 600_000,
): Promise<Spawned> {
  return spawnTimed(process.execPath, args, env, timeoutMs);
}

export function vipctl(config: string, args: readonly string[], url: string): Promise<Spawned> {
  return spawnNode([VIPCTL, '--config', config, ...args], awsEnv(url));
}
