/**
 * Validates an execution input against the deployed topology, before any AWS call. Everything the
 * input names must be something the deployment knows: the target node, and for a restore every
 * table, VIP and route target.
 */
import { ExecutionInput } from './contracts';
import { InvalidRequestError, UnknownNodeError } from './errors';
import { describeIssues, poisonKeyPaths } from './issues';
import type { SnapshotRoute } from './plan';
import { decodeRestoreTargets } from './restore-targets';
import { tablesOf } from './routing';
import type { Topology } from './topology';
import { routeKey } from './world';

/** Parses and checks `raw`; throws InvalidRequestError or UnknownNodeError with every problem listed. */
export function validateRequest(topology: Topology, raw: unknown): ExecutionInput {
  const poisoned = poisonKeyPaths(raw, 'input');
  if (poisoned.length > 0) {
    throw new InvalidRequestError(
      `execution input refused: forbidden key ${poisoned.join(', ')} (remove it; keys such as __proto__ and constructor are never valid)`,
    );
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new InvalidRequestError(
      `execution input refused: expected a JSON object like {"target":"<node>","requestedAt":"<ISO 8601>"}, got ${describeValue(raw)}`,
    );
  }
  const parsed = ExecutionInput.safeParse(raw);
  if (!parsed.success) {
    const lines = describeIssues(parsed.error.issues, 'input');
    throw new InvalidRequestError(`execution input refused:\n  ${lines.join('\n  ')}`);
  }
  const request = parsed.data;
  if (request.mode === 'drill' && request.restore) {
    throw new InvalidRequestError(
      'execution input refused: input.restore: a drill cannot restore; start a drill with only target, requestedAt, mode "drill" (and reason, requestedBy)',
    );
  }
  if (!Object.hasOwn(topology.nodes, request.target)) {
    throw new UnknownNodeError(
      `target ${request.target} is not a node of cluster ${topology.cluster}; known nodes: ${Object.keys(topology.nodes).join(', ')}`,
    );
  }
  if (request.restore) {
    // The compact form becomes the plain one here, so everything after validation sees routes.
    const decoded =
      'targets' in request.restore
        ? decodeRestoreTargets(topology, request.restore.targets)
        : { routes: request.restore.routes, problems: [] };
    const problems = [...decoded.problems, ...restoreProblems(topology, decoded.routes)];
    if (decoded.routes.length === 0 || decoded.routes.length > 10_000) {
      problems.push(`input.restore: ${decoded.routes.length} routes; a restore names 1 to 10000`);
    }
    if (problems.length > 0) {
      throw new InvalidRequestError(`restore input refused:\n  ${problems.join('\n  ')}`);
    }
    return { ...request, restore: { from: request.restore.from, routes: decoded.routes } };
  }
  return request;
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

/** Every route must address a table of the topology (kind and region too), one of its VIPs, and a known target. */
function restoreProblems(topology: Topology, routes: readonly SnapshotRoute[]): string[] {
  const tables = new Map(tablesOf(topology).map((t) => [t.table, t]));
  const vpcTargets = new Set([
    ...Object.values(topology.nodes).map((n) => n.eni),
    ...Object.values(topology.transitGateways).map((t) => t.id),
  ]);
  const tgwTargets = new Set([
    ...Object.values(topology.vpcs).map((v) => v.attachment),
    ...topology.peerings.map((p) => p.attachment),
  ]);
  const problems: string[] = [];
  const seen = new Set<string>();
  routes.forEach((route, i) => {
    const at = `input.restore.routes[${i}]`;
    const table = tables.get(route.table);
    if (!table) {
      problems.push(`${at}.table: ${route.table} is not a route table of cluster ${topology.cluster}`);
    } else {
      if (table.kind !== route.kind) {
        problems.push(`${at}.kind: ${route.table} is a ${table.kind} table, not ${route.kind}`);
      }
      if (table.region !== route.region) {
        problems.push(`${at}.region: ${route.table} is in ${table.region}, not ${route.region}`);
      }
    }
    if (!topology.vips.includes(route.vip)) {
      problems.push(
        `${at}.vip: non-VIP destination ${route.vip}; only ${topology.vips.join(', ')} may be written`,
      );
    }
    const known = route.kind === 'vpc' ? vpcTargets : tgwTargets;
    if (route.target !== null && !known.has(route.target)) {
      const what = route.kind === 'vpc' ? 'a node ENI or transit gateway' : 'a VPC or peering attachment';
      problems.push(`${at}.target: ${route.target} is not ${what} of cluster ${topology.cluster}`);
    }
    const key = routeKey(route.table, route.vip);
    if (seen.has(key)) problems.push(`${at}: duplicate route for ${route.vip} in ${route.table}`);
    seen.add(key);
  });
  return problems;
}
