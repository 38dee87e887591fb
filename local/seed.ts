/**
 * Builds the EC2 world of a topology: VPCs with one subnet per route table, the usual non-VIP routes
 * (local, the other VPCs via the TGW, a default route to an internet gateway), the nodes' ENIs and
 * instances, TGWs with their VPC and peering attachments and route tables, and the VIP routes pointing
 * at `active` per the routing rule (tasks/routing.ts) - or no VIP routes at all when `active` is null.
 */
import { desiredRoutes, peeringNextHops } from '../tasks/routing';
import type { Topology } from '../tasks/topology';
import { ownershipOf } from './accounts';
import { LocalWorld, type RouteTableAssociation, type VpcRoute } from './world';

/** `rtb-0abc` -> `subnet-0abc`: derived IDs stay unique and readable. */
const derive = (prefix: string, id: string): string => `${prefix}-${id.slice(id.lastIndexOf('-') + 1)}`;

function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}

function intToIpv4(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

/** The `index`-th subnet of `cidr`, 8 bits longer (at most /28). */
function subnetCidr(cidr: string, index: number): string {
  const [base, bits] = cidr.split('/') as [string, string];
  const prefix = Math.min(Number(bits) + 8, 28);
  const size = 2 ** (32 - prefix);
  return `${intToIpv4(ipv4ToInt(base) + index * size)}/${prefix}`;
}

/** A host address inside `cidr` (offset from the network address). */
function hostIn(cidr: string, offset: number): string {
  const [base] = cidr.split('/') as [string];
  return intToIpv4(ipv4ToInt(base) + offset);
}

/**
 * Seeds a fresh world from `topology`; VIP routes follow the rule with `active` active, or are absent.
 * Given `world`, seeds into it instead (another cluster of the same account, with IDs of its own).
 */
export function seedWorld(
  topology: Topology,
  account: string,
  active: string | null,
  world: LocalWorld = new LocalWorld(account),
): LocalWorld {
  const taken = Object.values(topology.vpcs).flatMap((vpc) =>
    vpc.routeTables.filter((table) => world.region(vpc.region).routeTables[table]),
  );
  if (taken.length > 0) {
    throw new Error(
      `cluster ${topology.cluster} names route tables another seeded cluster already has (${taken.join(', ')}): give each cluster IDs of its own`,
    );
  }
  if (topology.accounts) world.ownership = ownershipOf(topology, account);

  for (const tgw of Object.values(topology.transitGateways)) {
    const region = world.region(tgw.region);
    const defaultRouteTableId = tgw.routeTables[0]!;
    region.transitGateways[tgw.id] = { id: tgw.id, state: 'available', defaultRouteTableId };
    for (const table of tgw.routeTables) {
      region.tgwRouteTables[table] = { id: table, transitGatewayId: tgw.id, routes: [] };
    }
  }

  for (const vpc of Object.values(topology.vpcs)) {
    const region = world.region(vpc.region);
    const tgw = topology.transitGateways[vpc.transitGateway]!;
    const az = `${vpc.region}a`;
    region.vpcs[vpc.id] = {
      id: vpc.id,
      cidr: vpc.cidr,
      ...(vpc.ipv6Cidr ? { ipv6Cidr: vpc.ipv6Cidr } : {}),
      state: 'available',
    };
    const igw = derive('igw', vpc.id);
    region.internetGateways[igw] = { id: igw, vpcId: vpc.id };
    const subnetIds: string[] = [];
    vpc.routeTables.forEach((table, index) => {
      const subnetId = derive('subnet', table);
      subnetIds.push(subnetId);
      region.subnets[subnetId] = {
        id: subnetId,
        vpcId: vpc.id,
        cidr: subnetCidr(vpc.cidr, index),
        availabilityZone: az,
      };
      const routes: VpcRoute[] = [
        { destination: vpc.cidr, target: { kind: 'local' }, origin: 'CreateRouteTable' },
      ];
      // A VPC with an IPv6 CIDR has a local route for it too.
      if (vpc.ipv6Cidr)
        routes.push({ destination: vpc.ipv6Cidr, target: { kind: 'local' }, origin: 'CreateRouteTable' });
      for (const other of Object.values(topology.vpcs)) {
        if (other.id === vpc.id) continue;
        for (const destination of [other.cidr, ...(vpc.ipv6Cidr && other.ipv6Cidr ? [other.ipv6Cidr] : [])])
          routes.push({
            destination,
            target: { kind: 'transitGateway', id: tgw.id },
            origin: 'CreateRoute',
          });
      }
      // The first table of each VPC is the public one (A1 public, A2 private).
      if (index === 0)
        routes.push({
          destination: '0.0.0.0/0',
          target: { kind: 'gateway', id: igw },
          origin: 'CreateRoute',
        });
      const associations: RouteTableAssociation[] = [
        { id: derive('rtbassoc', table), subnetId, main: false },
      ];
      if (index === 0) associations.push({ id: derive('rtbassoc', `${table}f`), main: true });
      region.routeTables[table] = { id: table, vpcId: vpc.id, associations, routes };
    });
    region.tgwAttachments[vpc.attachment] = {
      id: vpc.attachment,
      transitGatewayId: tgw.id,
      resourceType: 'vpc',
      resourceId: vpc.id,
      state: 'available',
      associatedRouteTableId: tgw.routeTables[0]!,
      subnetIds,
    };
  }

  let hostOffset = 10;
  for (const node of Object.values(topology.nodes)) {
    const vpc = topology.vpcs[node.vpc]!;
    const region = world.region(vpc.region);
    // Nodes sit in the VPC's last (private) subnet.
    const subnetId = derive('subnet', vpc.routeTables[vpc.routeTables.length - 1]!);
    const subnet = region.subnets[subnetId]!;
    const privateIp = hostIn(subnet.cidr, hostOffset++);
    region.networkInterfaces[node.eni] = {
      id: node.eni,
      vpcId: vpc.id,
      subnetId,
      privateIp,
      status: 'in-use',
      instanceId: node.instance,
      attachmentId: derive('eni-attach', node.eni),
      sourceDestCheck: false,
    };
    region.instances[node.instance] = {
      id: node.instance,
      vpcId: vpc.id,
      subnetId,
      availabilityZone: subnet.availabilityZone,
      privateIp,
      state: 'running',
      sourceDestCheck: false,
      networkInterfaceIds: [node.eni],
    };
  }

  for (const peering of topology.peerings) {
    const [requesterName, accepterName] = peering.between;
    const requester = topology.transitGateways[requesterName]!;
    const accepter = topology.transitGateways[accepterName]!;
    const info = {
      requester: { transitGatewayId: requester.id, region: requester.region },
      accepter: { transitGatewayId: accepter.id, region: accepter.region },
    };
    // A peering attachment has one ID, visible in both regions from each side's own view.
    for (const [self, other] of [
      [requester, accepter],
      [accepter, requester],
    ] as const) {
      const region = world.region(self.region);
      if (region.tgwAttachments[peering.attachment]) continue; // same-region peering: one record
      region.tgwAttachments[peering.attachment] = {
        id: peering.attachment,
        transitGatewayId: self.id,
        resourceType: 'peering',
        resourceId: other.id,
        state: 'available',
        associatedRouteTableId: self.routeTables[0]!,
        subnetIds: [],
        peering: info,
      };
    }
  }

  // TGW tables: own VPCs propagated to their attachment, VPCs behind peerings static to the next hop.
  for (const [tgwName, tgw] of Object.entries(topology.transitGateways)) {
    const region = world.region(tgw.region);
    for (const vpc of Object.values(topology.vpcs)) {
      let route: { attachmentId: string; type: 'static' | 'propagated' } | undefined;
      if (vpc.transitGateway === tgwName) route = { attachmentId: vpc.attachment, type: 'propagated' };
      else {
        const hop = peeringNextHops(topology, vpc.transitGateway).get(tgwName);
        if (hop) route = { attachmentId: hop.attachment, type: 'static' };
      }
      if (!route) continue;
      for (const table of tgw.routeTables) {
        for (const destination of [vpc.cidr, ...(vpc.ipv6Cidr ? [vpc.ipv6Cidr] : [])])
          region.tgwRouteTables[table]!.routes.push({ destination, ...route });
      }
    }
  }

  if (active !== null) {
    for (const want of desiredRoutes(topology, active))
      world.setRoute(want.region, want.table, want.vip, want.target);
  }
  return world;
}
