/**
 * Transit gateways: their route tables (search and write routes), attachments (VPC and peering) and
 * associations. A peering attachment has one ID and is visible in both regions from each side's view.
 */
import { canonicalCidr, overlaps, parseCidr } from '../../tasks/ip-cidr';
import { partitionOf } from '../../tasks/partition';
import {
  type RegionWorld,
  type TgwAttachment,
  type TgwRoute,
  type TgwRouteTable,
  tgwRouteState,
} from '../world';
import type { ActionContext, Ec2Action } from './context';
import { CREATED, destinationOf, paginate, select } from './describe';
import { Ec2Error, ec2Errors } from './errors';
import type { QueryParams } from './query';
import type { XmlObject } from './xml';

function tableOf(params: QueryParams, world: RegionWorld): TgwRouteTable {
  const id = params.require('TransitGatewayRouteTableId');
  const table = world.tgwRouteTables[id];
  if (!table) throw ec2Errors.tgwRouteTableNotFound(id);
  return table;
}

function renderRoute(world: RegionWorld, route: TgwRoute, state?: string): XmlObject {
  const attachment = route.attachmentId ? world.tgwAttachments[route.attachmentId] : undefined;
  return {
    destinationCidrBlock: route.destination,
    transitGatewayAttachments: route.attachmentId
      ? [
          {
            resourceId: attachment?.resourceId,
            transitGatewayAttachmentId: route.attachmentId,
            resourceType: attachment?.resourceType,
          },
        ]
      : undefined,
    type: route.type,
    state: state ?? tgwRouteState(world, route),
  };
}

/** True when `outer` contains `inner` (both CIDRs of one family; different families never). */
function contains(outer: string, inner: string): boolean {
  const a = parseCidr(outer);
  const b = parseCidr(inner.includes('/') ? inner : `${inner}/${inner.includes(':') ? 128 : 32}`);
  return a !== undefined && b !== undefined && b.prefix >= a.prefix && overlaps(a, b);
}

/**
 * Ends the phases that are over (`pending` routes become active, `deleting` ones leave the table), then
 * returns a function that counts this search as one read of every route still in a phase.
 */
function settlePhases(table: TgwRouteTable, now: number): () => void {
  const over = (route: TgwRoute) =>
    route.phase !== undefined && route.phase.readsLeft <= 0 && now >= route.phase.until;
  table.routes = table.routes.filter((r) => !(over(r) && r.phase?.state === 'deleting'));
  for (const route of table.routes) if (over(route)) delete route.phase;
  return () => {
    for (const route of table.routes) if (route.phase) route.phase.readsLeft -= 1;
  };
}

const searchTransitGatewayRoutes: Ec2Action = (params, { world, models, region }) => {
  const table = tableOf(params, world);
  const filters = params.filters();
  if (filters.length === 0)
    throw new Ec2Error('MissingParameter', 'The request must contain the parameter filters');
  const countRead = settlePhases(table, models.now());
  const stale = models.staleRoutes(region, [table.id]).get(table.id);
  let routes = table.routes.filter((r) => !stale?.has(r.destination));
  if (stale) for (const previous of stale.values()) if (previous) routes.push(previous as TgwRoute);
  const attachmentOf = (r: TgwRoute) => (r.attachmentId ? world.tgwAttachments[r.attachmentId] : undefined);
  const fields: Record<string, (r: TgwRoute) => Array<string | undefined>> = {
    'route-search.exact-match': (r) => [r.destination],
    state: (r) => [tgwRouteState(world, r)],
    type: (r) => [r.type],
    'attachment.transit-gateway-attachment-id': (r) => [r.attachmentId ?? undefined],
    'attachment.resource-id': (r) => [attachmentOf(r)?.resourceId],
    'attachment.resource-type': (r) => [attachmentOf(r)?.resourceType],
  };
  for (const filter of filters) {
    if (filter.name === 'route-search.longest-prefix-match') {
      const best = new Map<string, TgwRoute>();
      for (const address of filter.values) {
        const candidates = routes.filter((r) => contains(r.destination, address));
        const longest = candidates.sort(
          (a, b) => Number(b.destination.split('/')[1]) - Number(a.destination.split('/')[1]),
        )[0];
        if (longest) best.set(longest.destination, longest);
      }
      routes = [...best.values()];
    } else if (filter.name === 'route-search.supernet-of-match') {
      routes = routes.filter((r) => filter.values.some((v) => contains(r.destination, v)));
    } else if (filter.name === 'route-search.subnet-of-match') {
      routes = routes.filter((r) => filter.values.some((v) => contains(v, r.destination)));
    } else {
      const field = fields[filter.name];
      if (!field) throw ec2Errors.invalidFilter(filter.name);
      // An exact match compares addresses, not spellings: `FD00::1/128` finds `fd00::1/128`.
      const wanted =
        filter.name === 'route-search.exact-match' ? filter.values.map(canonicalCidr) : filter.values;
      routes = routes.filter((r) => field(r).some((value) => value !== undefined && wanted.includes(value)));
    }
  }
  // MaxResults 5-1000 and NextToken, with AdditionalRoutesAvailable kept for older callers:
  // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_SearchTransitGatewayRoutes.html
  // (the SDK ships paginateSearchTransitGatewayRoutes on NextToken). Routes come in a stable order.
  routes.sort((a, b) => a.destination.localeCompare(b.destination));
  const page = paginate(routes, params, { min: 5, max: 1000, byDefault: 1000 });
  const rendered = page.items.map((r) => renderRoute(world, r));
  countRead();
  return {
    routeSet: rendered,
    additionalRoutesAvailable: page.nextToken !== undefined,
    nextToken: page.nextToken,
  };
};

