/**
 * Baseline 2: ClusterLabs' `aws-vpc-move-ip` (Debian `resource-agents`), the Pacemaker agent most
 * overlay-IP clusters use, run as Pacemaker runs its `start` on the new node, against local AWS. Two
 * changes only:
 * - its instance metadata address (hard-coded http://169.254.169.254) points at local AWS's metadata
 *   service for the new node (a copy of the script with that address replaced, nothing else);
 * - `ip` is a recording stub first on PATH (bench/ip-stub.sh), so the host's interfaces are untouched.
 * Its AWS CLI calls reach local AWS through AWS_ENDPOINT_URL, with a `default` profile of dummy keys.
 *
 * What it does, read from the agent: for each route table of its `routing_table` parameter, a
 * DescribeRouteTables then `sleep 1` (monitor), a ReplaceRoute to the node's ENI then `sleep 1`, and once
 * more a DescribeRouteTables then `sleep 1` (monitor after start). It writes only the tables it is given:
 * the new node's VPC. https://github.com/ClusterLabs/resource-agents/blob/main/heartbeat/aws-vpc-move-ip
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { macOf } from '../local/imds';
import type { Topology } from '../tasks/topology';
import { awsCliEnv } from './aws-cli';
import { RAW_DIR, ROOT, spawnTimed } from './harness';

export const MOVE_IP_AGENT = '/usr/lib/ocf/resource.d/heartbeat/aws-vpc-move-ip';
const OCF_ROOT = '/usr/lib/ocf';
/**
 * The agent's metadata address (IMDS's link-local IPv4 address), the only text of it that is replaced.
 * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instancedata-data-retrieval.html
 */
const IMDS_ADDRESS = 'http://169.254.169.254';
/** An interface name no host has: the agent then asks `ip` (the stub) for its MAC, not /sys/class/net. */
const INTERFACE = 'vipbench0';

export interface MoveIpRun {
  readonly wallMs: number;
  readonly exitCode: number;
  /** AWS CLI calls by EC2 action, as local AWS counted them. */
  readonly calls: Record<string, number>;
  /** Route writes that succeeded. */
  readonly writes: number;
  /** `sleep 1` calls the agent made after its AWS calls (one per call). */
  readonly sleepS: number;
  /** The `ip` commands it ran, in order. */
  readonly ipCommands: string[];
  /** The tail of its log when it did not exit 0. */
  readonly error?: string;
}

/** Why the agent cannot run here, or undefined when it can. */
export function moveIpMissing(): string | undefined {
  if (!existsSync(MOVE_IP_AGENT)) {
    return `${MOVE_IP_AGENT} not found (Debian: apt-get install resource-agents; scripts/bench-setup.sh does it as root)`;
  }
  if (!existsSync(`${OCF_ROOT}/lib/heartbeat/ocf-shellfuncs`))
    return `${OCF_ROOT}/lib/heartbeat/ocf-shellfuncs not found`;
  return undefined;
}

/** The agent's text with its metadata address pointed at `imds`; fails when the agent has none. */
export function pointAgentAt(agent: string, imds: string): string {
  const occurrences = agent.split(IMDS_ADDRESS).length - 1;
  if (occurrences === 0)
    throw new Error(`${MOVE_IP_AGENT} has no ${IMDS_ADDRESS}: it changed, review bench/move-ip.ts`);
  return agent.replaceAll(IMDS_ADDRESS, imds);
}

/**
 * Runs the agent's `start` for `node` against local AWS at `url`: it moves `vip` in the tables of the
 * node's VPC. Returns its time and what it did.
 */
export async function moveIpStart(
  cli: { path: string },
  url: string,
  topology: Topology,
  node: string,
  callsOf: () => Record<string, number>,
): Promise<Omit<MoveIpRun, 'writes'>> {
  const described = topology.nodes[node];
  const vpc = described ? topology.vpcs[described.vpc] : undefined;
  if (!described || !vpc) throw new Error(`node ${node} is not in the topology`);
  const dir = `${RAW_DIR}move-ip/`;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(`${dir}bin`, { recursive: true });
  const agent = `${dir}aws-vpc-move-ip`;
  writeFileSync(agent, pointAgentAt(readFileSync(MOVE_IP_AGENT, 'utf8'), `${url}/_imds/${node}`), {
    mode: 0o755,
  });
  writeFileSync(`${dir}bin/ip`, readFileSync(`${ROOT}bench/ip-stub.sh`), { mode: 0o755 });
  const vip = topology.vips[0]?.replace(/\/32$/, '');
  if (!vip) throw new Error('the topology has no VIP');
  const env = {
    ...awsCliEnv(url, vpc.region),
    PATH: `${dir}bin:${process.env.PATH ?? '/usr/bin:/bin'}`,
    OCF_ROOT,
    OCF_FUNCTIONS_DIR: `${OCF_ROOT}/lib/heartbeat`,
    OCF_RESOURCE_INSTANCE: 'vip',
    OCF_RESKEY_awscli: cli.path,
    OCF_RESKEY_profile: 'default',
    OCF_RESKEY_region: vpc.region,
    OCF_RESKEY_ip: vip,
    OCF_RESKEY_routing_table: vpc.routeTables.join(','),
    OCF_RESKEY_interface: INTERFACE,
    // Logs to stderr, not to a log daemon or syslog.
    HA_LOGD: 'no',
    HA_LOGFACILITY: 'none',
    HA_debug: '0',
    BENCH_IP_LOG: `${dir}ip.log`,
    BENCH_IP_STATE: `${dir}ip.state`,
    BENCH_IP_MAC: macOf(described.eni),
  };
  const run = await spawnTimed('sh', [agent, 'start'], env, 300_000);
  const ipCommands = existsSync(env.BENCH_IP_LOG)
    ? readFileSync(env.BENCH_IP_LOG, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
    : [];
  const calls = callsOf();
  const awsCalls = Object.values(calls).reduce((a, b) => a + b, 0);
  return {
    wallMs: run.wallMs,
    exitCode: run.code,
    calls,
    // The agent sleeps 1 s after every AWS call it makes.
    sleepS: awsCalls,
    ipCommands,
    ...(run.code === 0
      ? {}
      : { error: `${run.stdout}${run.stderr}`.trim().split('\n').slice(-5).join(' / ') }),
  };
}
