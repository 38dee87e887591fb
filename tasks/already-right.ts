/**
 * Routes that were right at plan time and are left alone, reported as results of their step so the
 * run's output lists every route it is responsible for.
 */
import { desiredState } from './desired-state';
import type { ChangeResult } from './plan';
import type { Step } from './routing';
import type { FullPlan } from './run-records';
import type { Topology } from './topology';
import { routeKey } from './world';

export function alreadyRightResults(topology: Topology, plan: FullPlan, step: Step): ChangeResult[] {
  const stepOf = new Map(
    desiredState(topology, plan.request).desired.map((d) => [routeKey(d.table, d.vip), d.step]),
  );
  return plan.plan.unchanged
    .filter((route) => route.target !== null && stepOf.get(routeKey(route.table, route.vip)) === step)
    .map((route) => ({
      table: route.table,
      kind: route.kind,
      region: route.region,
      vip: route.vip,
      step,
      previous: route.target,
      target: route.target ?? '',
      result: 'already-right' as const,
      action: 'none' as const,
      attempts: 0,
    }));
}
