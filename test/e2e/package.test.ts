/**
 * The cluster-node artifact alone: `npm run package` builds it, and it runs unpacked in an empty
 * directory with no node_modules anywhere above, against local AWS. install.sh installs it twice
 * into a temporary prefix.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalAws, startLocalAws } from '../../local/index';
import { desiredRoutes } from '../../tasks/routing';
import { parseTopology, type Topology } from '../../tasks/topology';
import { cleanEnv, EXAMPLE, ROOT, start } from './local-harness';

const run = promisify(execFile);
const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };

let aws: LocalAws;
let topology: Topology;
let tarball: string;
let unpacked: string;

beforeAll(async () => {
  const out = mkdtempSync(join(tmpdir(), 'vipctl-artifact-'));
  const built = await run(process.execPath, [join(ROOT, 'scripts', 'package.mjs'), '--out', out], {
    cwd: ROOT,
  });
  const name = readdirSync(out).find((f) => f.endsWith('.tar.gz'));
  if (!name) throw new Error(`no tarball in ${out}: ${built.stdout}${built.stderr}`);
  tarball = join(out, name);
  const empty = mkdtempSync(join(tmpdir(), 'vipctl-node-'));
  await run('tar', ['-xzf', tarball, '-C', empty]);
  unpacked = join(empty, name.replace(/\.tar\.gz$/, ''));
  topology = parseTopology(readFileSync(EXAMPLE, 'utf8'), EXAMPLE);
  aws = await startLocalAws({ topology, port: 0, active: 'server-a' });
}, 180_000);
afterAll(async () => {
  await aws?.close();
});

/** Runs a program of the unpacked artifact with only PATH (for node) and local AWS in its environment. */
function node(command: string, args: string[], extra: Record<string, string> = {}) {
  return start(
    command,
    args,
    cleanEnv({
      AWS_ENDPOINT_URL: aws.url,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      ...extra,
    }),
    unpacked,
  ).finished;
}

function routesLeadTo(target: string): boolean {
  return desiredRoutes(topology, target).every(
    (want) => aws.world.findRoute(want.region, want.table, want.vip)?.target === want.target,
  );
}

describe('the cluster-node artifact', () => {
  it('is named vipctl-<version>-linux-<arch>.tar.gz and holds no node_modules, CDK or local AWS', async () => {
    const listing = (await run('tar', ['-tzf', tarball])).stdout.split('\n').filter(Boolean);
    const lib = join(unpacked, 'lib');
    const bundle = [
      join(lib, 'vipctl.mjs'),
      ...readdirSync(join(lib, 'chunks')).map((f) => join(lib, 'chunks', f)),
    ]
      .map((file) => readFileSync(file, 'utf8'))
      .join('\n');

    expect(tarball).toMatch(new RegExp(`vipctl-${version}-linux-${process.arch}\\.tar\\.gz$`));
    expect(listing.filter((entry) => entry.includes('node_modules'))).toEqual([]);
    for (const file of [
      'bin/vipctl',
      'lib/vipctl.mjs',
      'install.sh',
      'pacemaker/vipctl',
      'expresscluster/start.sh',
      'expresscluster/genw.sh',
      'expresscluster/stop.sh',
      'examples/two-region.yaml',
    ])
      expect(listing).toContain(`vipctl-${version}-linux-${process.arch}/${file}`);
    for (const absent of ['aws-cdk-lib', 'aws-local-stepfunctions', 'cdk-nag', 'node_modules'])
      expect(bundle).not.toContain(absent);
  });

  it('runs unpacked where no node_modules lies above: --help, check, failover', async () => {
    for (let dir = unpacked; dirname(dir) !== dir; dir = dirname(dir))
      expect(existsSync(join(dir, 'node_modules')), dir).toBe(false);
    const vipctl = join(unpacked, 'bin', 'vipctl');
    const config = ['--config', join(unpacked, 'examples', 'two-region.yaml')];

    const help = await node(vipctl, ['--help']);
    const checked = await node(vipctl, [...config, 'check', '--active', 'server-a']);
    const failedOver = await node(vipctl, [...config, 'failover', '--to', 'server-b', '--timeout', '60']);
    const after = await node(vipctl, [...config, 'check', '--active', 'server-b']);

    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: vipctl');
    expect(checked.stdout).toContain('converged: every VIP route leads to server-a');
    expect(checked.code).toBe(0);
    expect(failedOver.code).toBe(0);
    expect(routesLeadTo('server-b')).toBe(true);
    expect(after.code).toBe(0);
  });

  it('says that local and demo belong to the repository (exit 2)', async () => {
    const demo = await node(join(unpacked, 'bin', 'vipctl'), ['demo']);

    expect(demo.code).toBe(2);
    expect(demo.stderr).toContain('not part of the cluster-node artifact');
  });

  it('install.sh installs into a prefix and links vipctl; a second run changes nothing', async () => {
    const target = mkdtempSync(join(tmpdir(), 'vipctl-install-'));
    const prefix = join(target, 'opt', 'tgw-vip-failover');
    const bin = join(target, 'bin');
    const ocf = join(target, 'ocf');
    const install = ['--prefix', prefix, '--bin-dir', bin, '--ocf'];

    const first = await node('/bin/sh', [join(unpacked, 'install.sh'), ...install], { OCF_ROOT: ocf });
    const filesAfterFirst = (await run('find', [target, '-printf', '%P %y %l\\n'])).stdout;
    const second = await node('/bin/sh', [join(unpacked, 'install.sh'), ...install], { OCF_ROOT: ocf });
    const filesAfterSecond = (await run('find', [target, '-printf', '%P %y %l\\n'])).stdout;
    const help = await node(join(bin, 'vipctl'), ['--help']);

    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(second.code).toBe(0);
    expect(filesAfterSecond).toBe(filesAfterFirst);
    expect(filesAfterFirst).toContain(`bin/vipctl l ${prefix}/bin/vipctl`);
    expect(existsSync(join(ocf, 'resource.d', 'tgw-vip-failover', 'vipctl'))).toBe(true);
    expect(help.code).toBe(0);
  });
});
