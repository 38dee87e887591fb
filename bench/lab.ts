/**
 * `npm run bench:lab [-- --quick]` (root, corosync, pacemaker, resource-agents, awscli): the lab's
 * kill-active scenario, node death to packets back, with a real corosync + Pacemaker cluster on local
 * AWS's data plane with the realistic profile (latency, cold starts, transitions, token buckets). Each
 * run starts a fresh local AWS and a fresh cluster, so every run pays the task function's cold start.
 * Runs of this project's agent and of ClusterLabs' aws-vpc-move-ip alternate, so that both see the same
 * machine load.
 *
 * Per run: per client VPC, whether the survivor answered and when (from the kill); the split of the
 * time (lab/scenarios.ts); and what the lab costs this machine once the group runs, before the kill:
 * the proportional set size (PSS, from /proc/<pid>/smaps_rollup) of every process in the nodes'
 * namespaces plus this process (local AWS and the lab's forwarders run in it), and the CPU they take
 * over an idle window (utime + stime from /proc/<pid>/stat, and process.cpuUsage()). Then as many runs
 * of the partition scenario with this project's agent: what no fencing costs, in packets and runs.
 *
 * A full run writes bench/LAB.md, bench/LAB.json and the headline line of README.md between its
 * markers; --quick writes under bench/results/raw/ only.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AWS_VPC_MOVE_IP, LAB_SETTINGS, Lab, type LabAgent } from '../lab/cluster';
import { killActive, type PartitionRun, partition, type ScenarioRun } from '../lab/scenarios';
import { dataPlaneMissing, run } from '../local/data-plane/netns';
import { type LocalAws, startLocalAws } from '../local/server';
import { loadTopology } from '../tasks/topology';
import { RAW_DIR, ROOT } from './harness';
import { median } from './stats';

// The SDK's notice about future Node.js versions is not a finding of this benchmark.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const quick = process.argv.includes('--quick');
const RUNS = quick ? 2 : 5;
const CONFIG = `${ROOT}examples/two-region.yaml`;
/** How long the idle lab is watched for its CPU share: a measurement window, nothing is awaited in it. */
const IDLE_WINDOW_MS = 10_000;
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

interface Cost {
  /** PSS of the nodes' processes and of this process, MiB. */
  memoryMiB: number;
  /** The nodes' processes alone, MiB. */
  nodesMiB: number;
  /** CPU over the idle window, in cores (1.0 = one core busy). */
  idleCores: number;
  processes: number;
}

interface Run extends ScenarioRun {
  agent: LabAgent;
  cost: Cost;
}

async function nodePids(lab: Lab): Promise<number[]> {
  const pids: number[] = [];
  for (const node of Object.values(lab.nodes)) {
    const listed = await run('ip', ['netns', 'pids', node.netns]);
    pids.push(...listed.stdout.split(/\s+/).filter(Boolean).map(Number));
  }
  return pids;
}

function pssKiB(pid: number | 'self'): number {
  try {
    return Number(/^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0; // gone since it was listed
  }
}

/** utime + stime of a process, in seconds (fields 14 and 15 of /proc/<pid>/stat, after the command). */
function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return 0;
  }
}

async function costOf(lab: Lab): Promise<Cost> {
  const before = await nodePids(lab);
  const cpuBefore = new Map(before.map((pid) => [pid, cpuSeconds(pid)]));
  const selfBefore = process.cpuUsage();
  const startedAt = Date.now();
  await sleep(IDLE_WINDOW_MS);
  const elapsedS = (Date.now() - startedAt) / 1000;
  const self = process.cpuUsage(selfBefore);
  const after = await nodePids(lab);
  let nodesCpu = 0;
  for (const pid of after) nodesCpu += cpuSeconds(pid) - (cpuBefore.get(pid) ?? 0);
  const nodesKiB = after.reduce((sum, pid) => sum + pssKiB(pid), 0);
  return {
    memoryMiB: Math.round((nodesKiB + pssKiB('self')) / 1024),
    nodesMiB: Math.round(nodesKiB / 1024),
    idleCores: Number(((nodesCpu + (self.user + self.system) / 1e6) / elapsedS).toFixed(3)),
    processes: after.length,
  };
}

