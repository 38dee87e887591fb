/**
 * The in-memory EC2 world of local AWS, kept apart per region like AWS does. Plain JSON data, so a
 * snapshot is a deep copy that can be written to the state file and restored as is.
 * The EC2 Query handlers (`local/ec2/*`) read and write it; tests read every route with `allRoutes()`
 * and inject drift with `setRoute()` / `deleteRoute()`.
 */

export interface Vpc {
  readonly id: string;
  readonly cidr: string;
  /** The VPC's IPv6 CIDR, when the topology gives one. */
  readonly ipv6Cidr?: string;
  state: 'available' | 'pending';
}

export interface Subnet {
  readonly id: string;
  readonly vpcId: string;
  readonly cidr: string;
  readonly availabilityZone: string;
}

/** What a VPC route sends traffic to. `local` is the VPC's own CIDR (gateway `local`). */
export type VpcRouteTarget =
  | { readonly kind: 'local' }
  | { readonly kind: 'gateway'; readonly id: string }
  | { readonly kind: 'transitGateway'; readonly id: string }
  | { readonly kind: 'networkInterface'; readonly id: string }
  /** A target local AWS does not model (`pcx-…`, `nat-…`, `i-…` set by drift injection); always active. */
  | { readonly kind: 'other'; readonly id: string };

export interface VpcRoute {
  readonly destination: string;
  target: VpcRouteTarget;
  /** `CreateRouteTable` for routes that came with the table (local), `CreateRoute` otherwise. */
  readonly origin: 'CreateRouteTable' | 'CreateRoute';
  /** Set by tests (control API): the route reads as `filtered` (see vpcRouteState). */
  filtered?: boolean;
}

export interface RouteTableAssociation {
  readonly id: string;
  readonly subnetId?: string;
  readonly main: boolean;
}

export interface RouteTable {
  readonly id: string;
  readonly vpcId: string;
  readonly associations: RouteTableAssociation[];
  routes: VpcRoute[];
}

export interface NetworkInterface {
  readonly id: string;
  readonly vpcId: string;
  readonly subnetId: string;
  readonly privateIp: string;
  status: 'in-use' | 'available';
  /** The instance it is attached to, or null when detached. */
  instanceId: string | null;
  readonly attachmentId: string;
  sourceDestCheck: boolean;
}

export interface Instance {
  readonly id: string;
  readonly vpcId: string;
  readonly subnetId: string;
  readonly availabilityZone: string;
  readonly privateIp: string;
  state: 'running' | 'stopped' | 'pending' | 'stopping' | 'terminated';
  /** Mirrors the primary ENI's flag, as AWS does. */
  sourceDestCheck: boolean;
  readonly networkInterfaceIds: string[];
}

export interface InternetGateway {
  readonly id: string;
  readonly vpcId: string;
}

export interface TransitGateway {
  readonly id: string;
  state: 'available' | 'pending' | 'deleted';
  readonly defaultRouteTableId: string;
}

/** Each side's view of a peering: the requester is the first TGW of the topology's `between`. */
export interface PeeringInfo {
  readonly requester: { readonly transitGatewayId: string; readonly region: string };
  readonly accepter: { readonly transitGatewayId: string; readonly region: string };
}

export interface TgwAttachment {
  readonly id: string;
  /** The TGW of this region the attachment belongs to. */
  readonly transitGatewayId: string;
  readonly resourceType: 'vpc' | 'peering';
  /** VPC ID for `vpc`, the other side's TGW ID for `peering`. */
  readonly resourceId: string;
  state: 'available' | 'pendingAcceptance' | 'deleted' | 'failed' | 'pending';
  /** The TGW route table it is associated with. */
  associatedRouteTableId: string | null;
  readonly subnetIds: string[];
  readonly peering?: PeeringInfo;
}

/**
 * A TGW route on its way to `active` (`pending`, after a write) or out of the table (`deleting`, after a
 * delete). It ends once `readsLeft` searches have seen it and the clock has passed `until`.
 */
export interface TgwRoutePhase {
  readonly state: 'pending' | 'deleting';
  readsLeft: number;
  /** Epoch ms of the models' clock. */
  readonly until: number;
}

export interface TgwRoute {
  readonly destination: string;
  /** Null for a blackhole route created with `Blackhole=true`. */
  attachmentId: string | null;
  type: 'static' | 'propagated';
  phase?: TgwRoutePhase;
}

/** Who owns what, and what is shared with whom. Plain JSON: it is part of the world's snapshot. */
export interface Ownership {
  /** Resource ID -> owner account ID; absent: the home account. */
  readonly owners: Record<string, string>;
  /** Resource ID -> the other accounts that see it (RAM shares, attachments seen by both sides). */
  readonly sharedWith: Record<string, string[]>;
}

