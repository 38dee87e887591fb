/**
 * VPC route tables: DescribeRouteTables, CreateRoute, ReplaceRoute, DeleteRoute.
 * A route write names exactly one target; the target must exist in the region and in the table's VPC.
 */
import {
  type RegionWorld,
  type RouteTable,
  type VpcRoute,
  type VpcRouteTarget,
  vpcRouteState,
} from '../world';
import type { ActionContext, Ec2Action } from './context';
import { paginate, select, vpcDestinationOf } from './describe';
import { Ec2Error, ec2Errors } from './errors';
import type { QueryParams } from './query';
import type { XmlObject } from './xml';

const TARGET_PARAMS = [
  'GatewayId',
  'TransitGatewayId',
  'NetworkInterfaceId',
  'InstanceId',
  'NatGatewayId',
  'VpcPeeringConnectionId',
  'EgressOnlyInternetGatewayId',
  'LocalGatewayId',
  'CarrierGatewayId',
  'VpcEndpointId',
  'CoreNetworkArn',
];

function tableOf(params: QueryParams, world: RegionWorld): RouteTable {
  const id = params.require('RouteTableId');
  const table = world.routeTables[id];
  if (!table) throw ec2Errors.routeTableNotFound(id);
  return table;
}

const differentNetworks = (table: RouteTable, other: string) =>
  new Ec2Error(
    'InvalidParameterValue',
    `route table ${table.id} and network ${other} belong to different networks`,
  );

/** The one target a write names, checked against the world. */
function targetOf(params: QueryParams, world: RegionWorld, table: RouteTable): VpcRouteTarget {
  const given = TARGET_PARAMS.filter((name) => params.get(name));
  if (given.length !== 1) {
    throw new Ec2Error(
      given.length === 0 ? 'MissingParameter' : 'InvalidParameterCombination',
      'The request must contain exactly one of gatewayId, natGatewayId, networkInterfaceId, vpcPeeringConnectionId, egressOnlyInternetGatewayId, transitGatewayId, localGatewayId, carrierGatewayId or instanceId',
    );
  }
  const name = given[0]!;
  const id = params.get(name)!;
  switch (name) {
    case 'NetworkInterfaceId': {
      const eni = world.networkInterfaces[id];
      if (!eni) throw ec2Errors.networkInterfaceNotFound(id);
      if (eni.vpcId !== table.vpcId) throw differentNetworks(table, id);
      return { kind: 'networkInterface', id };
    }
    case 'InstanceId': {
      const instance = world.instances[id];
      if (!instance) throw ec2Errors.instanceNotFound(id);
      if (instance.vpcId !== table.vpcId) throw differentNetworks(table, id);
      // AWS stores an instance target as its primary network interface.
      return { kind: 'networkInterface', id: instance.networkInterfaceIds[0]! };
    }
    case 'TransitGatewayId': {
      if (!world.transitGateways[id]) throw ec2Errors.transitGatewayNotFound(id);
      const attached = Object.values(world.tgwAttachments).some(
        (a) => a.transitGatewayId === id && a.resourceType === 'vpc' && a.resourceId === table.vpcId,
      );
      if (!attached) throw differentNetworks(table, id);
      return { kind: 'transitGateway', id };
    }
    case 'GatewayId': {
      const igw = world.internetGateways[id];
      if (!igw) throw ec2Errors.gatewayNotFound(id);
      if (igw.vpcId !== table.vpcId) throw differentNetworks(table, id);
      return { kind: 'gateway', id };
    }
    default:
      throw new Ec2Error(
        'InvalidParameterValue',
        `Value (${id}) for parameter ${name} is invalid: local AWS does not model this target type.`,
      );
  }
}

/** The XML element that names a target local AWS does not model, by its ID prefix. */
function otherTargetElement(id: string): string {
  if (id.startsWith('pcx-')) return 'vpcPeeringConnectionId';
  if (id.startsWith('nat-')) return 'natGatewayId';
  if (id.startsWith('i-')) return 'instanceId';
  if (id.startsWith('eigw-')) return 'egressOnlyInternetGatewayId';
  return 'gatewayId';
}

/**
 * A route names its destination in `destinationCidrBlock` (IPv4) or `destinationIpv6CidrBlock` (IPv6)
 * (Route: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_Route.html).
 */
const destinationElement = (destination: string): XmlObject =>
  destination.includes(':')
    ? { destinationIpv6CidrBlock: destination }
    : { destinationCidrBlock: destination };

function renderRoute(world: RegionWorld, route: VpcRoute, account: string): XmlObject {
  const { target } = route;
  if (target.kind === 'other') {
    return {
      ...destinationElement(route.destination),
      [otherTargetElement(target.id)]: target.id,
      state: vpcRouteState(world, route),
      origin: route.origin,
    };
  }
  const eni = target.kind === 'networkInterface' ? world.networkInterfaces[target.id] : undefined;
  return {
    ...destinationElement(route.destination),
    gatewayId: target.kind === 'local' ? 'local' : target.kind === 'gateway' ? target.id : undefined,
    transitGatewayId: target.kind === 'transitGateway' ? target.id : undefined,
    // Like AWS, a route to an attached ENI also names the instance behind it.
    instanceId: eni?.instanceId ?? undefined,
    instanceOwnerId: eni?.instanceId ? account : undefined,
    networkInterfaceId: target.kind === 'networkInterface' ? target.id : undefined,
    state: vpcRouteState(world, route),
    origin: route.origin,
  };
}