/** The attachment a TGW route write names; it must belong to the table's TGW. */
function attachmentFor(params: QueryParams, world: RegionWorld, table: TgwRouteTable): string | null {
  const id = params.get('TransitGatewayAttachmentId');
  if (!id) {
    if (params.booleanParam('Blackhole')) return null;
    throw new Ec2Error(
      'MissingParameter',
      'The request must contain the parameter transitGatewayAttachmentId or blackhole',
    );
  }
  const attachment = world.tgwAttachments[id];
  if (!attachment) throw ec2Errors.attachmentNotFound(id);
  const sides = [
    attachment.transitGatewayId,
    attachment.peering?.requester.transitGatewayId,
    attachment.peering?.accepter.transitGatewayId,
  ];
  if (!sides.includes(table.transitGatewayId)) {
    throw new Ec2Error(
      'InvalidParameterValue',
      `Transit Gateway Attachment ${id} does not belong to Transit Gateway ${table.transitGatewayId} of route table ${table.id}.`,
    );
  }
  return id;
}

function write(
  context: ActionContext,
  table: TgwRouteTable,
  destination: string,
  next: TgwRoute | undefined,
) {
  const previous = table.routes.find((r) => r.destination === destination);
  const others = table.routes.filter((r) => r.destination !== destination);
  table.routes = next ? [...others, next] : others;
  context.models.noteWrite(context.region, table.id, destination, previous && structuredClone(previous));
  context.models.count('writes');
}

/** The route of `destination`, unless it is on its way out (`deleting`). */
const liveRoute = (table: TgwRouteTable, destination: string) =>
  table.routes.find((r) => r.destination === destination && r.phase?.state !== 'deleting');

/** A written route, `pending` first when the route-state model says so. */
function writtenRoute(context: ActionContext, destination: string, attachmentId: string | null): TgwRoute {
  const phase = context.models.tgwPhase('pending');
  return { destination, attachmentId, type: 'static', ...(phase ? { phase } : {}) };
}

const createTransitGatewayRoute: Ec2Action = (params, context) => {
  const table = tableOf(params, context.world);
  const destination = destinationOf(params);
  const attachmentId = attachmentFor(params, context.world, table);
  const existing = liveRoute(table, destination);
  // A static route may take the place of a propagated one; a second static route may not.
  if (existing?.type === 'static') throw ec2Errors.tgwRouteAlreadyExists(table.id, destination);
  const route = writtenRoute(context, destination, attachmentId);
  write(context, table, destination, route);
  return { route: renderRoute(context.world, route) };
};

const replaceTransitGatewayRoute: Ec2Action = (params, context) => {
  const table = tableOf(params, context.world);
  const destination = destinationOf(params);
  const attachmentId = attachmentFor(params, context.world, table);
  if (!liveRoute(table, destination)) throw ec2Errors.tgwRouteNotFound(table.id, destination);
  const route = writtenRoute(context, destination, attachmentId);
  write(context, table, destination, route);
  return { route: renderRoute(context.world, route) };
};

/** The route leaves at once (answered `deleted`), or passes through `deleting` when that model is on. */
const deleteTransitGatewayRoute: Ec2Action = (params, context) => {
  const table = tableOf(params, context.world);
  const destination = destinationOf(params);
  const existing = liveRoute(table, destination);
  if (existing?.type !== 'static') throw ec2Errors.tgwRouteNotFound(table.id, destination);
  const phase = context.models.tgwPhase('deleting');
  const leaving: TgwRoute | undefined = phase ? { ...structuredClone(existing), phase } : undefined;
  write(context, table, destination, leaving);
  return { route: renderRoute(context.world, existing, leaving ? 'deleting' : 'deleted') };
};

