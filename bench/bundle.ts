/**
 * Benchmark 4: the task function as the CDK stack bundles it (esbuild, minified, node22, CJS, the AWS
 * SDK bundled in), its size, its load time in a fresh process and its first invocation against local
 * AWS (latency off: what remains is the function's own start-up work).
 */
import { statSync } from 'node:fs';
import { build } from 'esbuild';
import type { Topology } from '../tasks/topology';
import { awsEnv, RAW_DIR, ROOT, spawnNode, startBenchAws } from './harness';

export interface BundleResult {
  readonly bytes: number;
  readonly processLoadMs: number[];
  readonly loadMs: number[];
  readonly firstInvokeMs: number[];
}

export async function bundleTasks(): Promise<string> {
  const outfile = `${RAW_DIR}handler/index.cjs`;
  // .cjs: the bundle is CommonJS and this package is "type": "module". The same options as workflow/stack.ts passes to NodejsFunction's bundling.
  await build({
    entryPoints: [`${ROOT}tasks/handlers/main.ts`],
    outfile,
    bundle: true,
    minify: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    sourcemap: false,
    mainFields: ['module', 'main'],
    external: [],
    logLevel: 'warning',
  });
  return outfile;
}

export async function bundleBenchmark(
  topology: Topology,
  target: string,
  repeats: number,
): Promise<BundleResult> {
  const file = await bundleTasks();
  const aws = await startBenchAws(topology, { profile: 'off' });
  try {
    const processLoadMs: number[] = [];
    const loadMs: number[] = [];
    const firstInvokeMs: number[] = [];
    const region = topology.vpcs[topology.nodes[target]?.vpc ?? '']?.region ?? 'us-east-1';
    for (let i = 0; i < repeats; i++) {
      processLoadMs.push(
        (await spawnNode(['-e', `require(${JSON.stringify(file)})`], awsEnv(aws.local.url))).wallMs,
      );
      const requestedAt = new Date().toISOString();
      const name = `${target}-${requestedAt.replace(/[-:]/g, '').replace('.', '').replace('Z', '')}`;
      const event = {
        task: 'plan',
        input: { target, requestedAt },
        topology,
        execution: {
          id: `arn:aws:states:${region}:${topology.account}:execution:vip-failover-${topology.cluster}:${name}`,
          startTime: requestedAt,
        },
      };
      const run = await spawnWithInput(
        ['bench/invoke-bundle.cjs', file],
        awsEnv(aws.local.url, { AWS_REGION: region }),
        JSON.stringify(event),
      );
      const times = JSON.parse(run) as { loadMs: number; invokeMs: number };
      loadMs.push(times.loadMs);
      firstInvokeMs.push(times.invokeMs);
    }
    return { bytes: statSync(file).size, processLoadMs, loadMs, firstInvokeMs };
  } finally {
    await aws.close();
  }
}

async function spawnWithInput(args: string[], env: Record<string, string>, input: string): Promise<string> {
  const { spawn } = await import('node:child_process');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env });
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
      code === 0 ? resolve(stdout) : reject(new Error(`invoke-bundle exited ${code}: ${stderr}`)),
    );
    child.stdin.end(input);
  });
}
