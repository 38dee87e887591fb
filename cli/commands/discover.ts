/**
 * `vipctl discover`: writes cluster.yaml by reading AWS, given the VIPs and each node's instance and
 * region. Reads with tasks/ec2/discovery-reads.ts, builds and checks the topology with tasks/discover.ts, and validates
 * the written text with the same parser every other command uses.
 */
import { writeFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { type AccountAccess, CLI_SESSION_NAME } from '../../tasks/accounts';
import {
  buildTopology,
  type DiscoveredFacts,
  DiscoveryError,
  renderTopologyYaml,
} from '../../tasks/discover';
import { ec2ClientFor } from '../../tasks/ec2/clients';
import {
  type DiscoveredInstance,
  type DiscoveredTransitGateway,
  type DiscoveredVpc,
  discoverInstance,
  discoverTransitGateway,
  discoverTransitGatewayOwner,
  discoverVpc,
} from '../../tasks/ec2/discovery-reads';
import { parseTopology } from '../../tasks/topology';
import { localCredentials } from '../aws/clients';
import { agentFactory } from '../aws/network';
import { usageError } from '../core/cli-error';
import type { CommandContext } from '../core/context';
import { ExitCode } from '../core/exit-codes';
import type { AccountSpec, NodeSpec, VpcSpec } from './discover-options';

export interface DiscoverOptions {
  readonly vip?: readonly string[];
  readonly node?: readonly NodeSpec[];
  readonly clientVpc?: readonly VpcSpec[];
  /** Other accounts' access roles (`--account`), for RAM-shared TGWs and client VPCs they own. */
  readonly account?: readonly AccountSpec[];
  readonly cluster?: string;
  readonly output?: string;
}

/** The cluster name when none is given. */
const DEFAULT_CLUSTER = 'vip-cluster';

export async function discoverCommand(ctx: CommandContext, options: DiscoverOptions): Promise<number> {
  const vips = options.vip ?? [];
  const nodes = options.node ?? [];
  const clientVpcs = options.clientVpc ?? [];
  if (vips.length === 0) throw usageError('no VIP given', 'add --vip 172.16.0.1/32 (repeat for more VIPs)');
  if (nodes.length === 0)
    throw usageError('no node given', 'add --node <name>=<instance-id>@<region> for every cluster node');

  const { globals, io } = ctx;
  const credentials = localCredentials(globals, io.env);
  const ec2 = ec2ClientFor({
    ...(globals.endpointUrl ? { endpoint: globals.endpointUrl } : {}),
    ...(credentials ? { credentials } : {}),
    budgetMs: 5000,
    maxAttempts: 3,
    agents: agentFactory(io.env),
    // AssumeRole (tasks/ec2/assume-role.ts) at the same endpoint as EC2 when one is given (local AWS).
    ...(globals.endpointUrl ? { assumeRole: { endpoint: globals.endpointUrl } } : {}),
  });
  const roles = options.account ?? [];
  const accessOf = (account: string): AccountAccess | undefined => {
    const role = roles.find((r) => r.id === account);
    return role && { ...role, sessionName: CLI_SESSION_NAME };
  };
  const owners: Record<string, string> = {};
  const withoutRole: { account: string; resource: string }[] = [];

  ctx.note(`reading ${nodes.length} instance${nodes.length === 1 ? '' : 's'}...`);
  const instances: Record<string, DiscoveredInstance> = {};
  await Promise.all(
    nodes.map(async (node) => {
      const found = await discoverInstance(ec2(node.region), node.region, node.instanceId);
      if (found) instances[node.name] = found;
    }),
  );

  const vpcRegions = new Map<string, string>();
  for (const instance of Object.values(instances)) vpcRegions.set(instance.vpcId, instance.region);
  for (const client of clientVpcs)
    if (!vpcRegions.has(client.vpcId)) vpcRegions.set(client.vpcId, client.region);
  ctx.note(`reading ${vpcRegions.size} VPC${vpcRegions.size === 1 ? '' : 's'} and their route tables...`);
  const home = Object.values(instances).find((i) => i.account)?.account;
  const clientIds = new Set(clientVpcs.map((c) => c.vpcId));
  const vpcs: Record<string, DiscoveredVpc> = {};
  await Promise.all(
    [...vpcRegions].map(async ([vpcId, region]) => {
      const found = await discoverVpc(ec2(region), region, vpcId);
      if (found) vpcs[vpcId] = found;
      // A client VPC the caller does not see may be another account's: ask each account given a role.
      else if (clientIds.has(vpcId))
        for (const role of roles) {
          const theirs = await discoverVpc(ec2(region, accessOf(role.id)), region, vpcId);
          if (!theirs) continue;
          vpcs[vpcId] = theirs;
          owners[vpcId] = role.id;
          break;
        }
    }),
  );

  // Only the TGWs the VPCs are attached to: other TGWs of the account are none of the cluster's business.
  // Each is asked for its owner by the account that read the VPC attached to it, which sees it.
  const tgwRegions = new Map<string, string>();
  const tgwSeenBy = new Map<string, string | undefined>();
  for (const vpc of Object.values(vpcs)) {
    for (const a of vpc.attachments)
      if (a.state === 'available') {
        tgwRegions.set(a.transitGatewayId, vpc.region);
        tgwSeenBy.set(a.transitGatewayId, owners[vpc.id]);
      }
  }
  ctx.note(
    `reading ${tgwRegions.size} transit gateway${tgwRegions.size === 1 ? '' : 's'} and their peerings...`,
  );
  const transitGateways: Record<string, DiscoveredTransitGateway> = {};
  await Promise.all(
    [...tgwRegions].map(async ([id, region]) => {
      const seenBy = tgwSeenBy.get(id);
      const reader = seenBy === undefined ? undefined : accessOf(seenBy);
      const owner = (await discoverTransitGatewayOwner(ec2(region, reader), id)) ?? seenBy ?? home;
      if (owner === undefined || owner === home) {
        transitGateways[id] = await discoverTransitGateway(ec2(region), region, id);
        return;
      }
      // A RAM-shared TGW: only its owner reads (and writes) its route tables and peerings.
      owners[id] = owner;
      const access = accessOf(owner);
      if (access) transitGateways[id] = await discoverTransitGateway(ec2(region, access), region, id);
      else
        withoutRole.push({
          account: owner,
          resource: `transit gateway ${id} (${region}) and its route tables`,
        });
    }),
  );

  const facts: DiscoveredFacts = {
    instances,
    vpcs,
    transitGateways,
    ...(home ? { account: home } : {}),
    owners,
    roles,
    withoutRole,
  };
  let discovery: ReturnType<typeof buildTopology>;
  try {
    discovery = buildTopology(
      { cluster: options.cluster ?? DEFAULT_CLUSTER, vips, nodes, clientVpcs },
      facts,
    );
  } catch (error) {
    if (error instanceof DiscoveryError)
      throw usageError(
        error.message,
        'fix the resources in AWS, or start from examples/two-region.yaml and edit it',
        {
          cause: error,
        },
      );
    throw error;
  }

  const t = discovery.topology;
  const text = renderTopologyYaml(discovery, [
    `Written by vipctl discover${t.account ? ` from account ${t.account}` : ''}: ${summary(t)}.`,
    'Keys are names of your choice (rename them freely, references too); values are AWS IDs.',
    '',
  ]);
  const output =
    options.output && (isAbsolute(options.output) ? options.output : resolve(io.cwd, options.output));
  // The same checks every command applies to the file: a VIP inside a VPC CIDR, for example, stops here.
  parseTopology(text, output ?? 'discovered topology');

  if (output) {
    await writeFile(output, text, 'utf8');
    ctx.print(`wrote ${output}: ${summary(t)}`);
  } else if (!globals.json) {
    io.stdout.write(text);
  }
  ctx.printJson({ topology: t, ...(output ? { output } : {}) });
  return ExitCode.Ok;
}

function summary(t: ReturnType<typeof buildTopology>['topology']): string {
  const count = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const tables =
    Object.values(t.vpcs).reduce((n, v) => n + v.routeTables.length, 0) +
    Object.values(t.transitGateways).reduce((n, g) => n + g.routeTables.length, 0);
  return [
    count(Object.keys(t.nodes).length, 'node'),
    count(Object.keys(t.vpcs).length, 'VPC'),
    count(Object.keys(t.transitGateways).length, 'transit gateway'),
    count(t.peerings.length, 'peering'),
    count(tables, 'route table'),
  ].join(', ');
}