const describeTransitGateways: Ec2Action = (params, { world, account, region, ownerOf }) => {
  const tgws = select(Object.values(world.transitGateways), {
    ids: params.list('TransitGatewayIds'),
    idOf: (t) => t.id,
    notFound: (id) =>
      new Ec2Error(
        'InvalidTransitGatewayID.NotFound',
        `Transit Gateway ${id} was deleted or does not exist.`,
      ),
    filters: params.filters(),
    fields: {
      'transit-gateway-id': (t) => [t.id],
      state: (t) => [t.state],
      'owner-id': (t) => [ownerOf?.(t.id) ?? account],
    },
  });
  const page = paginate(tgws, params);
  return {
    transitGatewaySet: page.items.map((t) => ({
      transitGatewayId: t.id,
      // A RAM-shared TGW names its owner, not the caller (local/accounts.ts).
      transitGatewayArn: `arn:${partitionOf(region)}:ec2:${region}:${ownerOf?.(t.id) ?? account}:transit-gateway/${t.id}`,
      state: t.state,
      ownerId: ownerOf?.(t.id) ?? account,
      description: '',
      creationTime: CREATED,
      options: {
        amazonSideAsn: 64512,
        autoAcceptSharedAttachments: 'disable',
        defaultRouteTableAssociation: 'enable',
        associationDefaultRouteTableId: t.defaultRouteTableId,
        defaultRouteTablePropagation: 'enable',
        propagationDefaultRouteTableId: t.defaultRouteTableId,
        vpnEcmpSupport: 'enable',
        dnsSupport: 'enable',
        multicastSupport: 'disable',
      },
      tagSet: [],
    })),
    nextToken: page.nextToken,
  };
};

const attachmentFields = {
  'transit-gateway-attachment-id': (a: TgwAttachment) => [a.id],
  'transit-gateway-id': (a: TgwAttachment) => [a.transitGatewayId],
  'resource-type': (a: TgwAttachment) => [a.resourceType],
  'resource-id': (a: TgwAttachment) => [a.resourceId],
  state: (a: TgwAttachment) => [a.state],
  'association.transit-gateway-route-table-id': (a: TgwAttachment) => [a.associatedRouteTableId ?? undefined],
};

const describeTransitGatewayAttachments: Ec2Action = (params, { world, account, ownerOf }) => {
  const attachments = select(Object.values(world.tgwAttachments), {
    ids: params.list('TransitGatewayAttachmentIds'),
    idOf: (a) => a.id,
    notFound: ec2Errors.attachmentNotFound,
    filters: params.filters(),
    fields: attachmentFields,
  });
  const page = paginate(attachments, params);
  return {
    transitGatewayAttachments: page.items.map((a) => ({
      transitGatewayAttachmentId: a.id,
      transitGatewayId: a.transitGatewayId,
      transitGatewayOwnerId: ownerOf?.(a.transitGatewayId) ?? account,
      resourceOwnerId: ownerOf?.(a.resourceId) ?? account,
      resourceType: a.resourceType,
      resourceId: a.resourceId,
      state: a.state,
      association: a.associatedRouteTableId
        ? { transitGatewayRouteTableId: a.associatedRouteTableId, state: 'associated' }
        : undefined,
      creationTime: CREATED,
      tagSet: [],
    })),
    nextToken: page.nextToken,
  };
};

const describeTransitGatewayVpcAttachments: Ec2Action = (params, { world, account, ownerOf }) => {
  const attachments = select(
    Object.values(world.tgwAttachments).filter((a) => a.resourceType === 'vpc'),
    {
      ids: params.list('TransitGatewayAttachmentIds'),
      idOf: (a) => a.id,
      notFound: ec2Errors.attachmentNotFound,
      filters: params.filters(),
      fields: {
        'transit-gateway-attachment-id': attachmentFields['transit-gateway-attachment-id'],
        'transit-gateway-id': attachmentFields['transit-gateway-id'],
        state: attachmentFields.state,
        'vpc-id': (a) => [a.resourceId],
      },
    },
  );
  const page = paginate(attachments, params);
  return {
    transitGatewayVpcAttachments: page.items.map((a) => ({
      transitGatewayAttachmentId: a.id,
      transitGatewayId: a.transitGatewayId,
      vpcId: a.resourceId,
      vpcOwnerId: ownerOf?.(a.resourceId) ?? account,
      state: a.state,
      subnetIds: a.subnetIds,
      creationTime: CREATED,
      options: { dnsSupport: 'enable', ipv6Support: 'disable', applianceModeSupport: 'disable' },
      tagSet: [],
    })),
    nextToken: page.nextToken,
  };
};

