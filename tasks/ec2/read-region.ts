/**
 * One region's part of the world read: every listed table's VIP routes and the health of
 * attachments, ENIs and instances, in one concurrent wave of paced calls.
 */
import {
  type EC2Client,
  paginateDescribeInstances,
  paginateDescribeNetworkInterfaces,
  paginateDescribeRouteTables,
  paginateDescribeTransitGatewayAttachments,
  paginateSearchTransitGatewayRoutes,
} from '@aws-sdk/client-ec2';
import type { z } from 'zod';
import type { Health, ObservedRoute, RegionFault } from '../world';
import { classifyError, Ec2Error } from './classify-error';
import { paced } from './pacing';
import {
  Attachments,
  Instances,
  isVipDestination,
  NetworkInterfaces,
  RouteTables,
  TgwRoutes,
  tgwRouteState,
  type VpcRoute,
  vpcDestination,
  vpcRouteState,
  vpcTarget,
} from './read-shapes';

/** What one region must answer. */
export interface RegionQuery {
  readonly vpcTables: string[];
  readonly tgwTables: string[];
  readonly attachments: string[];
  readonly networkInterfaces: string[];
  readonly instances: string[];
}

const chunks = <T>(items: readonly T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));

/** Describe calls take up to this many IDs or filter values at once. */
const BATCH = 100;

export interface RegionReading {
  routes: ObservedRoute[];
  health: Health;
}

/** Set once a region's call fails with a non-permanent error; the region's other calls stop early. */
interface RegionLatch {
  fault?: { error: unknown };
}