/** A fresh local AWS (realistic profile) and a fresh cluster with `agent`, handed to `play`, then removed. */
async function onFreshLab<T>(agent: LabAgent, play: (lab: Lab, aws: LocalAws) => Promise<T>): Promise<T> {
  const topology = await loadTopology(CONFIG);
  const aws = await startLocalAws({ topology, port: 0, profile: 'realistic', dataPlane: {} });
  try {
    const lab = await Lab.start({
      topology,
      config: CONFIG,
      aws,
      dir: mkdtempSync(join(tmpdir(), 'vipctl-lab-bench-')),
      vipctl: `${ROOT}bin/vipctl.mjs`,
      ocfAgent: `${ROOT}examples/pacemaker/vipctl`,
      agent,
    });
    try {
      return await play(lab, aws);
    } finally {
      await lab.close();
    }
  } finally {
    await aws.close();
  }
}

const killRun = (agent: LabAgent): Promise<Run> =>
  onFreshLab(agent, async (lab, aws) => {
    const cost = await costOf(lab);
    return { agent, cost, ...(await killActive(lab, aws)) };
  });

/** The time until clients in every VPC were answered by the survivor; null where one never was. */
function backInMs(r: Pick<ScenarioRun, 'clients'>): number | null {
  const times = Object.values(r.clients).map((c) => (c.recovered ? c.interruptionMs : null));
  return times.some((t) => t === null) ? null : Math.max(...(times as number[]));
}

const seconds = (valueMs: number) => `${(valueMs / 1000).toFixed(1)} s`;
const ms = (valueMs: number) => `${Math.round(valueMs).toLocaleString('en-US')} ms`;
const medianOf = (values: readonly (number | null)[]) => {
  const known = values.filter((v): v is number => v !== null);
  return known.length === 0 ? Number.NaN : median(known);
};

function recoveredShare(runs: readonly Run[]): { recovered: number; all: number } {
  let recovered = 0;
  let all = 0;
  for (const r of runs)
    for (const c of Object.values(r.clients)) {
      all += 1;
      if (c.recovered) recovered += 1;
    }
  return { recovered, all };
}

function headline(runs: readonly Run[]): string {
  const ours = runs.filter((r) => r.agent === 'vipctl');
  const peer = runs.filter((r) => r.agent === 'aws-vpc-move-ip');
  const split = (key: keyof ScenarioRun['split']) => seconds(medianOf(ours.map((r) => r.split[key])));
  const share = recoveredShare(peer);
  const vpcs = Object.keys(ours[0]?.clients ?? {}).length;
  return `Kill the active node of a real Pacemaker cluster in the [lab](docs/lab.md): clients in every VPC are back in ${seconds(medianOf(ours.map(backInMs)))} (detection ${split('detectionMs')}, Pacemaker ${split('pacemakerMs')}, vipctl ${split('agentMs')}), median of ${ours.length} runs; with aws-vpc-move-ip, ${share.recovered} of ${share.all} client VPCs recovered (${peer.length} runs × ${vpcs}) ([bench/LAB.md](bench/LAB.md)).`;
}

