/**
 * `npm run bench [-- --quick] [-- --all]`: runs every benchmark against local AWS.
 *
 * Only a full run publishes: it writes bench/RESULTS.md, its SVG charts, the compact raw results
 * bench/RESULTS.json (committed with the report) and README's headline. Every run also keeps its raw
 * measurements in bench/results/raw/ (not committed).
 *
 * --quick  a small subset with scaled-down token buckets, in under two minutes; it publishes nothing:
 *          its report, charts and results stay in bench/results/raw/
 * --report render the report again from bench/RESULTS.json (with --quick: bench/results/raw/quick.json)
 * --all    the full scale matrix, including 250 route tables with 3 VIPs (about 4 minutes per point)
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { EC2_DOCUMENTED_BUCKETS } from '../local/index';
import { loadTopology } from '../tasks/topology';
import { bundleBenchmark } from './bundle';
import { convergenceChart, renderSvg, timelineChart } from './charts';
import { seedBenchmark } from './failover';
import { RAW_DIR, ROOT, snapshotCli } from './harness';
import { type BenchResults, baselineCallMs, headlineLines, renderResults, timelineBars } from './report';
import { type ScalePoint, scalePoint } from './scale';
import { startupBenchmark } from './startup';
import type { ScaleShape } from './topologies';

const args = new Set(process.argv.slice(2));
const quick = args.has('--quick');
const all = args.has('--all');
const SEED_TARGET = 'server-b';

const plan = quick
  ? {
      mode: 'quick',
      repeats: 3,
      bucket: { burst: 20, refillPerSecond: 5 },
      shapes: [
        { tablesPerRegion: 10, vips: 1, regions: 2 },
        { tablesPerRegion: 50, vips: 1, regions: 2 },
      ] as ScaleShape[],
    }
  : {
      mode: all ? 'full' : 'full (reduced: no 250 tables x 3 VIPs)',
      repeats: 7,
      // EC2's documented mutating bucket (local/models.ts), per account, region and action.
      bucket: { ...EC2_DOCUMENTED_BUCKETS.mutating },
      shapes: [2, 10, 50, 100, 250].flatMap((tablesPerRegion) =>
        ([1, 3] as const).flatMap((vips) =>
          ([2, 3] as const)
            .filter(() => all || !(tablesPerRegion === 250 && vips === 3))
            .map((regions) => ({ tablesPerRegion, vips, regions })),
        ),
      ),
    };

const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

async function measure(): Promise<BenchResults> {
  const started = Date.now();
  snapshotCli();
  const seed = await loadTopology(`${ROOT}examples/two-region.yaml`);

  log(`mode ${plan.mode}: failover on the seed topology, ${plan.repeats} runs`);
  const failover = await seedBenchmark(seed, SEED_TARGET, plan.repeats);

  log(`scale: ${plan.shapes.length} topologies`);
  const scale: ScalePoint[] = [];
  for (const shape of plan.shapes) {
    log(`  ${shape.tablesPerRegion} tables/region, ${shape.vips} VIP(s), ${shape.regions} regions`);
    scale.push(await scalePoint(shape, plan.bucket));
  }

  log('CLI start-up');
  const startup = await startupBenchmark(seed, quick ? 2 : 10);
  log('task function bundle');
  const bundle = await bundleBenchmark(seed, SEED_TARGET, quick ? 2 : 5);
  return {
    mode: plan.mode,
    date: new Date().toISOString(),
    durationS: Math.round((Date.now() - started) / 1000),
    machine: {
      cpu: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
    },
    bucket: plan.bucket,
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
const scale = final.scale;
mkdirSync(RAW_DIR, { recursive: true });
writeFileSync(rawResults, JSON.stringify(final, null, 1));
if (!quick) writeFileSync(published, `${JSON.stringify(final)}\n`);

const callMs = baselineCallMs(final);
const convergence = scale
  .filter((p) => p.vips === 1 && p.regions === 2 && !p.error)
  .flatMap((p) => [
    { tables: p.tablesPerRegion, series: 'this project (execution)', seconds: p.executionMs / 1000 },
    { tables: p.tablesPerRegion, series: 'token-bucket lower bound', seconds: p.boundMs / 1000 },
    { tables: p.tablesPerRegion, series: 'sequential script baseline', seconds: callMs(p) / 1000 },
  ]);
writeFileSync(
  `${outDir}convergence.svg`,
  await renderSvg(convergenceChart(convergence, 'Convergence vs route tables (1 VIP, 2 regions)')),
);
writeFileSync(
  `${outDir}failover-timeline.svg`,
  await renderSvg(
    timelineChart(timelineBars(final), 'One failover on the seed topology (realistic latency)'),
  ),
);
writeFileSync(`${outDir}RESULTS.md`, renderResults(final));
// The README quotes the headline figures between two markers; nothing else of it is touched, and
// only a full run touches it.
const readme = readFileSync(`${ROOT}README.md`, 'utf8');
const marked = /(<!-- bench-headline -->\n)[\s\S]*?(<!-- \/bench-headline -->)/;
if (!quick && marked.test(readme)) {
  writeFileSync(
    `${ROOT}README.md`,
    readme.replace(marked, (_, open, close) => `${open}${headlineLines(final).join('\n')}\n${close}`),
  );
}
log(`done in ${final.durationS} s: ${outDir.slice(ROOT.length)}RESULTS.md`);