export async function readRegion(
  client: EC2Client,
  region: string,
  query: RegionQuery,
  vips: readonly string[],
): Promise<RegionReading | RegionFault> {
  const latch: RegionLatch = {};
  const call = <T>(task: () => Promise<T>): Promise<T> =>
    paced(client, async () => {
      if (latch.fault) throw latch.fault.error;
      try {
        return await task();
      } catch (error) {
        if (classifyError(error).class !== 'permanent') latch.fault ??= { error };
        throw error;
      }
    });

  const routes: ObservedRoute[] = [];
  const health: Health = { attachments: {}, networkInterfaces: {}, instances: {} };

  const vpcReads = chunks(query.vpcTables, BATCH).map((tables) =>
    call(async () => {
      const found = new Map<string, VpcRoute[]>();
      try {
        for await (const page of paginateDescribeRouteTables({ client }, { RouteTableIds: [...tables] })) {
          for (const table of RouteTables.parse(page.RouteTables ?? []))
            found.set(table.RouteTableId, table.Routes);
        }
      } catch (error) {
        const c = classifyError(error);
        if (c.class !== 'permanent') throw error;
        throw new Ec2Error(`route tables ${tables.join(', ')} in ${region}: ${c.code}: ${c.message}`, {
          code: c.code,
          region,
          errorClass: c.class,
          cause: error,
        });
      }
      for (const table of tables) {
        const tableRoutes = found.get(table);
        if (!tableRoutes) {
          throw new Ec2Error(
            `route table ${table} in ${region}: InvalidRouteTableID.NotFound: AWS did not return it`,
            {
              code: 'InvalidRouteTableID.NotFound',
              region,
              errorClass: 'permanent',
            },
          );
        }
        for (const vip of vips) {
          const route = tableRoutes.find((r) => isVipDestination(vpcDestination(r), vip));
          routes.push(
            route
              ? {
                  table,
                  vip,
                  target: vpcTarget(route),
                  state: vpcRouteState(route.State),
                }
              : { table, vip, target: null, state: 'missing' },
          );
        }
      }
    }),
  );

  const tgwReads = query.tgwTables.flatMap((table) =>
    vips.map((vip) =>
      call(async () => {
        const found: z.infer<typeof TgwRoutes> = [];
        try {
          // The search pages with NextToken like any other; a page may come back empty with a token.
          const pages = paginateSearchTransitGatewayRoutes(
            { client },
            {
              TransitGatewayRouteTableId: table,
              Filters: [{ Name: 'route-search.exact-match', Values: [vip] }],
            },
          );
          for await (const page of pages) found.push(...TgwRoutes.parse(page.Routes ?? []));
        } catch (error) {
          const c = classifyError(error);
          if (c.class !== 'permanent') throw error;
          throw new Ec2Error(`transit gateway route table ${table} in ${region}: ${c.code}: ${c.message}`, {
            code: c.code,
            region,
            errorClass: c.class,
            cause: error,
          });
        }
        // Deleted routes linger in searches for a while; for routing they are gone.
        const route = found.find(
          (r) => isVipDestination(r.DestinationCidrBlock, vip) && tgwRouteState(r.State) !== undefined,
        );
        const state = tgwRouteState(route?.State);
        routes.push(
          route && state
            ? {
                table,
                vip,
                target: route.TransitGatewayAttachments[0]?.TransitGatewayAttachmentId ?? null,
                state,
              }
            : { table, vip, target: null, state: 'missing' },
        );
      }),
    ),
  );

  // Describes filter by ID rather than list IDs, so an unknown ID is simply absent (-> `missing`)
  // instead of failing the whole batch with *.NotFound.
  const attachmentReads = chunks(query.attachments, BATCH).map((ids) =>
    call(async () => {
      const pages = paginateDescribeTransitGatewayAttachments(
        { client },
        { Filters: [{ Name: 'transit-gateway-attachment-id', Values: [...ids] }] },
      );
      for await (const page of pages) {
        for (const a of Attachments.parse(page.TransitGatewayAttachments ?? [])) {
          health.attachments[a.TransitGatewayAttachmentId] = a.State;
        }
      }
      for (const id of ids) health.attachments[id] ??= 'missing';
    }),
  );

  const eniReads = chunks(query.networkInterfaces, BATCH).map((ids) =>
    call(async () => {
      const pages = paginateDescribeNetworkInterfaces(
        { client },
        { Filters: [{ Name: 'network-interface-id', Values: [...ids] }] },
      );
      for await (const page of pages) {
        for (const eni of NetworkInterfaces.parse(page.NetworkInterfaces ?? [])) {
          health.networkInterfaces[eni.NetworkInterfaceId] = {
            status: eni.Status,
            instance: eni.Attachment?.InstanceId ?? null,
          };
        }
      }
      for (const id of ids) health.networkInterfaces[id] ??= { status: 'missing', instance: null };
    }),
  );

  // DescribeInstances reports SourceDestCheck per instance, which saves one
  // DescribeInstanceAttribute call per instance.
  const instanceReads = chunks(query.instances, BATCH).map((ids) =>
    call(async () => {
      const pages = paginateDescribeInstances(
        { client },
        { Filters: [{ Name: 'instance-id', Values: [...ids] }] },
      );
      for await (const page of pages) {
        for (const reservation of page.Reservations ?? []) {
          for (const instance of Instances.parse(reservation.Instances ?? [])) {
            health.instances[instance.InstanceId] = {
              state: instance.State.Name,
              sourceDestCheck: instance.SourceDestCheck,
            };
          }
        }
      }
      for (const id of ids) health.instances[id] ??= { state: 'missing', sourceDestCheck: true };
    }),
  );

  const settled = await Promise.allSettled([
    ...vpcReads,
    ...tgwReads,
    ...attachmentReads,
    ...eniReads,
    ...instanceReads,
  ]);
  const failures = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as unknown] : []));
  const permanent = failures.find((error) => classifyError(error).class === 'permanent');
  if (permanent !== undefined) {
    if (permanent instanceof Ec2Error) throw permanent;
    const c = classifyError(permanent);
    throw new Ec2Error(`reading ${region}: ${c.code}: ${c.message}`, {
      code: c.code,
      region,
      errorClass: c.class,
      cause: permanent,
    });
  }
  if (latch.fault) {
    const c = classifyError(latch.fault.error);
    return { region, code: c.code, message: c.message };
  }
  return { routes, health };
}
