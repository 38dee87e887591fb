/**
 * Reads a whole topology's VIP routes and resource health in one concurrent wave, all regions at
 * once, and turns SDK shapes into domain types (world.ts) at the border.
 */
import { type AccountAccess, accessOf, CLI_SESSION_NAME } from '../accounts';
import { regionsOf } from '../routing';
import type { Topology } from '../topology';
import type { Health, Observation, ObservedRoute, RegionFault } from '../world';
import type { Ec2ClientFor } from './clients';
import { type RegionQuery, readRegion } from './read-region';

/**
 * What each region must answer: its own tables and resources, each once. A region with tables of other
 * accounts gets one query per account (key `<region>|<account key>`), each answered by that account.
 */
function queriesOf(topology: Topology): Map<string, RegionQuery> {
  // Every region in the topology's order; a region with tables of other accounts has more queries.
  const queries = new Map<string, RegionQuery>();
  const at = (region: string, account?: string) => {
    const key = account === undefined ? region : `${region}|${account}`;
    let query = queries.get(key);
    if (!query) {
      query = { vpcTables: [], tgwTables: [], attachments: [], networkInterfaces: [], instances: [] };
      queries.set(key, query);
    }
    return query;
  };
  for (const vpc of Object.values(topology.vpcs)) {
    at(vpc.region, vpc.account).vpcTables.push(...vpc.routeTables);
    // The VPC's owner sees its attachment, whoever owns the transit gateway.
    at(vpc.region, vpc.account).attachments.push(vpc.attachment);
  }
  for (const tgw of Object.values(topology.transitGateways))
    at(tgw.region, tgw.account).tgwTables.push(...tgw.routeTables);
  // A peering attachment has the same ID on both sides; each side reports its own view of it.
  for (const peering of topology.peerings) {
    for (const side of peering.between) {
      const tgw = topology.transitGateways[side];
      if (tgw) at(tgw.region, tgw.account).attachments.push(peering.attachment);
    }
  }
  for (const node of Object.values(topology.nodes)) {
    const vpc = topology.vpcs[node.vpc];
    if (!vpc) continue;
    at(vpc.region, vpc.account).networkInterfaces.push(node.eni);
    at(vpc.region, vpc.account).instances.push(node.instance);
  }
  for (const region of regionsOf(topology))
    if (![...queries.keys()].some((k) => k.split('|')[0] === region)) at(region);
  for (const query of queries.values()) {
    for (const list of Object.values(query) as string[][]) list.splice(0, list.length, ...new Set(list));
  }
  return queries;
}

/** When two regions report the same (peering) attachment differently, the worse state wins. */
function worseState(a: string | undefined, b: string): string {
  if (a === undefined || a === b || b === 'available') return a ?? b;
  return a === 'available' ? b : a;
}

/**
 * Reads every listed table's VIP routes and the health of attachments, ENIs and instances, all
 * regions at once. A region that cannot be reached within the budget yields `unknown` routes and a
 * fault in `unreachable`; a permanent error (access denied, a table that does not exist) throws
 * an {@link Ec2Error}.
 */
export async function readWorld(
  clientFor: Ec2ClientFor,
  topology: Topology,
  options: { readonly sessionName?: string } = {},
): Promise<Observation> {
  const queries = queriesOf(topology);
  const sessionName = options.sessionName ?? CLI_SESSION_NAME;
  const readings = await Promise.all(
    [...queries].map(async ([key, query]) => {
      const [region = key, account] = key.split('|');
      const access: AccountAccess | undefined = accessOf(topology, account, sessionName);
      return {
        query,
        reading: await readRegion(clientFor(region, access), region, query, topology.vips),
      };
    }),
  );

  const observed = new Map<string, ObservedRoute>();
  const health: Health = { attachments: {}, networkInterfaces: {}, instances: {} };
  const unreachable: RegionFault[] = [];
  for (const { query, reading } of readings) {
    if ('code' in reading) {
      unreachable.push(reading);
      for (const table of [...query.vpcTables, ...query.tgwTables]) {
        for (const vip of topology.vips) {
          observed.set(`${table}|${vip}`, { table, vip, target: null, state: 'unknown' });
        }
      }
      continue;
    }
    for (const route of reading.routes) observed.set(`${route.table}|${route.vip}`, route);
    for (const [id, state] of Object.entries(reading.health.attachments)) {
      health.attachments[id] = worseState(health.attachments[id], state);
    }
    Object.assign(health.networkInterfaces, reading.health.networkInterfaces);
    Object.assign(health.instances, reading.health.instances);
  }

  // One entry per (listed table, VIP), in topology order.
  const tables = [
    ...Object.values(topology.vpcs).flatMap((vpc) => vpc.routeTables),
    ...Object.values(topology.transitGateways).flatMap((tgw) => tgw.routeTables),
  ];
  const routes = [...new Set(tables)].flatMap((table) =>
    topology.vips.map(
      (vip) => observed.get(`${table}|${vip}`) ?? { table, vip, target: null, state: 'unknown' as const },
    ),
  );
  return { routes, health, unreachable };
}
