/**
 * `npm run bench [-- --quick]`: runs every benchmark against local AWS, with its three baselines.
 *
 * Only a full run publishes: it writes bench/RESULTS.md, its SVG charts, the compact raw results
 * bench/RESULTS.json (committed with the report) and the headline of docs/benchmarks.md. Every run also keeps its raw
 * measurements in bench/results/raw/ (not committed).
 *
 * --quick  one small scale point with scaled-down token buckets, two runs of everything, all three
 *          baselines, in about two minutes; it publishes nothing:
 *          its report, charts and results stay in bench/results/raw/
 * --report render the report again from bench/RESULTS.json (with --quick: bench/results/raw/quick.json)
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { EC2_DOCUMENTED_BUCKETS } from '../local/index';
import { loadTopology } from '../tasks/topology';
import { findAwsCli } from './aws-cli';
import { bundleBenchmark } from './bundle';
import { convergenceChart, renderSvg, timelineChart } from './charts';
import { seedBenchmark } from './failover';
import { RAW_DIR, ROOT, snapshotCli } from './harness';
import {
  type BenchPlan,
  type BenchResults,
  convergencePoints,
  guardWindowLine,
  headlineLines,
  renderResults,
  timelineBars,
} from './report';
import { type ScalePoint, scalePoint } from './scale';
import { startupBenchmark } from './startup';

const args = new Set(process.argv.slice(2));
const quick = args.has('--quick');
const SEED_TARGET = 'server-b';

/**
 * What each mode measures. The full run is sized for about 15 minutes on a two-core machine, under
 * EC2's documented mutating bucket (50 burst, 5 per s per region and action:
 * https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html). Its scale points: one
 * well under the burst, where the AWS CLI baseline (a process start per write) is affordable, and the
 * 500-write goal's point. Only the two nodes' VPCs and the TGWs change on a failover (every other VPC
 * keeps pointing at its own TGW), so about 500 writes always fall on two ReplaceRoute buckets, about
 * 250 each: the failover then waits about 80 s for tokens and the SDK script about 100 s (one round
 * trip per write), three times each, most of the run. A point between the two (50 tables, exactly the
 * burst) would add about 80 s; the seed's five runs of vipctl and of each baseline take about 2 minutes.
 */
export const PLANS: Record<'quick' | 'full', BenchPlan> = {
  quick: {
    mode: 'quick',
    seedRepeats: 2,
    scaleRepeats: 2,
    // Scaled down so that a small topology already throttles.
    bucket: { burst: 3, refillPerSecond: 5 },
    shapes: [{ tablesPerRegion: 5, vips: 1, regions: 2 }],
    awsCliMaxWrites: 30,
    startupRepeats: 2,
    bundleRepeats: 2,
    targetS: 150,
  },
  full: {
    mode: 'full',
    seedRepeats: 5,
    scaleRepeats: 3,
    // EC2's documented mutating bucket (local/models.ts), per account, region and action.
    bucket: { ...EC2_DOCUMENTED_BUCKETS.mutating },
    shapes: [
      { tablesPerRegion: 10, vips: 1, regions: 2 },
      { tablesPerRegion: 250, vips: 1, regions: 2 },
    ],
    awsCliMaxWrites: 30,
    startupRepeats: 7,
    bundleRepeats: 3,
    targetS: 900,
  },
};
const plan = PLANS[quick ? 'quick' : 'full'];

const began = Date.now();
const log = (line: string) =>
  process.stderr.write(`[bench +${Math.round((Date.now() - began) / 1000)} s] ${line}\n`);

