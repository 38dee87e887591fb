/**
 * `npm run bench:seed [-- --repeats N] [-- --baselines] [-- --out file.json]`: only the seed failover,
 * cold, with the realistic profile, N times (default 5), and with --baselines the three baselines
 * interleaved as in the full run (bench/failover.ts). It publishes nothing: it prints one line per run
 * and a summary with the machine's load, and writes the runs to --out (default
 * bench/results/raw/seed.json). Meant for comparing designs side by side in a few minutes; the
 * committed figures come only from the full `npm run bench`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { regionOfNode } from '../tasks/routing';
import { loadTopology } from '../tasks/topology';
import { findAwsCli } from './aws-cli';
import { awsCliOnce, finished, moveIpOnce, moveIpSeries, sdkScriptOnce, series } from './baselines';
import type { Change } from './change';
import { type FailoverRun, measureFailover } from './failover';
import { RAW_DIR, ROOT, snapshotCli, spawnNode, startBenchAws, writeConfig } from './harness';
import { cliFloorParts } from './report';
import { median } from './stats';

const { values } = parseArgs({
  options: {
    repeats: { type: 'string', default: '5' },
    baselines: { type: 'boolean', default: false },
    out: { type: 'string', default: `${RAW_DIR}seed.json` },
  },
});
const repeats = Number(values.repeats);
if (!Number.isInteger(repeats) || repeats < 1) throw new Error(`--repeats must be a positive integer`);

const TARGET = 'server-b';
const models = { profile: 'realistic' } as const;
snapshotCli();
const topology = await loadTopology(`${ROOT}examples/two-region.yaml`);
const config = writeConfig(topology);
const origin = regionOfNode(topology, TARGET);
const cli = values.baselines ? findAwsCli() : undefined;

const runs: (FailoverRun & { load: number })[] = [];
const nodeStartMs: number[] = [];
const awsCli = series();
const sdkScript = series();
let moveIp = moveIpSeries(0);
let changes: Change[] = [];
const round = (n: number) => Math.round(n);
for (let i = 0; i < repeats; i++) {
  const load = loadavg()[0] ?? 0;
  nodeStartMs.push((await spawnNode(['-e', ''], {})).wallMs);
  const aws = await startBenchAws(topology, models);
  try {
    runs.push({ ...(await measureFailover(aws, topology, config, TARGET)), load });
  } finally {
    await aws.close();
  }
  const run = runs[i]!;
  process.stderr.write(
    `run ${i + 1}: wall ${round(run.wallMs)} ms, start ${round(run.cliToStartMs)}, execution ${round(run.executionMs)}, ` +
      `tail ${round(run.tailMs)}, waves ${run.waves} (${Object.entries(run.wavesByStep)
        .map(([s, n]) => `${s} ${n}`)
        .join(', ')}), steps ${run.steps
        .filter((s) => s.type === 'Task')
        .map((s) => `${s.name} ${round(s.endMs - s.startMs)}`)
        .join(', ')}, load ${load.toFixed(2)}\n`,
  );
  if (cli) {
    if (i === 0) {
      changes = run.changes.filter((c) => c.result === 'applied');
      moveIp = moveIpSeries(changes.length);
    }
    await awsCliOnce(awsCli, cli, topology, origin, changes, models);
    await moveIpOnce(moveIp, cli, topology, TARGET, changes, models);
    await sdkScriptOnce(sdkScript, topology, origin, changes, models);
    process.stderr.write(
      `  baselines: aws cli ${round(awsCli.totalMs.at(-1) ?? Number.NaN)} ms, move-ip ${round(moveIp.runs.at(-1)?.wallMs ?? Number.NaN)} ms, sdk script ${round(sdkScript.totalMs.at(-1) ?? Number.NaN)} ms\n`,
    );
  }
}

const m = (pick: (r: FailoverRun) => number) => round(median(runs.map(pick)));
const bound = runs[0]!.bound.totalMs;
const floor = cliFloorParts(median(nodeStartMs), origin);
const wallBound = bound + floor.startMs + floor.pollMs;
const summary = {
  repeats,
  loadStart: runs[0]!.load,
  loadEnd: loadavg()[0] ?? 0,
  wallMs: m((r) => r.wallMs),
  cliToStartMs: m((r) => r.cliToStartMs),
  executionMs: m((r) => r.executionMs),
  tailMs: m((r) => r.tailMs),
  boundMs: round(bound),
  executionRatio: median(runs.map((r) => r.executionMs)) / bound,
  nodeStartMs: round(median(nodeStartMs)),
  wallBoundMs: round(wallBound),
  wallRatio: median(runs.map((r) => r.wallMs)) / wallBound,
  ...(cli
    ? {
        awsCliMs: round(median(awsCli.totalMs)),
        moveIpMs: round(median(moveIp.runs.map((r) => r.wallMs))),
        sdkScriptMs: round(median(sdkScript.totalMs)),
        awsCliRatio: median(awsCli.totalMs) / median(runs.map((r) => r.wallMs)),
        moveIpRatio: median(moveIp.runs.map((r) => r.wallMs)) / median(runs.map((r) => r.wallMs)),
        sdkScriptRatio: median(sdkScript.totalMs) / median(runs.map((r) => r.wallMs)),
      }
    : {}),
};
process.stderr.write(`${JSON.stringify(summary)}\n`);
mkdirSync(RAW_DIR, { recursive: true });
writeFileSync(
  values.out,
  JSON.stringify(
    { summary, runs, baselines: { awsCli: finished(awsCli), sdkScript: finished(sdkScript), moveIp } },
    null,
    1,
  ),
);
