/**
 * `vipctl discover`, the pure half: turns what was read from AWS (instances, VPCs, transit gateways,
 * peerings) into a topology, refuses what is ambiguous, and writes the topology file with comments
 * that say what was found. No AWS, no clock, no environment: tasks/ec2/discovery-reads.ts does the reading.
 */
import type {
  DiscoveredInstance,
  DiscoveredPeering,
  DiscoveredTransitGateway,
  DiscoveredVpc,
} from './ec2/discovery-reads';
import type { Topology } from './topology';

/** What the user asked for: the VIPs, the nodes by instance and region, and client VPCs. */
export interface DiscoveryRequest {
  readonly cluster: string;
  readonly vips: readonly string[];
  readonly nodes: readonly { readonly name: string; readonly instanceId: string; readonly region: string }[];
  readonly clientVpcs: readonly { readonly vpcId: string; readonly region: string }[];
}

/** What was read from AWS. A node or VPC missing from these maps was not found. */
export interface DiscoveredFacts {
  /** Node name -> its instance. */
  readonly instances: Readonly<Record<string, DiscoveredInstance>>;
  /** VPC ID -> the VPC. */
  readonly vpcs: Readonly<Record<string, DiscoveredVpc>>;
  /** Transit gateway ID -> the TGW. */
  readonly transitGateways: Readonly<Record<string, DiscoveredTransitGateway>>;
  readonly account?: string;
  /** Resource ID (VPC, TGW) -> its owner account ID, when that is not `account`. */
  readonly owners?: Readonly<Record<string, string>>;
  /** The other accounts' access roles discover was given; they make the topology's `accounts`. */
  readonly roles?: readonly AccountRole[];
  /** What could not be read because no role of its owner account was given. */
  readonly withoutRole?: readonly { readonly account: string; readonly resource: string }[];
}

/** Another account's access role as `vipctl discover --account` gives it. */
export interface AccountRole {
  readonly key: string;
  readonly id: string;
  readonly role: string;
  readonly externalId?: string;
}

/** A topology built from AWS, with a comment for each entry saying what it was built from. */
export interface Discovery {
  readonly topology: Topology;
  /** Comments keyed by `nodes.<name>`, `vpcs.<name>`, `transitGateways.<name>`, `peerings.<i>`, or an ID. */
  readonly comments: Readonly<Record<string, string>>;
}

/** AWS was read, but what it says cannot be written down as one topology without guessing. */
export class DiscoveryError extends Error {
  override name = 'DiscoveryError';
  constructor(readonly problems: readonly string[]) {
    super(
      `cannot write a topology: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n${problems
        .map((p) => `  - ${p}`)
        .join('\n')}`,
    );
  }
}

/** Attachment and peering states that carry traffic. */
const USABLE = 'available';

/** A name usable as a topology key: lowercase letters, digits and `-`, at most 48 characters. */
function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^[-_]+|[-_]+$/g, '')
    .slice(0, 48);
}

/** Hands out unique keys: the first choice when free, else the choice with -2, -3, ... */
function namer(): (choice: string) => string {
  const taken = new Set<string>();
  return (choice) => {
    let name = choice;
    for (let i = 2; taken.has(name); i++) name = `${choice.slice(0, 45)}-${i}`;
    taken.add(name);
    return name;
  };
}