/** The routes a reader sees: stale entries show the state before the last write(s). */
function visibleRoutes(table: RouteTable, stale: Map<string, unknown> | undefined): VpcRoute[] {
  if (!stale) return table.routes;
  const routes: VpcRoute[] = [];
  for (const route of table.routes) {
    if (!stale.has(route.destination)) routes.push(route);
  }
  for (const previous of stale.values()) if (previous) routes.push(previous as VpcRoute);
  return routes;
}

const describeRouteTables: Ec2Action = (params, { world, account, models, region }) => {
  const tables = select(Object.values(world.routeTables), {
    ids: params.list('RouteTableId'),
    idOf: (t) => t.id,
    notFound: ec2Errors.routeTableNotFound,
    filters: params.filters(),
    fields: {
      'route-table-id': (t) => [t.id],
      'vpc-id': (t) => [t.vpcId],
      'owner-id': () => [account],
      'association.subnet-id': (t) => t.associations.map((a) => a.subnetId),
      'association.route-table-association-id': (t) => t.associations.map((a) => a.id),
      'association.main': (t) => t.associations.map((a) => String(a.main)),
      'route.destination-cidr-block': (t) =>
        t.routes.map((r) => (r.destination.includes(':') ? undefined : r.destination)),
      'route.destination-ipv6-cidr-block': (t) =>
        t.routes.map((r) => (r.destination.includes(':') ? r.destination : undefined)),
      'route.transit-gateway-id': (t) =>
        t.routes.map((r) => (r.target.kind === 'transitGateway' ? r.target.id : undefined)),
      'route.gateway-id': (t) => t.routes.map((r) => (r.target.kind === 'gateway' ? r.target.id : undefined)),
      'route.state': (t) => t.routes.map((r) => vpcRouteState(world, r)),
    },
  });
  const page = paginate(tables, params, { min: 5, max: 100 });
  const stale = models.staleRoutes(
    region,
    page.items.map((t) => t.id),
  );
  return {
    routeTableSet: page.items.map((table) => ({
      routeTableId: table.id,
      associationSet: table.associations.map((a) => ({
        main: a.main,
        routeTableAssociationId: a.id,
        routeTableId: table.id,
        subnetId: a.subnetId,
        associationState: { state: 'associated' },
      })),
      propagatingVgwSet: [],
      routeSet: visibleRoutes(table, stale.get(table.id)).map((route) => renderRoute(world, route, account)),
      tagSet: [],
      vpcId: table.vpcId,
      ownerId: account,
    })),
    nextToken: page.nextToken,
  };
};

function write(
  context: ActionContext,
  table: RouteTable,
  destination: string,
  change: (routes: VpcRoute[]) => VpcRoute[],
) {
  const previous = table.routes.find((r) => r.destination === destination);
  table.routes = change(table.routes);
  context.models.noteWrite(context.region, table.id, destination, previous && structuredClone(previous));
  context.models.count('writes');
}

const createRoute: Ec2Action = (params, context) => {
  const table = tableOf(params, context.world);
  const destination = vpcDestinationOf(params);
  const target = targetOf(params, context.world, table);
  if (table.routes.some((r) => r.destination === destination))
    throw ec2Errors.routeAlreadyExists(destination);
  write(context, table, destination, (routes) => [...routes, { destination, target, origin: 'CreateRoute' }]);
  return { return: true };
};

const replaceRoute: Ec2Action = (params, context) => {
  const table = tableOf(params, context.world);
  const destination = vpcDestinationOf(params);
  const target = targetOf(params, context.world, table);
  if (!table.routes.some((r) => r.destination === destination)) throw ec2Errors.noRouteToReplace(destination);
  write(context, table, destination, (routes) =>
    routes.map((r) => (r.destination === destination ? { ...r, target } : r)),
  );
  return { return: true };
};

const deleteRoute: Ec2Action = (params, context) => {
  const table = tableOf(params, context.world);
  const destination = vpcDestinationOf(params);
  const route = table.routes.find((r) => r.destination === destination);
  if (!route) throw ec2Errors.routeNotFound(table.id, destination);
  if (route.target.kind === 'local') {
    throw new Ec2Error(
      'InvalidParameterValue',
      `cannot remove local route ${destination} in route table ${table.id}`,
    );
  }
  write(context, table, destination, (routes) => routes.filter((r) => r.destination !== destination));
  return { return: true };
};

export const routeTableActions: Record<string, Ec2Action> = {
  DescribeRouteTables: describeRouteTables,
  CreateRoute: createRoute,
  ReplaceRoute: replaceRoute,
  DeleteRoute: deleteRoute,
};
