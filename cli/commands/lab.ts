/**
 * `vipctl lab …` (root): local AWS with its data plane and a real corosync + Pacemaker cluster in the
 * nodes' namespaces (lab/).
 * - `lab run --scenario kill-active|move|kill-standby|partition [--runs N] [--agent A] [--json]`: the scenario played with a probe
 *   running, N times on a fresh lab each; per client VPC, whether and when clients were answered by the
 *   survivor, and the split of that time. Everything it made is removed at the end.
 * - `lab up [--agent A]` starts a lab in a detached `lab serve` process and returns once the group runs;
 *   `lab kill <node>`, `lab move <node>`, `lab status [--json]` act on it; `lab down` removes it (lab/state.ts).
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { GROUP, type LabAgent } from '../../lab/cluster';
import type { PartitionRun, Scenario, ScenarioRun } from '../../lab/scenarios';
import { packageRoot, startCliLocalAws } from '../aws/local-aws';
import { CliError, usageError } from '../core/cli-error';
import { loadConfig } from '../core/config';
import type { CommandContext } from '../core/context';
import { ExitCode } from '../core/exit-codes';
import { table } from '../render/text';

export interface LabRunOptions {
  readonly scenario: Scenario;
  readonly runs: number;
  readonly agent: LabAgent;
}

const NEEDED = ['corosync', 'pacemakerd', 'crm_mon', 'cibadmin', 'crm_resource', 'unshare', 'python3'];

/** Refuses (exit 2: what, and how to fix it) when not root or a package the lab needs is missing. */
async function refuseUnlessReady(agent: LabAgent): Promise<void> {
  const { dataPlaneMissing, run } = await import('../../local/data-plane/netns');
  const missing = dataPlaneMissing();
  if (missing) throw usageError(`vipctl lab: ${missing}`, 'nothing was changed on this machine');
  for (const command of agent === 'aws-vpc-move-ip' ? [...NEEDED, 'aws'] : NEEDED)
    if ((await run('sh', ['-c', `command -v ${command}`])).code !== 0)
      throw usageError(
        `vipctl lab needs ${command}, which is not on PATH`,
        'npm run setup:system installs corosync, pacemaker, resource-agents, python3 and awscli',
      );
  const { AWS_VPC_MOVE_IP } = await import('../../lab/cluster');
  if (agent === 'aws-vpc-move-ip' && !existsSync(AWS_VPC_MOVE_IP))
    throw usageError(`vipctl lab needs ${AWS_VPC_MOVE_IP}`, 'install resource-agents (npm run setup:system)');
}

export async function labRunCommand(ctx: CommandContext, options: LabRunOptions): Promise<number> {
  await refuseUnlessReady(options.agent);
  const topology = await loadConfig(ctx);
  if (Object.keys(topology.nodes).length !== 2)
    throw usageError(
      'the lab runs a two-node cluster',
      `${ctx.globals.config} has ${Object.keys(topology.nodes).length} nodes`,
    );
  const [{ Lab }, { killActive, killStandby, moveAndBack, partition }] = await Promise.all([
    import('../../lab/cluster'),
    import('../../lab/scenarios'),
  ]);
  const root = packageRoot();

  const runs: (ScenarioRun | PartitionRun)[] = [];
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
        ctx.note(`lab: the group runs on ${await lab.activeNode()}; playing ${options.scenario}`);
        if (options.scenario === 'move') runs.push(...(await moveAndBack(lab, aws)));
        else if (options.scenario === 'partition') runs.push(await partition(lab, aws));
        else runs.push(await (options.scenario === 'kill-standby' ? killStandby : killActive)(lab, aws));
      } finally {
        await lab.close();
      }
    } finally {
      await aws.close();
    }
  }

  ctx.printJson({ scenario: options.scenario, agent: options.agent, runs });
  for (const [i, r] of runs.entries()) {
    if ('splitBrain' in r) {
      const b = r.splitBrain;
      ctx.print(`run ${i + 1}: ${partitionSummary(r)}`);
      ctx.print(
        table(
          ['CLIENT VPC', 'ANSWERED DURING THE SPLIT', 'LOOPED'],
          Object.entries(b.answeredBy).map(([vpc, byNode]) => [
            vpc,
            Object.entries(byNode)
              .map(([node, n]) => `${node} ${n}`)
              .join(', ') || 'nobody',
            String(b.looped[vpc] ?? 0),
          ]),
        ),
      );
    } else
      ctx.print(
        `run ${i + 1}: ${options.scenario === 'kill-standby' ? `${r.from} (standby) killed, ${r.to} kept the group` : options.scenario === 'move' ? `moved from ${r.from} to ${r.to}` : `${r.from} killed, ${r.to} took over`}; detection ${ms(r.split.detectionMs)}, Pacemaker ${ms(r.split.pacemakerMs)}, ${options.agent} ${ms(r.split.agentMs)}, first packet ${ms(r.split.firstPacketMs)} after the run ended`,
      );
    ctx.print(
      table(
        ['CLIENT VPC', 'RECOVERED', 'ANSWERED BY', 'FIRST ANSWER AFTER', 'LONGEST GAP', 'LOST', 'LOOPED'],
        Object.entries(r.clients).map(([vpc, c]) => [
          vpc,
          c.recovered ? 'yes' : 'NO',
          c.answeredBy ?? '-',
          c.interruptionMs === null ? '-' : `${c.interruptionMs} ms`,
          `${c.packets.longestGapMs} ms`,
          `${c.packets.lost}/${c.packets.sent}`,
          String(c.looped),
        ]),
      ),
    );
  }
  return runs.every((r) => Object.values(r.clients).every((c) => c.recovered && c.looped === 0))
    ? ExitCode.Ok
    : ExitCode.Failed;
}

