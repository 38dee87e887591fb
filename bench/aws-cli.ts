/**
 * Baseline 1: the AWS CLI, one process per call, one call after another, which is what resource agents
 * and hand-written failover scripts do. The CLI is whatever `aws` the machine has (the bench set-up,
 * scripts/bench-setup.sh, installs Debian's `awscli` where none is found); when there is none the
 * baseline is reported as not run, with the reason, and never stood in for.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import type { Change } from './change';
import { RAW_DIR, spawnTimed } from './harness';
import { startOriginProxy } from './origin-proxy';

export type AwsCli = { readonly path: string; readonly version: string } | { readonly error: string };

/**
 * The `aws` on PATH. A pyenv shim is resolved to the executable it runs (`pyenv which aws`): the shim
 * adds a bash and `pyenv exec` hop to every call that is no part of the AWS CLI.
 */
export function findAwsCli(): AwsCli {
  const found = spawnSync('sh', ['-c', 'command -v aws'], { encoding: 'utf8' });
  let path = found.stdout.trim();
  if (found.status !== 0 || path === '') {
    return {
      error: 'no `aws` on PATH (Debian: apt-get install awscli; scripts/bench-setup.sh does it as root)',
    };
  }
  if (path.includes('/.pyenv/shims/')) {
    const resolved = spawnSync('pyenv', ['which', 'aws'], { encoding: 'utf8' });
    if (resolved.status === 0 && resolved.stdout.trim() !== '') path = resolved.stdout.trim();
  }
  const version = spawnSync(path, ['--version'], { encoding: 'utf8' });
  const text = `${version.stdout}${version.stderr}`.trim();
  if (version.status !== 0) return { error: `\`${path} --version\` failed: ${text.slice(0, 200)}` };
  return { path, version: text.split(/\s+/)[0] ?? text };
}

/**
 * The AWS CLI's environment against local AWS (`endpoint`, for callers that pass no --endpoint-url):
 * static dummy credentials, also in a `default` profile (the CLI ignores AWS_ACCESS_KEY_ID when a
 * script passes `--profile`, as aws-vpc-move-ip does), the metadata service off, the region in
 * AWS_DEFAULT_REGION (what CLI v1 reads; this machine's TOOLCHAIN notes found it ignores AWS_REGION).
 * https://docs.aws.amazon.com/cli/v1/userguide/cli-configure-envvars.html
 * https://docs.aws.amazon.com/cli/v1/topic/config-vars.html
 */
export function awsCliEnv(endpoint: string, region: string): Record<string, string> {
  const dir = `${RAW_DIR}aws-cli/`;
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}credentials`, '[default]\naws_access_key_id = test\naws_secret_access_key = test\n');
  writeFileSync(`${dir}config`, `[default]\nregion = ${region}\noutput = json\n`);
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: dir,
    AWS_CONFIG_FILE: `${dir}config`,
    AWS_SHARED_CREDENTIALS_FILE: `${dir}credentials`,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_DEFAULT_REGION: region,
    AWS_EC2_METADATA_DISABLED: 'true',
    // For aws-vpc-move-ip, which passes no --endpoint-url; honoured by the AWS CLI as by the SDKs.
    // https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html
    AWS_ENDPOINT_URL: endpoint,
  };
}

/** The AWS CLI arguments of one route change: the same Replace call the workflow makes. */
export function awsCliArgs(change: Change): string[] {
  // https://docs.aws.amazon.com/cli/latest/reference/ec2/replace-route.html
  // https://docs.aws.amazon.com/cli/latest/reference/ec2/replace-transit-gateway-route.html
  return change.kind === 'vpc'
    ? [
        'ec2',
        'replace-route',
        '--region',
        change.region,
        '--route-table-id',
        change.table,
        // VPC tables take an IPv6 VIP as DestinationIpv6CidrBlock; TGW tables take both families as
        // DestinationCidrBlock (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ReplaceRoute.html,
        // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ReplaceTransitGatewayRoute.html).
        change.vip.includes(':') ? '--destination-ipv6-cidr-block' : '--destination-cidr-block',
        change.vip,
        change.target.startsWith('eni-') ? '--network-interface-id' : '--transit-gateway-id',
        change.target,
      ]
    : [
        'ec2',
        'replace-transit-gateway-route',
        '--region',
        change.region,
        '--transit-gateway-route-table-id',
        change.table,
        '--destination-cidr-block',
        change.vip,
        '--transit-gateway-attachment-id',
        change.target,
      ];
}

/**
 * Makes every change with one `aws` process each, one after another, from `origin` (the cluster node's
 * region); returns the wall time from the first spawn to the last exit. A failed call ends the run with
 * its error: the baseline is then reported as failed, not timed.
 */
export async function awsCliRun(
  cli: { path: string },
  url: string,
  origin: string,
  changes: readonly Change[],
): Promise<number> {
  const proxy = await startOriginProxy(url, origin);
  try {
    const env = awsCliEnv(proxy.url, origin);
    const started = performance.now();
    for (const change of changes) {
      const args = [...awsCliArgs(change), '--endpoint-url', proxy.url];
      const call = await spawnTimed(cli.path, args, env, 120_000);
      if (call.code !== 0) {
        throw new Error(
          `aws ${awsCliArgs(change).slice(0, 2).join(' ')} exited ${call.code}: ${call.stderr.trim().slice(-300)}`,
        );
      }
    }
    return performance.now() - started;
  } finally {
    await proxy.close();
  }
}
