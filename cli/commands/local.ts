/**
 * `vipctl local`: runs local AWS (local/) on 127.0.0.1, seeded from the topology file, prints what
 * another shell needs to use it, and runs until SIGINT or SIGTERM. Resolves only after shutdown.
 */
import { isAbsolute, resolve } from 'node:path';
import { localEnvironment } from '../../local/client-env';
import { usageError } from '../core/cli-error';
import { loadConfig, requireNode } from '../core/config';
import type { CommandContext } from '../core/context';
import { ExitCode } from '../core/exit-codes';

export interface LocalOptions {
  readonly port: number;
  readonly active?: string;
  /** False with --no-vip-routes. */
  readonly vipRoutes: boolean;
  readonly profile: 'off' | 'realistic';
  readonly state?: string;
  readonly ec2Endpoint?: string;
  readonly latencyMs?: number;
  readonly crossRegionMs?: number;
  readonly coldStartMs?: number;
  readonly transitionMs?: number;
  readonly throttle?: boolean;
  readonly log?: boolean;
  readonly dataPlane?: boolean;
  readonly vipOn: 'all' | 'none';
  readonly clients: number;
  readonly propagationMs: number;
}

export async function localCommand(ctx: CommandContext, options: LocalOptions): Promise<number> {
  const untilSignal = ctx.io.untilSignal;
  if (!untilSignal)
    throw usageError('vipctl local runs until interrupted, and nothing here can interrupt it');
  const topology = await loadConfig(ctx);
  if (options.active !== undefined && !options.vipRoutes)
    throw usageError('--active and --no-vip-routes contradict each other', 'pass one of them');
  const active = options.vipRoutes
    ? options.active && requireNode(topology, options.active, '--active')
    : null;
  const profile = modelProfile(ctx, options);
  const statePath =
    options.state && (isAbsolute(options.state) ? options.state : resolve(ctx.io.cwd, options.state));

  if (options.dataPlane) {
    if (options.ec2Endpoint)
      throw usageError('--data-plane needs EC2 served here', 'drop --ec2-endpoint or --data-plane');
    const { dataPlaneMissing } = await import('../../local/data-plane/netns');
    const missing = dataPlaneMissing();
    if (missing) throw usageError(`--data-plane: ${missing}`, 'nothing was changed on this machine');
  }
  const { startCliLocalAws } = await import('../aws/local-aws');
  let aws: Awaited<ReturnType<typeof startCliLocalAws>>;
  try {
    aws = await startCliLocalAws({
      topology,
      ...(active === undefined ? {} : { active }),
      port: options.port,
      profile,
      ...(statePath ? { statePath } : {}),
      ...(options.ec2Endpoint ? { ec2Endpoint: options.ec2Endpoint } : {}),
      ...(options.log ? { log: (line: string) => ctx.note(line) } : {}),
      ...(options.dataPlane
        ? {
            dataPlane: {
              vipOn: options.vipOn,
              clients: options.clients,
              propagationMs: options.propagationMs,
            },
          }
        : {}),
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE')
      throw usageError(
        `port ${options.port} on 127.0.0.1 is in use`,
        'pick another with --port, or --port 0 for a free one',
        {
          cause: error,
        },
      );
    throw error;
  }

  try {
    const latency = {
      ...(options.latencyMs === undefined ? {} : { withinRegionMs: options.latencyMs }),
      ...(options.crossRegionMs === undefined ? {} : { crossRegionMs: options.crossRegionMs }),
    };
    aws.models.update({
      ...(Object.keys(latency).length > 0 ? { latency } : {}),
      ...(options.coldStartMs === undefined ? {} : { coldStartMs: options.coldStartMs }),
      ...(options.transitionMs === undefined ? {} : { transitionMs: options.transitionMs }),
      ...(options.throttle ? { throttle: { enabled: true } } : {}),
    });

    const env = localEnvironment(aws.url, options.ec2Endpoint);
    const seeded = options.ec2Endpoint
      ? `EC2 at ${options.ec2Endpoint}`
      : active === null
        ? 'no VIP routes seeded'
        : `VIP routes lead to ${active ?? Object.keys(topology.nodes)[0]}`;
    ctx.print(`local AWS for cluster ${topology.cluster} listening on ${aws.url} (port ${aws.port})`);
    ctx.print(`  account ${aws.account}; ${seeded}; models: ${profile}`);
    const others = Object.entries(topology.accounts ?? {});
    if (others.length > 0)
      ctx.print(
        `  other accounts: ${others.map(([key, a]) => `${key} ${a.id}`).join(', ')} (their tables are written through their access roles; /_local/access takes one away)`,
      );
    ctx.print('');
    ctx.print('In another shell:');
    for (const [name, value] of Object.entries(env)) ctx.print(`  export ${name}=${value}`);
    ctx.print(`  vipctl --config ${ctx.globals.config} status`);
    ctx.print('');
    ctx.print(
      `Control: ${aws.url}/_local/state, /_local/models, /_local/outage, /_local/faults, /_local/imds`,
    );
    if (aws.dataPlane) {
      const namespaces = Object.entries(aws.dataPlane.view().namespaces);
      ctx.print(
        `Data plane: ${namespaces.length} namespaces (${aws.url}/_local/data-plane); VIPs on ${options.vipOn === 'all' ? 'every node' : 'no node'}`,
      );
      for (const [key, n] of namespaces.filter(([, n]) => n.role === 'client' || n.role === 'node'))
        ctx.print(
          `  ${key.padEnd(18)} ${n.role.padEnd(6)} ${n.address.padEnd(15)} ip netns exec ${n.netns} ...`,
        );
      ctx.print(`  vipctl probe --endpoint-url ${aws.url}    # packets from every client to every VIP`);
    }
    ctx.print('Press Ctrl-C to stop.');
    ctx.printJson({
      url: aws.url,
      port: aws.port,
      account: aws.account,
      env,
      ...(aws.dataPlane ? { dataPlane: aws.dataPlane.view() } : {}),
    });

    const signal = await untilSignal();
    ctx.note(`${signal}: stopping local AWS...`);
  } finally {
    await aws.close();
  }
  ctx.note('local AWS stopped');
  return ExitCode.Ok;
}

const PROFILES = ['off', 'realistic'] as const;

/**
 * The models' profile. The program's global `--profile` (an AWS profile) is parsed wherever it
 * appears, so `vipctl local --profile realistic` arrives there; an AWS profile means nothing to
 * local AWS, which signs nothing and checks no credentials.
 */
function modelProfile(ctx: CommandContext, options: LocalOptions): LocalOptions['profile'] {
  const given = ctx.globals.profile;
  if (given === undefined || given === ctx.io.env.AWS_PROFILE) return options.profile;
  const known = PROFILES.find((p) => p === given);
  if (!known)
    throw usageError(
      `--profile ${given}: the models' profile of vipctl local is off or realistic`,
      'e.g. --profile realistic',
    );
  return known;
}
