/**
 * `vipctl probe`: packets, not routes. From every client namespace of a local AWS data plane
 * (`vipctl local --data-plane`), UDP datagrams to every VIP at a steady rate; per client and VIP, what
 * came back: answered and by which node, looped, unreachable, lost, the longest gap, and when each
 * node first answered.
 */
import { z } from 'zod';
import { usageError } from '../core/cli-error';
import type { CommandContext } from '../core/context';
import { ExitCode } from '../core/exit-codes';
import { table } from '../render/text';

export interface ProbeCommandOptions {
  readonly rate: number;
  readonly duration?: number;
  readonly vip?: string[];
}

const DataPlaneView = z.object({
  namespaces: z.record(
    z.string(),
    z.object({
      netns: z.string(),
      role: z.enum(['node', 'client', 'vpc', 'tgw']),
      vpc: z.string(),
      address: z.string(),
    }),
  ),
});

export async function probeCommand(ctx: CommandContext, options: ProbeCommandOptions): Promise<number> {
  const endpoint = ctx.globals.endpointUrl ?? ctx.io.env.AWS_ENDPOINT_URL;
  if (!endpoint)
    throw usageError(
      'vipctl probe needs the local AWS that runs the data plane',
      'pass --endpoint-url http://127.0.0.1:<port> (of vipctl local --data-plane)',
    );
  const { loadConfig } = await import('../core/config');
  const topology = await loadConfig(ctx);
  const vips = options.vip ?? topology.vips;
  const unknown = vips.filter((v) => !topology.vips.includes(v));
  if (unknown.length > 0)
    throw usageError(
      `--vip ${unknown.join(', ')}: not a VIP of ${topology.cluster}`,
      `one of ${topology.vips.join(', ')}`,
    );

  let view: z.infer<typeof DataPlaneView>;
  try {
    const response = await fetch(`${endpoint.replace(/\/$/, '')}/_local/data-plane`);
    const body: unknown = await response.json();
    if (!response.ok)
      throw usageError(
        `${endpoint} has no data plane`,
        'start local AWS with vipctl local --data-plane (as root)',
      );
    view = DataPlaneView.parse(body);
  } catch (error) {
    if (error instanceof Error && error.name === 'CliError') throw error;
    throw usageError(
      `cannot read ${endpoint}/_local/data-plane: ${String(error)}`,
      'is vipctl local --data-plane running there?',
    );
  }
  const clients = Object.entries(view.namespaces)
    .filter(([, n]) => n.role === 'client')
    .map(([key, n]) => ({ key, netns: n.netns, vpc: n.vpc }));

  const { startProbe } = await import('../../local/data-plane/probe');
  const probe = startProbe({
    clients,
    vips,
    rate: options.rate,
    ...(options.duration === undefined ? {} : { durationMs: options.duration * 1000 }),
  });
  await probe.started;
  ctx.note(
    `probing ${vips.join(', ')} from ${clients.length} clients at ${options.rate}/s each${options.duration === undefined ? ' until Ctrl-C' : ` for ${options.duration} s`}`,
  );
  let results: Awaited<ReturnType<typeof probe.stop>>;
  if (options.duration === undefined && ctx.io.untilSignal) {
    await ctx.io.untilSignal();
    results = await probe.stop();
  } else results = await probe.done;

  const rows = clients.flatMap((client) =>
    vips.map((vip) => {
      const seen = results[client.key]!.vips[vip]!;
      return { client: client.key, vpc: client.vpc, vip, ...seen };
    }),
  );
  if (ctx.globals.json) {
    ctx.printJson({ rate: options.rate, clients: rows });
    return ExitCode.Ok;
  }
  const started = Math.min(...Object.values(results).map((r) => r.startedAt));
  ctx.print(
    table(
      [
        'CLIENT',
        'VIP',
        'SENT',
        'ANSWERED',
        'BY NODE',
        'LOST',
        'LOOPED',
        'UNREACHABLE',
        'LONGEST GAP',
        'FIRST ANSWER',
      ],
      rows.map((r) => [
        r.client,
        r.vip,
        String(r.sent),
        String(r.answered),
        Object.entries(r.byNode)
          .map(([node, n]) => `${node} ${n}`)
          .join(', ') || '-',
        String(r.lost),
        String(r.looped),
        String(r.unreachable),
        `${Math.round(r.longestGapMs)} ms`,
        Object.entries(r.firstAnswerAt)
          .map(([node, at]) => `${node} +${Math.round(at - started)} ms`)
          .join(', ') || '-',
      ]),
    ),
  );
  return ExitCode.Ok;
}