/** Builds the topology, or throws {@link DiscoveryError} listing every ambiguity found. */
export function buildTopology(request: DiscoveryRequest, facts: DiscoveredFacts): Discovery {
  const problems: string[] = [...missingRoles(facts.withoutRole ?? [])];
  const comments: Record<string, string> = {};
  const unread = new Set((facts.withoutRole ?? []).map((w) => w.resource));
  const usedAccounts = new Set<string>();
  /** `{ account: key }` for a resource of another account (the key of its role), else nothing. */
  const ownedBy = (id: string): { account?: string } => {
    const owner = facts.owners?.[id];
    const role = owner === undefined ? undefined : facts.roles?.find((r) => r.id === owner);
    if (!role || owner === facts.account) return {};
    usedAccounts.add(role.key);
    return { account: role.key };
  };

  // --- nodes ------------------------------------------------------------------------------------
  const nodeVpcs = new Map<string, string[]>(); // VPC ID -> node names
  const seenInstances = new Map<string, string>();
  for (const node of request.nodes) {
    const instance = facts.instances[node.name];
    const other = seenInstances.get(node.instanceId);
    if (other) problems.push(`nodes ${other} and ${node.name} name the same instance ${node.instanceId}`);
    seenInstances.set(node.instanceId, node.name);
    if (!instance) {
      problems.push(
        `instance ${node.instanceId} of node ${node.name} was not found in ${node.region}: check the ID and the region (name=instance@region)`,
      );
      continue;
    }
    nodeVpcs.set(instance.vpcId, [...(nodeVpcs.get(instance.vpcId) ?? []), node.name]);
  }

  // --- VPCs: the nodes' first, then the clients' ------------------------------------------------
  const vpcName = namer();
  const vpcNames = new Map<string, string>(); // VPC ID -> key
  const vpcOrder = [
    ...[...nodeVpcs.entries()].map(([id, nodes]) => ({ id, choice: `${nodes[0]}-vpc`, role: nodes })),
    ...request.clientVpcs
      .filter((c) => !nodeVpcs.has(c.vpcId))
      .map((c, i) => ({ id: c.vpcId, choice: `client-${i + 1}`, role: [] as string[], region: c.region })),
  ];
  const vpcs: Topology['vpcs'] = {};
  const usedTgws = new Map<string, string>(); // TGW ID -> region
  const vpcAttachment = new Map<string, { id: string; transitGatewayId: string }>();
  for (const entry of vpcOrder) {
    const vpc = facts.vpcs[entry.id];
    const who =
      entry.role.length > 0 ? `VPC ${entry.id} of node ${entry.role.join(', ')}` : `VPC ${entry.id}`;
    if (!vpc) {
      const where = 'region' in entry ? ` in ${entry.region}` : '';
      const elsewhere =
        entry.role.length === 0
          ? "; a VPC of another account needs that account's access role (--account <key>=<role-arn>)"
          : '';
      problems.push(`${who} was not found${where}: check the ID and the region (vpc-…@region)${elsewhere}`);
      continue;
    }
    const usable = vpc.attachments.filter((a) => a.state === USABLE);
    if (usable.length === 0) {
      const others = vpc.attachments.map((a) => `${a.id} is ${a.state}`).join(', ');
      problems.push(
        `${who} has no available transit gateway attachment${others ? ` (${others})` : ''}: attach it to its region's transit gateway, or leave it out`,
      );
      continue;
    }
    if (usable.length > 1) {
      problems.push(
        `${who} has ${usable.length} transit gateway attachments (${usable
          .map((a) => `${a.id} to ${a.transitGatewayId}`)
          .join(
            ', ',
          )}): a VPC route to the VIP can point at one transit gateway only; detach the extra one or write the file by hand`,
      );
      continue;
    }
    if (vpc.routeTables.length === 0) {
      problems.push(`${who} has no route tables`);
      continue;
    }
    const attachment = usable[0]!;
    const name = vpcName(slug(vpc.name ?? '') || entry.choice);
    vpcNames.set(vpc.id, name);
    vpcAttachment.set(vpc.id, attachment);
    usedTgws.set(attachment.transitGatewayId, vpc.region);
    const subnets = vpc.routeTables.reduce((n, t) => n + t.subnets, 0);
    comments[`vpcs.${name}`] = [
      `${vpc.id}${vpc.name ? ` ${quote(vpc.name)}` : ''}`,
      entry.role.length > 0 ? `node ${entry.role.join(', ')}` : 'clients',
      `${plural(vpc.routeTables.length, 'route table')} for ${plural(subnets, 'subnet')}`,
    ].join(', ');
    for (const table of vpc.routeTables) {
      const what = [
        table.name ? quote(table.name) : '',
        table.main ? 'main' : '',
        plural(table.subnets, 'subnet'),
      ];
      comments[table.id] = what.filter(Boolean).join(', ');
    }
    vpcs[name] = {
      ...ownedBy(vpc.id),
      id: vpc.id,
      region: vpc.region,
      cidr: vpc.cidr,
      ...(vpc.ipv6Cidr ? { ipv6Cidr: vpc.ipv6Cidr } : {}),
      transitGateway: '', // filled in once the TGWs have names
      attachment: attachment.id,
      routeTables: vpc.routeTables.map((t) => t.id),
    };
  }

  // --- transit gateways ---------------------------------------------------------------------------
  const tgwName = namer();
  const tgwNames = new Map<string, string>();
  const transitGateways: Topology['transitGateways'] = {};
  for (const [id, region] of usedTgws) {
    const tgw = facts.transitGateways[id];
    if (!tgw) {
      if (!unread.has(id)) problems.push(`transit gateway ${id} in ${region} could not be read`);
      continue;
    }
    const live = tgw.routeTables;
    if (live.length === 0) {
      problems.push(`transit gateway ${id} in ${region} has no route tables`);
      continue;
    }
    const name = tgwName(`tgw-${region}`);
    tgwNames.set(id, name);
    const owner = ownedBy(id);
    comments[`transitGateways.${name}`] =
      `${id}${owner.account ? `, owned by account ${facts.owners?.[id]}` : ''}, ${plural(live.length, 'route table')}`;
    transitGateways[name] = { ...owner, id, region: tgw.region, routeTables: live.map((t) => t.id) };
  }
  for (const [vpcId, attachment] of vpcAttachment) {
    const vpc = vpcs[vpcNames.get(vpcId)!]!;
    vpc.transitGateway = tgwNames.get(attachment.transitGatewayId) ?? attachment.transitGatewayId;
  }

  // --- peerings between the found TGWs --------------------------------------------------------------
  const peerings: Topology['peerings'] = [];
  const candidates = new Map<string, DiscoveredPeering>();
  for (const tgw of Object.values(facts.transitGateways)) {
    for (const p of tgw.peerings) candidates.set(p.id, p);
  }
  const pairs = new Map<string, string>();
  const unusable: string[] = [];
  for (const peering of candidates.values()) {
    const [a, b] = peering.sides.map((s) => tgwNames.get(s.transitGatewayId));
    if (!a || !b) continue; // leads to a TGW no listed VPC uses
    if (peering.state !== USABLE) {
      unusable.push(`${peering.id} between ${a} and ${b} is ${peering.state}`);
      continue;
    }
    const pair = [a, b].sort().join(' and ');
    const first = pairs.get(pair);
    if (first) {
      problems.push(
        `${pair} are joined by two peering attachments (${first}, ${peering.id}): the VIP route can use one; delete the extra one or write the file by hand`,
      );
      continue;
    }
    pairs.set(pair, peering.id);
    comments[`peerings.${peerings.length}`] =
      `${transitGateways[a]?.region} <-> ${transitGateways[b]?.region}`;
    peerings.push({ between: [a, b], attachment: peering.id });
  }
  const names = Object.keys(transitGateways);
  const reached = reachable(names[0], peerings);
  for (const name of names) {
    if (!reached.has(name)) {
      problems.push(
        `transit gateway ${transitGateways[name]!.id} (${transitGateways[name]!.region}) is not joined to ${
          transitGateways[names[0]!]!.id
        } by available peering attachments${unusable.length > 0 ? ` (${unusable.join('; ')})` : ''}: peer the transit gateways, or leave that VPC out`,
      );
    }
  }

  if (problems.length > 0) throw new DiscoveryError(problems);

  const nodes: Topology['nodes'] = {};
  for (const node of request.nodes) {
    const instance = facts.instances[node.name]!;
    nodes[node.name] = {
      vpc: vpcNames.get(instance.vpcId)!,
      eni: instance.eniId,
      instance: instance.instanceId,
    };
    comments[`nodes.${node.name}`] = [
      instance.name ? quote(instance.name) : '',
      `${instance.state} in ${instance.region}`,
      instance.eniCount > 1 ? `primary ENI (device 0) of ${instance.eniCount}` : '',
    ]
      .filter(Boolean)
      .join(', ');
  }
  const account = facts.account;
  const accounts = Object.fromEntries(
    (facts.roles ?? [])
      .filter((r) => usedAccounts.has(r.key))
      .map(({ key, id, role, externalId }) => [key, { id, role, ...(externalId ? { externalId } : {}) }]),
  );
  return {
    topology: {
      cluster: request.cluster,
      ...(account ? { account } : {}),
      ...(Object.keys(accounts).length > 0 ? { accounts } : {}),
      vips: [...request.vips],
      nodes,
      vpcs,
      transitGateways,
      peerings,
    },
    comments,
  };
}

