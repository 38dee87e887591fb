/**
 * Probes: from client namespaces, UDP datagrams to every VIP at a steady rate, answered by the node
 * responders; what each client saw, per VIP: sent, answered (by which node), looped (ICMP time
 * exceeded), unreachable (ICMP destination unreachable), lost, the longest gap without an answer, and
 * when each node first and last answered. The sender is programs.ts's PROBE, one per client namespace.
 */
import { spawn } from 'node:child_process';
import { z } from 'zod';
import { inNamespace } from './netns';
import { PROBE, RESPONDER_PORT } from './programs';

export const VipObservation = z.object({
  sent: z.number(),
  answered: z.number(),
  byNode: z.record(z.string(), z.number()),
  looped: z.number(),
  unreachable: z.number(),
  lost: z.number(),
  longestGapMs: z.number(),
  /** Epoch ms of each node's first answer. */
  firstAnswerAt: z.record(z.string(), z.number()),
  lastAnswerAt: z.record(z.string(), z.number()),
  firstLoopAt: z.number().nullable(),
  lastLoopAt: z.number().nullable(),
});
export type VipObservation = z.infer<typeof VipObservation>;

export const ClientObservation = z.object({
  startedAt: z.number(),
  endedAt: z.number(),
  vips: z.record(z.string(), VipObservation),
});
export type ClientObservation = z.infer<typeof ClientObservation>;

export interface ProbeTarget {
  /** The client's key (`client-vpc-a`). */
  readonly key: string;
  readonly netns: string;
}

export interface ProbeOptions {
  readonly clients: readonly ProbeTarget[];
  readonly vips: readonly string[];
  /** Datagrams per second per client and VIP. @default 100 */
  readonly rate?: number;
  /** Stop by itself after this long; otherwise `stop()` ends it. @default until stopped */
  readonly durationMs?: number;
  /** How long answers in flight are waited for after the last datagram. @default 300 */
  readonly graceMs?: number;
}

export interface RunningProbe {
  /** Resolves once every client sends (its first datagram is on its way). */
  readonly started: Promise<void>;
  /** Stops sending (if still running) and resolves with what each client saw. */
  stop(): Promise<Record<string, ClientObservation>>;
  /** Resolves when every client has finished by itself (durationMs). */
  readonly done: Promise<Record<string, ClientObservation>>;
}

export function startProbe(options: ProbeOptions): RunningProbe {
  const config = JSON.stringify({
    vips: options.vips,
    rate: options.rate ?? 100,
    durationMs: options.durationMs ?? null,
    port: RESPONDER_PORT,
    graceMs: options.graceMs ?? 300,
  });
  const runs = options.clients.map((client) => {
    const [command, args] = inNamespace(client.netns, ['python3', '-c', PROBE, config]);
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let markStarted: () => void = () => {};
    const started = new Promise<void>((resolve) => {
      markStarted = resolve;
    });
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.includes('\n')) markStarted();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const result = new Promise<ClientObservation>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code) => {
        markStarted();
        const last = stdout.trim().split('\n').at(-1) ?? '';
        const parsed = code === 0 ? ClientObservation.safeParse(safeJson(last)) : undefined;
        if (parsed?.success) resolve(parsed.data);
        else
          reject(
            new Error(
              `the probe in ${client.netns} (${client.key}) ended with ${code}: ${stderr.trim() || last}`,
            ),
          );
      });
    });
    return { client, child, started, result };
  });
  const collect = async () =>
    Object.fromEntries(await Promise.all(runs.map(async (r) => [r.client.key, await r.result] as const)));
  const done = collect();
  done.catch(() => {});
  return {
    started: Promise.all(runs.map((r) => r.started)).then(() => {}),
    async stop() {
      for (const r of runs) r.child.stdin.end();
      return done;
    },
    done,
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Whole-run figures of one client and VIP, for tables and assertions. */
export function summarize(observation: VipObservation): {
  answeredShare: number;
  nodes: string[];
} {
  return {
    answeredShare: observation.sent === 0 ? 0 : observation.answered / observation.sent,
    nodes: Object.keys(observation.byNode).sort(),
  };
}
