// Bundles the vipctl CLI with the local esbuild so that it starts fast: commands and the AWS SDK
// are split into chunks that load only when a command needs them. The bundle is built beside dist/
// and swapped in, so a vipctl process started during a rebuild never finds dist/ half written.
import { rename, rm } from 'node:fs/promises';
import { build } from 'esbuild';

const dist = new URL('../dist/', import.meta.url).pathname;
const staging = dist.replace(/\/$/, `.building-${process.pid}/`);
const retired = dist.replace(/\/$/, `.old-${process.pid}/`);

await rm(staging, { recursive: true, force: true });
await build({
  entryPoints: { vipctl: 'cli/index.ts' },
  outdir: staging,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  sourcemap: 'linked',
  logLevel: 'warning',
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunks/[name]-[hash]',
});
await rename(dist, retired).catch((error) => {
  if (error.code !== 'ENOENT') throw error;
});
await rename(staging, dist);
await rm(retired, { recursive: true, force: true });