const describeTransitGatewayPeeringAttachments: Ec2Action = (params, { world, account, ownerOf }) => {
  const attachments = select(
    Object.values(world.tgwAttachments).filter((a) => a.resourceType === 'peering'),
    {
      ids: params.list('TransitGatewayAttachmentIds'),
      idOf: (a) => a.id,
      notFound: ec2Errors.attachmentNotFound,
      filters: params.filters(),
      fields: {
        'transit-gateway-attachment-id': attachmentFields['transit-gateway-attachment-id'],
        'transit-gateway-id': (a) => [
          a.peering?.requester.transitGatewayId,
          a.peering?.accepter.transitGatewayId,
        ],
        state: attachmentFields.state,
      },
    },
  );
  const page = paginate(attachments, params);
  const tgwInfo = (side: { transitGatewayId: string; region: string } | undefined) =>
    side && {
      transitGatewayId: side.transitGatewayId,
      ownerId: ownerOf?.(side.transitGatewayId) ?? account,
      region: side.region,
    };
  return {
    transitGatewayPeeringAttachments: page.items.map((a) => ({
      transitGatewayAttachmentId: a.id,
      requesterTgwInfo: tgwInfo(a.peering?.requester),
      accepterTgwInfo: tgwInfo(a.peering?.accepter),
      options: { dynamicRouting: 'disable' },
      status: { code: a.state, message: a.state === 'available' ? 'Available' : a.state },
      state: a.state,
      creationTime: CREATED,
      tagSet: [],
    })),
    nextToken: page.nextToken,
  };
};

const describeTransitGatewayRouteTables: Ec2Action = (params, { world }) => {
  const isDefault = (t: TgwRouteTable) =>
    world.transitGateways[t.transitGatewayId]?.defaultRouteTableId === t.id;
  const tables = select(Object.values(world.tgwRouteTables), {
    ids: params.list('TransitGatewayRouteTableIds'),
    idOf: (t) => t.id,
    notFound: ec2Errors.tgwRouteTableNotFound,
    filters: params.filters(),
    fields: {
      'transit-gateway-route-table-id': (t) => [t.id],
      'transit-gateway-id': (t) => [t.transitGatewayId],
      state: () => ['available'],
      'default-association-route-table': (t) => [String(isDefault(t))],
      'default-propagation-route-table': (t) => [String(isDefault(t))],
    },
  });
  const page = paginate(tables, params);
  return {
    transitGatewayRouteTables: page.items.map((t) => ({
      transitGatewayRouteTableId: t.id,
      transitGatewayId: t.transitGatewayId,
      state: 'available',
      defaultAssociationRouteTable: isDefault(t),
      defaultPropagationRouteTable: isDefault(t),
      creationTime: CREATED,
      tagSet: [],
    })),
    nextToken: page.nextToken,
  };
};

const getTransitGatewayRouteTableAssociations: Ec2Action = (params, { world }) => {
  const table = tableOf(params, world);
  const associated = Object.values(world.tgwAttachments).filter((a) => a.associatedRouteTableId === table.id);
  const attachments = select(associated, {
    ids: [],
    idOf: (a) => a.id,
    notFound: ec2Errors.attachmentNotFound,
    filters: params.filters(),
    fields: {
      'transit-gateway-attachment-id': attachmentFields['transit-gateway-attachment-id'],
      'resource-type': attachmentFields['resource-type'],
      'resource-id': attachmentFields['resource-id'],
    },
  });
  const page = paginate(attachments, params);
  return {
    associations: page.items.map((a) => ({
      transitGatewayAttachmentId: a.id,
      resourceId: a.resourceId,
      resourceType: a.resourceType,
      state: 'associated',
    })),
    nextToken: page.nextToken,
  };
};

export const transitGatewayActions: Record<string, Ec2Action> = {
  SearchTransitGatewayRoutes: searchTransitGatewayRoutes,
  CreateTransitGatewayRoute: createTransitGatewayRoute,
  ReplaceTransitGatewayRoute: replaceTransitGatewayRoute,
  DeleteTransitGatewayRoute: deleteTransitGatewayRoute,
  DescribeTransitGateways: describeTransitGateways,
  DescribeTransitGatewayAttachments: describeTransitGatewayAttachments,
  DescribeTransitGatewayVpcAttachments: describeTransitGatewayVpcAttachments,
  DescribeTransitGatewayPeeringAttachments: describeTransitGatewayPeeringAttachments,
  DescribeTransitGatewayRouteTables: describeTransitGatewayRouteTables,
  GetTransitGatewayRouteTableAssociations: getTransitGatewayRouteTableAssociations,
};