/** One partition run in a sentence: the split, who ran the group in it, the runs, and the keeper. */
function partitionSummary(r: PartitionRun): string {
  const b = r.splitBrain;
  const other = Object.keys(b.groupOn).find((n) => n !== r.from);
  const groupOn = Object.entries(b.groupOn)
    .map(([node, on]) => `${node} ran the group on ${on.join(', ') || 'no node'}`)
    .join(', ');
  const runs = b.failovers.join(' → ') || 'none';
  return `${r.from} and ${other} cut off from each other for ${b.heldMs} ms (each saw the other offline after ${b.detectionMs} ms); during the split ${groupOn}, and ${b.failovers.length} vipctl failover runs moved the routes (${runs}); after the heal Pacemaker kept the group on ${r.to ?? 'no node, in time'}`;
}

function ms(value: number | null): string {
  return value === null ? '-' : `${value} ms`;
}

export interface LabUpOptions {
  readonly agent: LabAgent;
}

/** `lab up`: removes any lab (or a crashed one's leftovers), then starts `lab serve` detached. */
export async function labUpCommand(ctx: CommandContext, options: LabUpOptions): Promise<number> {
  await refuseUnlessReady(options.agent);
  const topology = await loadConfig(ctx);
  if (Object.keys(topology.nodes).length !== 2)
    throw usageError(
      'the lab runs a two-node cluster',
      `${ctx.globals.config} has ${Object.keys(topology.nodes).length} nodes`,
    );
  const { removeLab, readState, ensureStateDir, LOG_FILE } = await import('../../lab/state');
  const removed = await removeLab();
  if (removed.stopped !== undefined || removed.namespaces.length > 0)
    ctx.note(`lab: removed the previous lab (${removed.namespaces.length} namespaces)`);
  ensureStateDir();
  const log = openSync(LOG_FILE, 'a');
  const child = spawn(
    process.execPath,
    [
      join(packageRoot(), 'bin', 'vipctl.mjs'),
      '--config',
      resolve(ctx.globals.config),
      'lab',
      'serve',
      '--agent',
      options.agent,
    ],
    {
      detached: true,
      stdio: ['ignore', log, log],
      env: { ...process.env, AWS_EC2_METADATA_DISABLED: 'true' },
    },
  );
  closeSync(log);
  child.unref();
  let exited: number | null | undefined;
  child.on('exit', (code) => {
    exited = code;
  });
  ctx.note(`lab: starting local AWS, its data plane and the cluster (process ${child.pid}, log ${LOG_FILE})`);
  const deadline = Date.now() + 300_000;
  for (;;) {
    const state = readState();
    if (state && state.pid === child.pid) {
      ctx.printJson({ endpoint: state.endpoint, agent: state.agent, pid: state.pid, nodes: state.nodes });
      ctx.print(`lab up: local AWS at ${state.endpoint}, the group runs; vipctl lab status, vipctl lab down`);
      return ExitCode.Ok;
    }
    if (exited !== undefined || Date.now() > deadline) {
      const tail = readFileSync(LOG_FILE, 'utf8').split('\n').slice(-15).join('\n');
      await removeLab(5_000);
      throw new CliError(
        exited !== undefined
          ? `the lab stopped while starting (exit ${exited}):\n${tail}`
          : `the lab did not start in 300 s:\n${tail}`,
        ExitCode.Failed,
        'everything it made was removed; see the log above',
      );
    }
    await sleep(250);
  }
}