/** Route states as the EC2 API reports them. */
export type VpcRouteState = 'active' | 'blackhole' | 'filtered';
export type TgwRouteState = 'pending' | 'active' | 'blackhole' | 'deleting' | 'deleted';

export interface TgwRouteTable {
  readonly id: string;
  readonly transitGatewayId: string;
  routes: TgwRoute[];
}

export interface RegionWorld {
  vpcs: Record<string, Vpc>;
  subnets: Record<string, Subnet>;
  routeTables: Record<string, RouteTable>;
  networkInterfaces: Record<string, NetworkInterface>;
  instances: Record<string, Instance>;
  internetGateways: Record<string, InternetGateway>;
  transitGateways: Record<string, TransitGateway>;
  tgwAttachments: Record<string, TgwAttachment>;
  tgwRouteTables: Record<string, TgwRouteTable>;
}

export interface WorldData {
  readonly account: string;
  readonly regions: Record<string, RegionWorld>;
  /** Owner accounts and shares of resources (local/accounts.ts); absent: all in the home account. */
  readonly ownership?: Ownership;
}

/** One route of any table, flattened; `target` is the AWS ID it points at (`local` for local routes). */
export interface RouteRecord {
  readonly region: string;
  readonly kind: 'vpc' | 'tgw';
  readonly table: string;
  readonly destination: string;
  readonly target: string | null;
  readonly state: VpcRouteState | TgwRouteState;
  /** VPC routes: `CreateRouteTable` / `CreateRoute`; TGW routes: `static` / `propagated`. */
  readonly origin: string;
}

export const emptyRegion = (): RegionWorld => ({
  vpcs: {},
  subnets: {},
  routeTables: {},
  networkInterfaces: {},
  instances: {},
  internetGateways: {},
  transitGateways: {},
  tgwAttachments: {},
  tgwRouteTables: {},
});

/** The ID a VPC route target names (`local` for the local route). */
export const vpcTargetId = (target: VpcRouteTarget): string =>
  target.kind === 'local' ? 'local' : target.id;

/**
 * A VPC route is a blackhole when what it points at is gone or cannot forward. `filtered` is one of the
 * documented values (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_Route.html: active |
 * blackhole | filtered) without a documented cause that local AWS could derive, so only tests set it.
 */
export function vpcRouteState(region: RegionWorld, route: VpcRoute): VpcRouteState {
  if (route.filtered) return 'filtered';
  const { target } = route;
  switch (target.kind) {
    case 'local':
    case 'other':
      return 'active';
    case 'gateway':
      return region.internetGateways[target.id] ? 'active' : 'blackhole';
    case 'transitGateway':
      return region.transitGateways[target.id]?.state === 'available' ? 'active' : 'blackhole';
    case 'networkInterface': {
      const eni = region.networkInterfaces[target.id];
      if (!eni?.instanceId) return 'blackhole';
      return region.instances[eni.instanceId]?.state === 'running' ? 'active' : 'blackhole';
    }
  }
}

/**
 * A TGW route in a phase reads as that phase (`pending`, `deleting`); otherwise it is a blackhole when it
 * has no attachment or the attachment is not available.
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_TransitGatewayRoute.html (pending | active |
 * blackhole | deleting | deleted)
 */
export function tgwRouteState(region: RegionWorld, route: TgwRoute): TgwRouteState {
  if (route.phase) return route.phase.state;
  if (!route.attachmentId) return 'blackhole';
  return region.tgwAttachments[route.attachmentId]?.state === 'available' ? 'active' : 'blackhole';
}

/** Turns a target ID into a VPC route target by its prefix. */
export function vpcTargetFromId(id: string): VpcRouteTarget {
  if (id === 'local') return { kind: 'local' };
  if (/^eni-[0-9a-f]+$/.test(id)) return { kind: 'networkInterface', id };
  if (/^tgw-[0-9a-f]+$/.test(id)) return { kind: 'transitGateway', id };
  if (/^igw-[0-9a-f]+$/.test(id)) return { kind: 'gateway', id };
  return { kind: 'other', id };
}

export class LocalWorld {
  private data: { account: string; regions: Record<string, RegionWorld>; ownership?: Ownership };

  constructor(account: string, data?: WorldData) {
    this.data = data ? structuredClone(data) : { account, regions: {} };
  }

  get account(): string {
    return this.data.account;
  }

  /** Who owns what (local/accounts.ts); everything belongs to the home account unless set. */
  get ownership(): Ownership {
    return this.data.ownership ?? { owners: {}, sharedWith: {} };
  }

  set ownership(ownership: Ownership) {
    this.data.ownership = structuredClone(ownership);
  }

  /** The world of one region; an unknown region is an empty one, as in AWS. */
  region(name: string): RegionWorld {
    let region = this.data.regions[name];
    if (!region) {
      region = emptyRegion();
      this.data.regions[name] = region;
    }
    return region;
  }

  regions(): string[] {
    return Object.keys(this.data.regions).sort();
  }

