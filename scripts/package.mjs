// Builds the cluster-node artifact vipctl-<version>-linux-<arch>.tar.gz (DESIGN section 10): the CLI
// as one ES module with every dependency inlined (no node_modules; nothing of the CDK or of local
// AWS), the EXPRESSCLUSTER scripts, the OCF agent, sample topologies and install.sh. It needs only
// Node.js 20 or later on the node.
//
//   node scripts/package.mjs [--out <dir>] [--sea]
//
// --sea also tries a single `vipctl` executable (Node's single executable applications, with postject).
import { execFileSync } from 'node:child_process';
import { chmod, copyFile, cp, mkdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { arch } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const outIndex = args.indexOf('--out');
const out = outIndex >= 0 ? args[outIndex + 1] : join(root, 'artifacts');
const { version } = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'));
const name = `vipctl-${version}-linux-${arch()}`;
const staging = join(out, name);

/** Modules the node never needs: local AWS and the CDK app behind `vipctl local` / `vipctl demo`. */
const repositoryOnly = {
  name: 'repository-only',
  setup(b) {
    b.onResolve({ filter: /\/aws\/local-aws$/ }, () => ({
      path: join(root, 'scripts', 'node', 'repository-only.ts'),
    }));
    // proxy-agent loads these only for pac+ and socks proxy URLs; the PAC engine alone is a
    // JavaScript VM compiled to WebAssembly, larger than the rest of vipctl.
    b.onResolve({ filter: /^(pac-proxy-agent|socks-proxy-agent)$/ }, (a) => ({
      path: a.path,
      namespace: 'unsupported-proxy',
    }));
    b.onLoad({ filter: /.*/, namespace: 'unsupported-proxy' }, (a) => ({
      contents: `throw new Error('${a.path}: PAC and SOCKS proxies are not supported by the vipctl node artifact; use an http(s):// proxy URL');`,
      loader: 'js',
    }));
  },
};

await rm(staging, { recursive: true, force: true });
await mkdir(join(staging, 'lib'), { recursive: true });

const bundle = join(staging, 'lib', 'vipctl.mjs');
// Split like dist/: `lib/vipctl.mjs` is the entry, and each command's code and SDK clients are chunks
// under lib/chunks/ that load only when the command needs them, so `vipctl check` in a monitor loads
// the EC2 client and not the rest. Chunk names are content hashes: install.sh copies new chunks
// beside the old ones and then swaps the entry, so a vipctl started meanwhile finds either version whole.
const result = await build({
  entryPoints: { vipctl: join(root, 'cli', 'index.ts') },
  outdir: join(staging, 'lib'),
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  minify: true,
  // The packages' ES module builds: esbuild drops the SDK commands and schemas vipctl never calls.
  mainFields: ['module', 'main'],
  legalComments: 'linked',
  metafile: true,
  logLevel: 'warning',
  plugins: [repositoryOnly],
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunks/[name]-[hash]',
  // Bundled CommonJS modules call require() for Node built-ins; an ES module has none of its own.
  banner: {
    js: "import { createRequire as __vipctlRequire } from 'node:module';\nconst require = __vipctlRequire(import.meta.url);",
  },
});
// Only the entry is executed directly (bin/vipctl links to it): it alone gets the interpreter line.
await writeFile(bundle, `#!/usr/bin/env node\n${await readFile(bundle, 'utf8')}`);
await chmod(bundle, 0o755);
const inputs = Object.keys(result.metafile.inputs);
for (const forbidden of [
  'node_modules/aws-cdk-lib/',
  'node_modules/aws-local-stepfunctions/',
  'node_modules/constructs/',
  'node_modules/cdk-nag/',
  '/local/',
  '/workflow/asl',
]) {
  const found = inputs.filter((input) => input.includes(forbidden));
  if (found.length > 0)
    throw new Error(`the node bundle must not contain ${forbidden}: ${found.slice(0, 3).join(', ')}`);
}

await mkdir(join(staging, 'bin'));
await symlink('../lib/vipctl.mjs', join(staging, 'bin', 'vipctl'));
await cp(join(root, 'examples', 'expresscluster'), join(staging, 'expresscluster'), { recursive: true });
await mkdir(join(staging, 'pacemaker'));
await copyFile(join(root, 'examples', 'pacemaker', 'vipctl'), join(staging, 'pacemaker', 'vipctl'));
await chmod(join(staging, 'pacemaker', 'vipctl'), 0o755);
await mkdir(join(staging, 'examples'));
for (const sample of ['two-region.yaml', 'three-region.yaml'])
  await copyFile(join(root, 'examples', sample), join(staging, 'examples', sample));
await copyFile(join(root, 'scripts', 'node', 'install.sh'), join(staging, 'install.sh'));
await chmod(join(staging, 'install.sh'), 0o755);
await writeFile(join(staging, 'VERSION'), `${version}\n`);

const tarball = join(out, `${name}.tar.gz`);
execFileSync('tar', ['-czf', tarball, '--owner=0', '--group=0', '-C', out, name]);
const size = (await stat(tarball)).size;
const bundleSize = Object.entries(result.metafile.outputs)
  .filter(([file]) => file.endsWith('.mjs'))
  .reduce((sum, [, output]) => sum + output.bytes, 0);
console.log(
  `${relative(process.cwd(), tarball) || tarball}: ${(size / 1024).toFixed(0)} KiB (lib ${(bundleSize / 1024).toFixed(0)} KiB, ${inputs.length} modules)`,
);

if (args.includes('--sea')) await singleExecutable();

/** Node's single executable application: the bundle as a CommonJS blob injected into a copy of node. */
async function singleExecutable() {
  const work = join(out, `${name}-sea`);
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  const main = join(work, 'vipctl.cjs');
  await build({
    entryPoints: [join(root, 'cli', 'index.ts')],
    outfile: main,
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    minify: true,
    mainFields: ['module', 'main'],
    logLevel: 'warning',
    plugins: [repositoryOnly],
  });
  const config = join(work, 'sea-config.json');
  const blob = join(work, 'sea-prep.blob');
  await writeFile(config, JSON.stringify({ main, output: blob, disableExperimentalSEAWarning: true }));
  execFileSync(process.execPath, ['--experimental-sea-config', config], { stdio: 'inherit' });
  const executable = join(work, 'vipctl');
  await copyFile(process.execPath, executable);
  execFileSync(
    join(root, 'node_modules', '.bin', 'postject'),
    [executable, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2'],
    { stdio: 'inherit' },
  );
  await chmod(executable, 0o755);
  console.log(
    `${executable}: ${((await stat(executable)).size / 1024 / 1024).toFixed(1)} MiB (single executable)`,
  );
}