/** `lab serve` (hidden, started by `up`): owns the lab until SIGTERM, then removes it. */
export async function labServeCommand(ctx: CommandContext, options: LabUpOptions): Promise<number> {
  const { recordPid, recordState } = await import('../../lab/state');
  recordPid();
  const topology = await loadConfig(ctx);
  const { Lab } = await import('../../lab/cluster');
  const root = packageRoot();
  const stop = new Promise<void>((done) => {
    process.once('SIGTERM', done);
    process.once('SIGINT', done);
  });
  const aws = await startCliLocalAws({ topology, port: 0, dataPlane: {} });
  try {
    const lab = await Lab.start({
      topology,
      config: resolve(ctx.globals.config),
      aws,
      dir: mkdtempSync(join(tmpdir(), 'vipctl-lab-')),
      vipctl: join(root, 'bin', 'vipctl.mjs'),
      ocfAgent: join(root, 'examples', 'pacemaker', 'vipctl'),
      agent: options.agent,
    });
    try {
      recordState(lab.state);
      ctx.note(`lab serve: the group runs on ${await lab.activeNode()}`);
      await stop;
    } finally {
      await lab.close();
    }
  } finally {
    await aws.close();
  }
  return ExitCode.Ok;
}

async function attached() {
  const [{ readState }, { Lab }] = await Promise.all([
    import('../../lab/state'),
    import('../../lab/cluster'),
  ]);
  const state = readState();
  if (!state) throw usageError('no lab is running', 'start one with vipctl lab up');
  return Lab.attach(state);
}

function nodeOf(lab: { nodes: Record<string, unknown> }, args: readonly string[] | undefined): string {
  const node = args?.[0];
  if (!node || !(node in lab.nodes))
    throw usageError(
      `${node ? `${node} is not a node of the lab` : 'which node?'}`,
      `one of: ${Object.keys(lab.nodes).join(', ')}`,
    );
  return node;
}

/** `lab kill <node>`: every process in the node's namespace, and its link goes down. */
export async function labKillCommand(ctx: CommandContext, options: { args?: string[] }): Promise<number> {
  const lab = await attached();
  const node = nodeOf(lab, options.args);
  await lab.kill(node);
  ctx.printJson({ killed: node });
  ctx.print(`lab: ${node} killed (its processes, and its link is down)`);
  return ExitCode.Ok;
}

/** `lab move <node>`: a planned `crm_resource --move`, returned once every resource started there. */
export async function labMoveCommand(ctx: CommandContext, options: { args?: string[] }): Promise<number> {
  const lab = await attached();
  const node = nodeOf(lab, options.args);
  await lab.move(node);
  await lab.waitFor(async () => (await lab.startedOn()) === node, `the group started on ${node}`);
  ctx.printJson({ moved: node });
  ctx.print(
    `lab: the group runs on ${node} (crm_resource --move; crm_resource --resource ${GROUP} --clear lifts the constraint)`,
  );
  return ExitCode.Ok;
}

/** `lab status`: the cluster as crm_mon shows it, where the group runs, and the VIP's routes. */
export async function labStatusCommand(ctx: CommandContext): Promise<number> {
  const lab = await attached();
  const { LAB_SETTINGS } = await import('../../lab/cluster');
  const online = await lab.onlineAnywhere();
  const activeNode = await lab.activeNode();
  const nodes = Object.fromEntries(
    Object.values(lab.nodes).map((n) => [n.key, { netns: n.netns, online: online.includes(n.key) }]),
  );
  const shown = await lab.hostVipctl(['status', '--json']);
  let routes: unknown = null;
  try {
    routes = (JSON.parse(shown.stdout) as { routes: unknown }).routes;
  } catch {
    // local AWS did not answer: the routes are left out
  }
  let crmMon = '';
  for (const node of Object.keys(lab.nodes)) {
    const status = await lab.exec(node, ['crm_mon', '-1']);
    if (status.code === 0) {
      crmMon = status.stdout;
      break;
    }
  }
  ctx.printJson({
    endpoint: lab.state.endpoint,
    agent: lab.agent,
    activeNode,
    nodes,
    settings: LAB_SETTINGS,
    routes,
    crmMon,
  });
  ctx.print(crmMon.trimEnd());
  ctx.print();
  ctx.print(
    `the group runs on: ${activeNode ?? 'no node'}; local AWS at ${lab.state.endpoint}; agent ${lab.agent}`,
  );
  if (Array.isArray(routes))
    ctx.print(
      table(
        ['TABLE', 'VIP', 'TARGET'],
        (routes as { table: string; vip: string; target: string }[]).map((r) => [r.table, r.vip, r.target]),
      ),
    );
  return ExitCode.Ok;
}

/** `lab down`: stops the lab's process and removes everything, also what a crashed one left. */
export async function labDownCommand(ctx: CommandContext): Promise<number> {
  const { removeLab } = await import('../../lab/state');
  const removed = await removeLab();
  ctx.printJson({ stopped: removed.stopped ?? null, namespaces: removed.namespaces });
  ctx.print(
    removed.stopped === undefined && removed.namespaces.length === 0
      ? 'lab down: no lab was running; nothing left behind'
      : `lab down: removed ${removed.namespaces.length} namespaces${removed.stopped ? ` and stopped process ${removed.stopped}` : ''}`,
  );
  return ExitCode.Ok;
}