  /** Every route of every VPC and TGW route table in every region, in a stable order. */
  allRoutes(): RouteRecord[] {
    const records: RouteRecord[] = [];
    for (const name of this.regions()) {
      const region = this.region(name);
      for (const table of Object.values(region.routeTables)) {
        for (const route of table.routes) {
          records.push({
            region: name,
            kind: 'vpc',
            table: table.id,
            destination: route.destination,
            target: vpcTargetId(route.target),
            state: vpcRouteState(region, route),
            origin: route.origin,
          });
        }
      }
      for (const table of Object.values(region.tgwRouteTables)) {
        for (const route of table.routes) {
          records.push({
            region: name,
            kind: 'tgw',
            table: table.id,
            destination: route.destination,
            target: route.attachmentId,
            state: tgwRouteState(region, route),
            origin: route.type,
          });
        }
      }
    }
    return records.sort(
      (a, b) =>
        a.region.localeCompare(b.region) ||
        a.table.localeCompare(b.table) ||
        a.destination.localeCompare(b.destination),
    );
  }

  /** Every route of the tables `account` owns (local/accounts.ts): that account's own state. */
  accountRoutes(account: string): RouteRecord[] {
    const owners = this.ownership.owners;
    return this.allRoutes().filter((r) => (owners[r.table] ?? this.account) === account);
  }

  /** The route of `table` for `destination`, or undefined. */
  findRoute(region: string, table: string, destination: string): RouteRecord | undefined {
    return this.allRoutes().find(
      (r) => r.region === region && r.table === table && r.destination === destination,
    );
  }

  /**
   * Creates or overwrites a route without any validation (drift injection in tests and via the control
   * endpoint). `target` is an AWS ID: `eni-…`, `tgw-…`, `igw-…` for VPC tables, `tgw-attach-…` or null
   * (blackhole) for TGW tables.
   */
  setRoute(region: string, table: string, destination: string, target: string | null): void {
    const world = this.region(region);
    const vpcTable = world.routeTables[table];
    if (vpcTable) {
      if (target === null) throw new Error(`a VPC route needs a target (table ${table})`);
      const existing = vpcTable.routes.find((r) => r.destination === destination);
      if (existing) existing.target = vpcTargetFromId(target);
      else vpcTable.routes.push({ destination, target: vpcTargetFromId(target), origin: 'CreateRoute' });
      return;
    }
    const tgwTable = world.tgwRouteTables[table];
    if (!tgwTable) throw new Error(`no route table ${table} in ${region}`);
    const existing = tgwTable.routes.find((r) => r.destination === destination);
    if (existing) {
      existing.attachmentId = target;
      existing.type = 'static';
    } else tgwTable.routes.push({ destination, attachmentId: target, type: 'static' });
  }

  /**
   * Puts a route in a state for tests: `filtered` (VPC routes), `pending` or `deleting` (TGW routes, for
   * `reads` searches and until `until`), or back to `active` (clears both).
   */
  setRouteState(
    region: string,
    table: string,
    destination: string,
    state: 'active' | 'filtered' | 'pending' | 'deleting',
    phase: { reads: number; until: number } = { reads: 1, until: 0 },
  ): void {
    const world = this.region(region);
    const vpcTable = world.routeTables[table];
    const tgwTable = world.tgwRouteTables[table];
    const route = (vpcTable?.routes ?? tgwTable?.routes)?.find((r) => r.destination === destination);
    if (!vpcTable && !tgwTable) throw new Error(`no route table ${table} in ${region}`);
    if (!route) throw new Error(`no route to ${destination} in ${table} (${region})`);
    if (vpcTable) {
      if (state === 'pending' || state === 'deleting')
        throw new Error(`VPC routes have no ${state} state; use filtered or active (table ${table})`);
      if (state === 'filtered') (route as VpcRoute).filtered = true;
      else delete (route as VpcRoute).filtered;
      return;
    }
    if (state === 'filtered')
      throw new Error(`TGW routes have no filtered state; use pending, deleting or active (table ${table})`);
    const tgwRoute = route as TgwRoute;
    if (state === 'active') delete tgwRoute.phase;
    else tgwRoute.phase = { state, readsLeft: phase.reads, until: phase.until };
  }

  /** Removes a route; true when there was one. */
  deleteRoute(region: string, table: string, destination: string): boolean {
    const world = this.region(region);
    const owner = world.routeTables[table] ?? world.tgwRouteTables[table];
    if (!owner) throw new Error(`no route table ${table} in ${region}`);
    const before = owner.routes.length;
    owner.routes = owner.routes.filter((r) => r.destination !== destination) as typeof owner.routes;
    return owner.routes.length < before;
  }

  snapshot(): WorldData {
    return structuredClone(this.data);
  }

  restore(data: WorldData): void {
    this.data = structuredClone(data) as typeof this.data;
  }
}
