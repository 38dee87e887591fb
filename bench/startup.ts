/**
 * Benchmark 3: CLI start-up with latency off. Time from process start until StartExecution reaches
 * local AWS, wall time and peak RSS of `vipctl check`, and which packages `vipctl --help` loads.
 */
import { readFileSync, rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LocalAws } from '../local/index';
import type { Topology } from '../tasks/topology';
import { awsEnv, RAW_DIR, ROOT, spawnNode, startBenchAws, VIPCTL, vipctl, writeConfig } from './harness';

export interface StartupResult {
  /** `node -e ""`: the floor of any node CLI on this machine. */
  readonly nodeStartMs: number[];
  readonly toStartExecutionMs: number[];
  readonly checkWallMs: number[];
  /** Peak RSS of each timed `vipctl check`, KiB (absent in results of older runs). */
  readonly checkPeakRssKiB?: number[];
  /** SDK modules (@aws-sdk, @smithy) resolved by `vipctl --help`, and by `vipctl check` as a control. */
  readonly helpSdkModules: string[];
  readonly checkSdkModules: number;
  /** SDK packages `vipctl failover --no-wait` loads (it needs Step Functions only). */
  readonly failoverSdkModules: string[];
}

const SDK_PACKAGE = /node_modules\/(@(?:aws-sdk|smithy)\/[a-z0-9-]+)\//g;
const DIST_FILE = /file:\/\/\S*?\/dist\/(\S+\.mjs)$/gm;
const IS_SDK = /^@(?:aws-sdk|smithy)\//;

/**
 * The SDK packages named in a module trace (resolve hook and NODE_DEBUG=module lines): those loaded
 * from node_modules, and those bundled into the dist/ chunks the process loaded, after `chunkPackages`
 * (dist/chunk-packages.json, which scripts/build.mjs writes from esbuild's metafile).
 */
export function sdkModules(trace: string, chunkPackages: Record<string, string[]> = {}): string[] {
  const fromNodeModules = [...trace.matchAll(SDK_PACKAGE)].map((match) => match[1] ?? '');
  const bundled = [...trace.matchAll(DIST_FILE)].flatMap((match) => chunkPackages[match[1] ?? ''] ?? []);
  return [...new Set([...fromNodeModules, ...bundled.filter((name) => IS_SDK.test(name))])].sort();
}

export async function startupBenchmark(topology: Topology, repeats: number): Promise<StartupResult> {
  const config = writeConfig(topology);
  const aws = await startBenchAws(topology, { profile: 'off' });
  try {
    const nodeStartMs: number[] = [];
    const toStartExecutionMs: number[] = [];
    const checkWallMs: number[] = [];
    const checkPeakRssKiB: number[] = [];
    const rssFile = `${RAW_DIR}check-peak-rss.txt`;
    for (let i = 0; i < repeats; i++) {
      nodeStartMs.push((await spawnNode(['-e', ''], awsEnv(aws.local.url))).wallMs);
      aws.clear();
      const run = await vipctl(
        config,
        ['failover', '--to', 'server-b', '--no-wait', '--json'],
        aws.local.url,
      );
      if (run.code !== 0) throw new Error(`vipctl failover --no-wait exited ${run.code}: ${run.stderr}`);
      const { name, arn } = (JSON.parse(run.stdout) as { run: { name: string; arn: string } }).run;
      const started = aws.startedAt.get(name);
      if (started === undefined) throw new Error(`StartExecution of ${name} was not seen`);
      toStartExecutionMs.push(started - run.startedAt);
      // Let the run finish, then put server-a back, so that check has the same work every time.
      await waitForEnd(aws.local, arn);
      aws.local.world.restore((await freshWorld(topology)).snapshot());
      rmSync(rssFile, { force: true });
      const check = await spawnNode(
        ['--import', './bench/peak-rss.mjs', VIPCTL, '--config', config, 'check', '--active', 'server-a'],
        { ...awsEnv(aws.local.url), BENCH_PEAK_RSS_FILE: rssFile },
      );
      if (check.code !== 0)
        throw new Error(`vipctl check exited ${check.code}: ${check.stdout}${check.stderr}`);
      checkWallMs.push(check.wallMs);
      checkPeakRssKiB.push(Number(readFileSync(rssFile, 'utf8')));
    }
    const traced = (args: string[]) =>
      spawnNode(['--import', './bench/module-log.mjs', VIPCTL, '--config', config, ...args], {
        ...awsEnv(aws.local.url),
        NODE_DEBUG: 'module',
      });
    const chunks = JSON.parse(readFileSync(`${ROOT}dist/chunk-packages.json`, 'utf8')) as Record<
      string,
      string[]
    >;
    const help = await traced(['--help']);
    const check = await traced(['check', '--active', 'server-a']);
    const failover = await traced(['failover', '--to', 'server-b', '--no-wait']);
    return {
      nodeStartMs,
      toStartExecutionMs,
      checkWallMs,
      checkPeakRssKiB,
      helpSdkModules: sdkModules(help.stderr, chunks),
      checkSdkModules: sdkModules(check.stderr, chunks).length,
      failoverSdkModules: sdkModules(failover.stderr, chunks),
    };
  } finally {
    await aws.close();
  }
}

async function waitForEnd(local: LocalAws, arn: string): Promise<void> {
  const region = arn.split(':')[3] ?? 'us-east-1';
  for (;;) {
    const result = await local.sfn?.handle('DescribeExecution', { executionArn: arn }, { region });
    if ((result?.body as { status?: string } | undefined)?.status !== 'RUNNING') return;
    await sleep(50);
  }
}

async function freshWorld(topology: Topology) {
  const { seedWorld } = await import('../local/index');
  return seedWorld(topology, topology.account ?? '000000000000', 'server-a');
}