async function measure(): Promise<BenchResults> {
  const started = Date.now();
  const loadStart = loadavg()[0] ?? 0;
  snapshotCli();
  const seed = await loadTopology(`${ROOT}examples/two-region.yaml`);
  const cli = findAwsCli();
  log(
    'error' in cli ? `AWS CLI: ${cli.error}; baseline 1 is not run` : `AWS CLI: ${cli.path} (${cli.version})`,
  );

  log(`mode ${plan.mode}: failover on the seed topology and its baselines, ${plan.seedRepeats} runs each`);
  const failover = await seedBenchmark(seed, SEED_TARGET, plan.seedRepeats, cli);

  log(`scale: ${plan.shapes.length} topologies, ${plan.scaleRepeats} runs each`);
  const scale: ScalePoint[] = [];
  for (const shape of plan.shapes) {
    log(`  ${shape.tablesPerRegion} tables/region, ${shape.vips} VIP(s), ${shape.regions} regions`);
    scale.push(
      await scalePoint(shape, {
        bucket: plan.bucket,
        repeats: plan.scaleRepeats,
        cli,
        awsCliMaxWrites: plan.awsCliMaxWrites,
      }),
    );
  }

  log('CLI start-up');
  const startup = await startupBenchmark(seed, plan.startupRepeats);
  log('task function bundle');
  const bundle = await bundleBenchmark(seed, SEED_TARGET, plan.bundleRepeats);
  return {
    mode: plan.mode,
    date: new Date().toISOString(),
    durationS: Math.round((Date.now() - started) / 1000),
    machine: {
      cpu: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
      loadStart,
      loadEnd: loadavg()[0] ?? 0,
    },
    plan,
    awsCli: 'error' in cli ? { error: cli.error } : { version: cli.version },
    failover,
    scale,
    startup,
    bundle,
  };
}

// A quick run writes under bench/results/raw/ only; a full run publishes next to RESULTS.md.
const outDir = quick ? RAW_DIR : `${ROOT}bench/`;
const published = `${ROOT}bench/RESULTS.json`;
const rawResults = `${RAW_DIR}${quick ? 'quick' : 'full'}.json`;
// --report renders the report and the charts again from the last results, measuring nothing.
const final: BenchResults = args.has('--report')
  ? (JSON.parse(readFileSync(quick ? rawResults : published, 'utf8')) as BenchResults)
  : await measure();
mkdirSync(RAW_DIR, { recursive: true });
writeFileSync(rawResults, JSON.stringify(final, null, 1));
if (!quick) writeFileSync(published, `${JSON.stringify(final)}\n`);

writeFileSync(
  `${outDir}convergence.svg`,
  await renderSvg(convergenceChart(convergencePoints(final), 'Convergence vs route writes')),
);
writeFileSync(
  `${outDir}failover-timeline.svg`,
  await renderSvg(
    timelineChart(timelineBars(final), 'One failover on the seed topology (realistic latency)'),
  ),
);
writeFileSync(`${outDir}RESULTS.md`, renderResults(final));
// docs/benchmarks.md quotes the headline figures between two markers; nothing else of it is touched,
// and only a full run touches it.
const HEADLINE_PAGE = `${ROOT}docs/benchmarks.md`;
const readme = readFileSync(HEADLINE_PAGE, 'utf8');
const marked = /(<!-- bench-headline -->\n)[\s\S]*?(<!-- \/bench-headline -->)/;
if (!quick && marked.test(readme)) {
  writeFileSync(
    HEADLINE_PAGE,
    readme.replace(marked, (_, open, close) => `${open}${headlineLines(final).join('\n')}\n${close}`),
  );
}
// docs/architecture.md states the stale-run guard's window between its own markers, from the same run.
const ARCHITECTURE_PAGE = `${ROOT}docs/architecture.md`;
const architecture = readFileSync(ARCHITECTURE_PAGE, 'utf8');
const windowMarked = /(<!-- guard-window -->\n)([ \t]*)[\s\S]*?(\n[ \t]*<!-- \/guard-window -->)/;
if (!quick && windowMarked.test(architecture)) {
  writeFileSync(
    ARCHITECTURE_PAGE,
    architecture.replace(
      windowMarked,
      (_, open, indent, close) => `${open}${indent}${guardWindowLine(final)}${close}`,
    ),
  );
}
log(`done in ${final.durationS} s: ${outDir.slice(ROOT.length)}RESULTS.md`);
