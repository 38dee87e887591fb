/**
 * Drills (DESIGN section 5): what a failover to a node would meet, found without writing. Pure: the
 * planned world, the IAM resources a write names, and the reasons a drill is not ready.
 */
import type { Change, ChangeResult } from './plan';
import { failedOutcomeText, type Trace, type TraceStart } from './trace';
import { type Observation, routeKey } from './world';

/** The world as the plan would leave it: the observation with every planned change applied in memory. */
export function plannedWorld(observation: Observation, changes: readonly Change[]): Observation {
  const planned = new Map(changes.map((c) => [routeKey(c.table, c.vip), c]));
  return {
    ...observation,
    routes: observation.routes.map((route) => {
      const change = planned.get(routeKey(route.table, route.vip));
      return change ? { ...route, target: change.target, state: 'active' as const } : route;
    }),
  };
}

/** The EC2 action a change is written with. */
export function ec2ActionOf(change: Pick<ChangeResult, 'kind' | 'action'>): string {
  const verb = change.action === 'create' ? 'Create' : 'Replace';
  return `ec2:${verb}${change.kind === 'tgw' ? 'TransitGatewayRoute' : 'Route'}`;
}

/**
 * The resources IAM checks for a route write, per the Service Authorization Reference
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html): the route
 * table, and for a TGW route also the attachment it points at. `partition` and `account` are the run's
 * own (from its execution ARN).
 */
export function writeResourceArns(
  change: Pick<ChangeResult, 'kind' | 'table' | 'region' | 'target'>,
  partition: string,
  account: string,
): string[] {
  const arn = (type: string, id: string) => `arn:${partition}:ec2:${change.region}:${account}:${type}/${id}`;
  if (change.kind === 'vpc') return [arn('route-table', change.table)];
  return [
    arn('transit-gateway-route-table', change.table),
    ...(change.target ? [arn('transit-gateway-attachment', change.target)] : []),
  ];
}

/** One line per dry-run write that was not allowed: table, action, resources, AWS code. */
export function refusedWrites(
  results: readonly ChangeResult[],
  partition: string,
  account: string,
): string[] {
  return results
    .filter((r) => r.result === 'failed' || r.result === 'unreachable')
    .map((r) => {
      const why = r.result === 'unreachable' ? `region unreachable: ${r.code ?? ''}` : (r.code ?? 'failed');
      return (
        `${ec2ActionOf(r)} ${r.vip} -> ${r.target} in ${r.table} (${r.region}) on ` +
        `${writeResourceArns(r, partition, account).join(', ')}: ${why}`
      );
    });
}

/** One line per traced start that does not reach the target, and per unhealthy resource on the way. */
export function traceReasons(trace: Trace, target: string): string[] {
  const arrives = (s: TraceStart) => s.outcome.kind === 'arrives' && s.outcome.node === target;
  return [
    ...trace.starts
      .filter((s) => !arrives(s))
      .map((s) => `trace: ${s.table} (${s.region}) ${s.vip}: ${failedOutcomeText(s.outcome)}`),
    ...trace.health.map((h) => `health: ${h.resource}: ${h.problem}`),
  ];
}