function render(
  runs: readonly Run[],
  partitions: readonly PartitionRun[],
  load: { start: number; end: number },
  durationS: number,
): string {
  const lines = [
    '# Kill the active node: a real Pacemaker cluster in the lab',
    '',
    `Generated by \`npm run bench:lab\` on ${new Date().toISOString().slice(0, 10)} (${cpus().length} cores; 1-minute load average ${load.start.toFixed(1)} at the start, ${load.end.toFixed(1)} at the end; ${durationS} s). Do not edit: run it again.`,
    '',
    `The lab ([docs/lab.md](../docs/lab.md)) on the seed topology, local AWS with the kernel data plane and the realistic profile; ${RUNS} runs per agent, alternating, each on a fresh local AWS and a fresh cluster (cold start included). Corosync token ${LAB_SETTINGS.tokenMs} ms; fencing ${LAB_SETTINGS.fencing.split(':')[0]}. One client per VPC sends 100 UDP datagrams per second to the VIP; times are from the kill (every process of the active node's namespace killed, its link down).`,
    '',
    headline(runs).replace('(docs/lab.md)', '(../docs/lab.md)').replace('(bench/LAB.md)', '(LAB.md)'),
    '',
    '## Per client VPC',
    '',
    '| agent | client VPC | recovered | answered by the survivor (median, max) | longest gap (median) | looped |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  const agents: LabAgent[] = ['vipctl', 'aws-vpc-move-ip'];
  for (const agent of agents) {
    const rows = runs.filter((r) => r.agent === agent);
    if (rows.length === 0) continue;
    for (const vpc of Object.keys(rows[0]!.clients).sort()) {
      const outcomes = rows.map((r) => r.clients[vpc]!);
      const back = outcomes.map((o) => o.interruptionMs).filter((v): v is number => v !== null);
      lines.push(
        `| ${agent} | ${vpc} | ${outcomes.filter((o) => o.recovered).length} of ${rows.length} | ${back.length ? `${ms(median(back))}, ${ms(Math.max(...back))}` : 'never'} | ${ms(median(outcomes.map((o) => o.packets.longestGapMs)))} | ${outcomes.reduce((n, o) => n + o.looped, 0)} |`,
      );
    }
  }
  lines.push(
    '',
    "## The split (this project's agent)",
    '',
    "Detection: the kill until the survivor's Pacemaker reports the node offline (polled every 250 ms). Pacemaker: until the agent's `vipctl failover` execution starts. vipctl: the execution. First packet: from the execution's end to the last client VPC's first answer (negative when it came before the end).",
    '',
    '| | detection | Pacemaker | vipctl | first packet | clients in every VPC back |',
    '| --- | --- | --- | --- | --- | --- |',
  );
  const ours = runs.filter((r) => r.agent === 'vipctl');
  const cell = (values: (number | null)[]) => ms(medianOf(values));
  lines.push(
    `| median of ${ours.length} | ${cell(ours.map((r) => r.split.detectionMs))} | ${cell(ours.map((r) => r.split.pacemakerMs))} | ${cell(ours.map((r) => r.split.agentMs))} | ${cell(ours.map((r) => r.split.firstPacketMs))} | ${cell(ours.map(backInMs))} |`,
  );
  for (const [i, r] of ours.entries())
    lines.push(
      `| run ${i + 1} | ${cell([r.split.detectionMs])} | ${cell([r.split.pacemakerMs])} | ${cell([r.split.agentMs])} | ${cell([r.split.firstPacketMs])} | ${backInMs(r) === null ? 'never' : ms(backInMs(r)!)} |`,
    );
  lines.push(
    '',
    '## What the lab costs this machine',
    '',
    `Once the group runs, before the kill, over a ${IDLE_WINDOW_MS / 1000} s idle window: PSS of every process in the nodes' namespaces (corosync, the Pacemaker daemons, the forwarders) plus the bench process (local AWS, the lab's socket forwarders), and the CPU they take.`,
    '',
    '| agent | processes in the nodes | memory, nodes (median) | memory, with local AWS (median) | CPU idle, cores (median) |',
    '| --- | --- | --- | --- | --- |',
  );
  for (const agent of agents) {
    const rows = runs.filter((r) => r.agent === agent);
    if (rows.length === 0) continue;
    lines.push(
      `| ${agent} | ${median(rows.map((r) => r.cost.processes))} | ${Math.round(median(rows.map((r) => r.cost.nodesMiB)))} MiB | ${Math.round(median(rows.map((r) => r.cost.memoryMiB)))} MiB | ${median(rows.map((r) => r.cost.idleCores)).toFixed(3)} |`,
    );
  }
  lines.push(...partitionSection(partitions));
  lines.push('', 'Raw runs: [LAB.json](LAB.json).', '');
  return lines.join('\n');
}

/** What a partition costs with fencing off: the split as clients saw it, and the recovery after the heal. */
function partitionSection(partitions: readonly PartitionRun[]): string[] {
  if (partitions.length === 0) return [];
  const answered = (r: PartitionRun, node: string) =>
    Object.values(r.splitBrain.answeredBy).reduce((n, byNode) => n + (byNode[node] ?? 0), 0);
  const nodes = [...new Set(partitions.flatMap((r) => Object.keys(r.splitBrain.groupOn)))].sort();
  const both = partitions.filter((r) =>
    Object.entries(r.splitBrain.groupOn).every(([n, on]) => on.includes(n)),
  );
  const lines = [
    '',
    '## A partition, fencing off',
    '',
    `${partitions.length} runs with this project's agent, each on a fresh lab: the nodes blackhole each other's address (clients and local AWS still reach both) until each side runs the group and the standby's run answers every client, then 10 s more; then the cut is healed. In ${both.length} of ${partitions.length} runs both sides ran the group at once. The runs are the \`vipctl failover\` executions the nodes started during the split, in order; after the heal, the time until every client VPC is answered by the node Pacemaker kept the group on.`,
    '',
    `| run | each side sees the other offline | split held | runs during the split | answered during the split (${nodes.join(' / ')}) | looped during the split | kept on | every client VPC answered by it after the heal | looped after |`,
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const [i, r] of partitions.entries()) {
    const after = backInMs(r);
    lines.push(
      `| ${i + 1} | ${ms(r.splitBrain.detectionMs)} | ${ms(r.splitBrain.heldMs)} | ${r.splitBrain.failovers.length} (${r.splitBrain.failovers.join(' → ')}) | ${nodes.map((n) => answered(r, n).toLocaleString('en-US')).join(' / ')} | ${Object.values(r.splitBrain.looped).reduce((n, v) => n + v, 0)} | ${r.to ?? 'nowhere'} | ${after === null ? 'never' : ms(after)} | ${Object.values(r.clients).reduce((n, c) => n + c.looped, 0)} |`,
    );
  }
  return lines;
}

const missing =
  dataPlaneMissing() ??
  (['corosync', 'pacemakerd', 'crm_mon', 'aws'].find(
    (command) =>
      execFileSync('sh', ['-c', `command -v ${command} || true`])
        .toString()
        .trim() === '',
  )
    ? 'corosync, pacemaker and awscli are needed (npm run setup:system)'
    : existsSync(AWS_VPC_MOVE_IP)
      ? undefined
      : `${AWS_VPC_MOVE_IP} is missing (resource-agents)`);
if (missing) {
  process.stderr.write(`bench:lab: not run: ${missing}\n`);
  process.exit(0);
}
const began = Date.now();
const load = { start: loadavg()[0] ?? 0, end: 0 };
const runs: Run[] = [];
for (let i = 0; i < RUNS; i += 1)
  for (const agent of ['vipctl', 'aws-vpc-move-ip'] as const) {
    process.stderr.write(`bench:lab: run ${i + 1}/${RUNS}, ${agent}\n`);
    runs.push(await killRun(agent));
  }
const partitions: PartitionRun[] = [];
for (let i = 0; i < RUNS; i += 1) {
  process.stderr.write(`bench:lab: partition ${i + 1}/${RUNS}\n`);
  partitions.push(await onFreshLab('vipctl', (lab, aws) => partition(lab, aws)));
}
load.end = loadavg()[0] ?? 0;
const report = render(runs, partitions, load, Math.round((Date.now() - began) / 1000));
const outDir = quick ? RAW_DIR : `${ROOT}bench/`;
mkdirSync(outDir, { recursive: true });
writeFileSync(`${outDir}LAB.md`, report);
writeFileSync(`${outDir}LAB.json`, `${JSON.stringify({ runs, partitions, load }, null, 1)}\n`);
if (!quick) {
  // README quotes the headline between two markers; nothing else of it is touched.
  const readme = `${ROOT}README.md`;
  const marked = /(<!-- lab-headline -->\n)[\s\S]*?(\n<!-- \/lab-headline -->)/;
  const text = readFileSync(readme, 'utf8');
  if (!marked.test(text)) throw new Error('README.md has no <!-- lab-headline --> markers');
  writeFileSync(
    readme,
    text.replace(marked, (_, open, close) => `${open}${headline(runs)}${close}`),
  );
}
process.stdout.write(report);