/** One problem per account whose resources could not be read, saying how to pass its role. */
function missingRoles(withoutRole: NonNullable<DiscoveredFacts['withoutRole']>): string[] {
  const byAccount = new Map<string, string[]>();
  for (const { account, resource } of withoutRole)
    byAccount.set(account, [...new Set([...(byAccount.get(account) ?? []), resource])]);
  return [...byAccount].map(
    ([account, resources]) =>
      `account ${account} owns ${resources.join(', ')}, which this account cannot read: pass that account's access role with --account <key>=arn:aws:iam::${account}:role/<name> (add ,externalId=<id> if its trust policy asks for one)`,
  );
}

function reachable(start: string | undefined, peerings: Topology['peerings']): Set<string> {
  const reached = new Set<string>(start === undefined ? [] : [start]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const { between } of peerings) {
      const [a, b] = between;
      if (reached.has(a) !== reached.has(b)) {
        reached.add(a);
        reached.add(b);
        grew = true;
      }
    }
  }
  return reached;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** A tag value inside a YAML comment: JSON escapes line breaks, so it stays on one line. */
const quote = (text: string): string => JSON.stringify(text.slice(0, 64));

const comment = (text: string | undefined): string => (text ? ` # ${text}` : '');

/** The topology file: the layout of examples/two-region.yaml, with a comment on every entry. */
export function renderTopologyYaml(discovery: Discovery, header: readonly string[] = []): string {
  const { topology: t, comments } = discovery;
  const lines: string[] = [...header.map((h) => `# ${h}`.trimEnd())];
  lines.push(`cluster: ${t.cluster}`);
  if (t.account) lines.push(`account: "${t.account}"`);
  const accounts = Object.entries(t.accounts ?? {});
  if (accounts.length > 0) lines.push('accounts:');
  for (const [key, a] of accounts) {
    const external = a.externalId ? `, externalId: ${JSON.stringify(a.externalId)}` : '';
    lines.push(`  ${key}: { id: "${a.id}", role: "${a.role}"${external} }`);
  }
  lines.push(`vips: [${t.vips.map((v) => (v.includes(':') ? `"${v}"` : v)).join(', ')}]`, '', 'nodes:');
  for (const [name, node] of Object.entries(t.nodes)) {
    lines.push(
      `  ${name}: { vpc: ${node.vpc}, eni: ${node.eni}, instance: ${node.instance} }${comment(comments[`nodes.${name}`])}`,
    );
  }
  lines.push('', 'vpcs:');
  for (const [name, vpc] of Object.entries(t.vpcs)) {
    lines.push(
      `  ${name}:${comment(comments[`vpcs.${name}`])}`,
      ...(vpc.account ? [`    account: ${vpc.account}`] : []),
      `    id: ${vpc.id}`,
      `    region: ${vpc.region}`,
      `    cidr: ${vpc.cidr}`,
      ...(vpc.ipv6Cidr ? [`    ipv6Cidr: "${vpc.ipv6Cidr}"`] : []),
      `    transitGateway: ${vpc.transitGateway}`,
      `    attachment: ${vpc.attachment}`,
      '    routeTables:',
      ...vpc.routeTables.map((table) => `      - ${table}${comment(comments[table])}`),
    );
  }
  lines.push('', 'transitGateways:');
  for (const [name, tgw] of Object.entries(t.transitGateways)) {
    lines.push(
      `  ${name}: { ${tgw.account ? `account: ${tgw.account}, ` : ''}id: ${tgw.id}, region: ${tgw.region}, routeTables: [${tgw.routeTables.join(', ')}] }${comment(
        comments[`transitGateways.${name}`],
      )}`,
    );
  }
  lines.push('', t.peerings.length > 0 ? 'peerings:' : 'peerings: []');
  t.peerings.forEach((p, i) => {
    lines.push(
      `  - { between: [${p.between.join(', ')}], attachment: ${p.attachment} }${comment(comments[`peerings.${i}`])}`,
    );
  });
  return `${lines.join('\n')}\n`;
}
