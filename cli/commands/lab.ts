/**
 * `vipctl lab run --scenario kill-active [--runs N] [--json]` (root): local AWS with its data plane, a
 * real corosync + Pacemaker cluster in the nodes' namespaces (lab/), and the scenario played with a
 * probe running, N times on a fresh lab each; per client VPC, whether and when clients were answered by
 * the survivor, and the split of that time. Everything it made is removed at the end.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LabAgent } from '../../lab/cluster';
import { packageRoot, startCliLocalAws } from '../aws/local-aws';
import { usageError } from '../core/cli-error';
import { loadConfig } from '../core/config';
import type { CommandContext } from '../core/context';
import { ExitCode } from '../core/exit-codes';
import { table } from '../render/text';

export interface LabRunOptions {
  readonly scenario: string;
  readonly runs: number;
  readonly agent: LabAgent;
}

const NEEDED = ['corosync', 'pacemakerd', 'crm_mon', 'cibadmin', 'crm_resource', 'unshare'];

export async function labRunCommand(ctx: CommandContext, options: LabRunOptions): Promise<number> {
  if (options.scenario !== 'kill-active')
    throw usageError(`--scenario ${options.scenario} is not played yet`, 'use --scenario kill-active');
  const { dataPlaneMissing, run } = await import('../../local/data-plane/netns');
  const missing = dataPlaneMissing();
  if (missing) throw usageError(`vipctl lab: ${missing}`, 'nothing was changed on this machine');
  for (const command of NEEDED)
    if ((await run('sh', ['-c', `command -v ${command}`])).code !== 0)
      throw usageError(`vipctl lab needs ${command}`, 'npm run setup:system installs corosync and pacemaker');
  const topology = await loadConfig(ctx);
  if (Object.keys(topology.nodes).length !== 2)
    throw usageError(
      'the lab runs a two-node cluster',
      `${ctx.globals.config} has ${Object.keys(topology.nodes).length} nodes`,
    );
  const [{ Lab }, { killActive }] = await Promise.all([
    import('../../lab/cluster'),
    import('../../lab/kill-active'),
  ]);
  const root = packageRoot();

  const runs = [];
  for (let i = 0; i < options.runs; i += 1) {
    ctx.note(`lab: run ${i + 1}/${options.runs}: starting local AWS, its data plane and the cluster`);
    const aws = await startCliLocalAws({ topology, port: 0, dataPlane: {} });
    try {
      const lab = await Lab.start({
        topology,
        config: ctx.globals.config,
        aws,
        dir: mkdtempSync(join(tmpdir(), 'vipctl-lab-')),
        vipctl: join(root, 'bin', 'vipctl.mjs'),
        ocfAgent: join(root, 'examples', 'pacemaker', 'vipctl'),
        agent: options.agent,
      });
      try {
        ctx.note(`lab: the group runs on ${await lab.activeNode()}; killing it`);
        runs.push(await killActive(lab, aws));
      } finally {
        await lab.close();
      }
    } finally {
      await aws.close();
    }
  }

  ctx.printJson({ scenario: options.scenario, agent: options.agent, runs });
  for (const [i, r] of runs.entries()) {
    ctx.print(
      `run ${i + 1}: ${r.from} killed, ${r.to} took over; detection ${ms(r.split.detectionMs)}, Pacemaker ${ms(r.split.pacemakerMs)}, ${options.agent} ${ms(r.split.agentMs)}, first packet ${ms(r.split.firstPacketMs)} after the run ended`,
    );
    ctx.print(
      table(
        ['CLIENT VPC', 'RECOVERED', 'ANSWERED BY', 'BACK AFTER THE KILL', 'LOOPED'],
        Object.entries(r.clients).map(([vpc, c]) => [
          vpc,
          c.recovered ? 'yes' : 'NO',
          c.answeredBy ?? '-',
          c.interruptionMs === null ? '-' : `${c.interruptionMs} ms`,
          String(c.looped),
        ]),
      ),
    );
  }
  return runs.every((r) => Object.values(r.clients).every((c) => c.recovered && c.looped === 0))
    ? ExitCode.Ok
    : ExitCode.Failed;
}

function ms(value: number | null): string {
  return value === null ? '-' : `${value} ms`;
}
