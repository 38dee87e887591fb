/**
 * Several accounts in one local AWS. Every seeded resource has an owner account (the home account unless
 * the topology says otherwise); a caller sees the resources of its own account plus what other accounts
 * share with it, and may write only its own route tables.
 *
 * - A caller's account comes from its access key: the credentials AssumeRole returned (they carry the
 *   role's account), a 12-digit access key ID (that account, as LocalStack does), else the home account.
 * - RAM-shared transit gateways: the owner shares the TGW with the accounts of the topology, so they see
 *   it and attach their VPCs, but only the owner may change its route tables ("After you share a transit
 *   gateway with another AWS account, the account owner can attach their VPCs to your transit gateway",
 *   https://docs.aws.amazon.com/vpc/latest/tgw/tgw-transit-gateways.html; "You cannot modify a transit
 *   gateway that has been shared with you", https://docs.aws.amazon.com/vpc/latest/tgw/tgw-modifying.html).
 *   A VPC attachment is seen by the VPC's owner and the TGW's owner, a peering attachment by both TGWs'
 *   owners.
 * - A route write to a table of another account answers `UnauthorizedOperation` (HTTP 403), EC2's code
 *   for a request the caller is not permitted to make
 *   (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html). Which of
 *   UnauthorizedOperation or InvalidRouteTableID.NotFound AWS answers for a table of an account that did
 *   not share it is not documented; local AWS answers the former for writes and the latter for reads.
 */
import type { Topology } from '../tasks/topology';
import type { Ownership, RegionWorld } from './world';

/** The session access key AssumeRole hands out embeds the role's account: `ASIA` + account + random. */
export const SESSION_KEY = /^ASIA(\d{12})[0-9A-F]{8}$/;

/** The account a request signed with `accessKey` acts as. */
export function accountOfKey(accessKey: string | undefined, home: string): string {
  if (accessKey === undefined) return home;
  const session = SESSION_KEY.exec(accessKey);
  if (session) return session[1]!;
  return /^\d{12}$/.test(accessKey) ? accessKey : home;
}

/** The owner (and sharing) of every resource the seed creates for `topology`. */
export function ownershipOf(topology: Topology, home: string): Ownership {
  const idOf = (key: string | undefined) => (key ? (topology.accounts?.[key]?.id ?? home) : home);
  const owners: Record<string, string> = {};
  const sharedWith: Record<string, string[]> = {};
  const everyone = [home, ...Object.values(topology.accounts ?? {}).map((a) => a.id)];
  const own = (id: string, account: string) => {
    if (account !== home) owners[id] = account;
  };
  const share = (id: string, accounts: readonly string[]) => {
    const list = new Set([...(sharedWith[id] ?? []), ...accounts]);
    sharedWith[id] = [...list].sort();
  };
  const derived = (prefix: string, id: string) => `${prefix}-${id.slice(id.lastIndexOf('-') + 1)}`;

  for (const tgw of Object.values(topology.transitGateways)) {
    const owner = idOf(tgw.account);
    own(tgw.id, owner);
    for (const table of tgw.routeTables) own(table, owner);
    // Shared through RAM with every account of the topology: they see it and attach to it.
    share(tgw.id, everyone);
  }
  for (const vpc of Object.values(topology.vpcs)) {
    const owner = idOf(vpc.account);
    const tgwOwner = idOf(topology.transitGateways[vpc.transitGateway]?.account);
    for (const id of [vpc.id, derived('igw', vpc.id), vpc.attachment]) own(id, owner);
    for (const table of vpc.routeTables) {
      own(table, owner);
      own(derived('subnet', table), owner);
    }
    share(vpc.attachment, [tgwOwner]);
  }
  for (const node of Object.values(topology.nodes)) {
    const owner = idOf(topology.vpcs[node.vpc]?.account);
    own(node.eni, owner);
    own(node.instance, owner);
  }
  for (const peering of topology.peerings) {
    const [a, b] = peering.between.map((name) => idOf(topology.transitGateways[name]?.account));
    own(peering.attachment, a!);
    share(peering.attachment, [b!]);
  }
  return { owners, sharedWith };
}

export class AccountView {
  constructor(
    private readonly ownership: () => Ownership,
    readonly home: string,
  ) {}

  ownerOf(id: string): string {
    return this.ownership().owners[id] ?? this.home;
  }

  sees(account: string, id: string): boolean {
    return this.ownerOf(id) === account || (this.ownership().sharedWith[id]?.includes(account) ?? false);
  }

  /**
   * The part of a region `account` sees. The records are filtered, the resources themselves are the
   * world's own objects, so a route written through the view lands in the world.
   */
  regionFor(account: string, region: RegionWorld): RegionWorld {
    if (Object.keys(this.ownership().owners).length === 0 && account === this.home) return region;
    const keep = <T>(records: Record<string, T>): Record<string, T> =>
      Object.fromEntries(Object.entries(records).filter(([id]) => this.sees(account, id)));
    return {
      vpcs: keep(region.vpcs),
      subnets: keep(region.subnets),
      routeTables: keep(region.routeTables),
      networkInterfaces: keep(region.networkInterfaces),
      instances: keep(region.instances),
      internetGateways: keep(region.internetGateways),
      transitGateways: keep(region.transitGateways),
      tgwAttachments: keep(region.tgwAttachments),
      tgwRouteTables: keep(region.tgwRouteTables),
    };
  }
}
