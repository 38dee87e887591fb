/**
 * Current vs desired, pure: which VIP routes each step must create or replace, which are already
 * right, and a snapshot of every VIP route before the run (missing ones included).
 */
import { z } from 'zod';
import { type DesiredRoute, STEPS, Step } from './routing';
import type { Topology } from './topology';
import { type Observation, RouteState, routeKey, TableKind } from './world';

export const SnapshotRoute = z.strictObject({
  table: z.string(),
  kind: TableKind,
  region: z.string(),
  vip: z.string(),
  target: z.string().nullable(),
  state: RouteState,
});
export type SnapshotRoute = z.infer<typeof SnapshotRoute>;

export const Change = z.strictObject({
  table: z.string(),
  kind: TableKind,
  region: z.string(),
  vip: z.string(),
  step: Step,
  wave: z.number().int().nonnegative(),
  /** `create` when the route is missing; `replace` when it is wrong, blackholed, filtered, or could not be read. */
  action: z.enum(['create', 'replace']),
  previous: z.string().nullable(),
  previousState: RouteState,
  target: z.string(),
});
export type Change = z.infer<typeof Change>;

export const Plan = z.strictObject({
  /** Changes ordered by step, then wave, then table. */
  changes: z.array(Change),
  /** Desired routes that are already right. */
  unchanged: z.array(SnapshotRoute),
  /** Every desired route as it was before the run. */
  snapshot: z.array(SnapshotRoute),
});
export type Plan = z.infer<typeof Plan>;

const stepRank = (step: Step) => STEPS.indexOf(step);

/** Compares what `observation` shows with `desired` and lists what must change. */
export function planChanges(desired: readonly DesiredRoute[], observation: Observation): Plan {
  const observed = new Map(observation.routes.map((r) => [routeKey(r.table, r.vip), r]));
  const changes: Change[] = [];
  const unchanged: SnapshotRoute[] = [];
  const snapshot: SnapshotRoute[] = [];
  for (const want of desired) {
    const seen = observed.get(routeKey(want.table, want.vip));
    const before: SnapshotRoute = {
      table: want.table,
      kind: want.kind,
      region: want.region,
      vip: want.vip,
      target: seen?.target ?? null,
      state: seen?.state ?? 'unknown',
    };
    snapshot.push(before);
    // A blackholed route is wrong even when its target matches: the target is gone or detached. So
    // is a filtered one: it does not forward. A pending transit gateway route was just written to
    // this target and becomes active by itself; writing it again would only start it over.
    if ((before.state === 'active' || before.state === 'pending') && before.target === want.target) {
      unchanged.push(before);
      continue;
    }
    changes.push({
      table: want.table,
      kind: want.kind,
      region: want.region,
      vip: want.vip,
      step: want.step,
      wave: want.wave,
      action: before.state === 'missing' ? 'create' : 'replace',
      previous: before.target,
      previousState: before.state,
      target: want.target,
    });
  }
  return { changes: sortChanges(changes), unchanged, snapshot };
}

/**
 * The plan with every already-right route turned into a `replace` of itself. Used when an older run
 * of the cluster is still running: a write wave it started before this run began may land after
 * this run's read, so this run writes every desired route rather than trusting what it read.
 */
export function reassertAll(desired: readonly DesiredRoute[], plan: Plan): Plan {
  const wanted = new Map(desired.map((d) => [routeKey(d.table, d.vip), d]));
  const reasserted: Change[] = plan.unchanged.flatMap((route) => {
    const want = wanted.get(routeKey(route.table, route.vip));
    if (!want) return [];
    return [
      {
        table: want.table,
        kind: want.kind,
        region: want.region,
        vip: want.vip,
        step: want.step,
        wave: want.wave,
        action: 'replace' as const,
        previous: route.target,
        previousState: route.state,
        target: want.target,
      },
    ];
  });
  return { ...plan, changes: sortChanges([...plan.changes, ...reasserted]), unchanged: [] };
}

const sortChanges = (changes: Change[]): Change[] =>
  changes.sort(
    (a, b) =>
      stepRank(a.step) - stepRank(b.step) ||
      a.wave - b.wave ||
      a.table.localeCompare(b.table) ||
      a.vip.localeCompare(b.vip),
  );

/** The changes of one step, grouped into waves in order. */
export function wavesOf(changes: readonly Change[], step: Step): Change[][] {
  const byWave = new Map<number, Change[]>();
  for (const change of changes.filter((c) => c.step === step)) {
    byWave.set(change.wave, [...(byWave.get(change.wave) ?? []), change]);
  }
  return [...byWave.entries()].sort(([a], [b]) => a - b).map(([, wave]) => wave);
}

/**
 * The desired routes of a restore: the snapshot's targets, in destination-first order. Routes that
 * were missing or unreadable before are skipped: restoring them would need a delete, and this
 * project never deletes routes.
 *
 * Waves of the `tgw` step: routes to a VPC attachment (the restored node's TGW) are wave 0, routes to
 * a peering attachment wave 1, so the TGW that delivers to the VPC is right before traffic is sent
 * to it over a peering.
 */
export function restoreRoutes(
  topology: Topology,
  snapshot: readonly SnapshotRoute[],
): {
  desired: DesiredRoute[];
  skipped: SnapshotRoute[];
} {
  const peeringAttachments = new Set(topology.peerings.map((p) => p.attachment));
  const desired: DesiredRoute[] = [];
  const skipped: SnapshotRoute[] = [];
  for (const route of snapshot) {
    if (route.target === null || route.state === 'missing' || route.state === 'unknown') {
      skipped.push(route);
      continue;
    }
    const toNode = route.target.startsWith('eni-');
    desired.push({
      table: route.table,
      kind: route.kind,
      region: route.region,
      vip: route.vip,
      target: route.target,
      step: route.kind === 'tgw' ? 'tgw' : toNode ? 'local-vpc' : 'remote-vpc',
      wave: route.kind === 'tgw' && peeringAttachments.has(route.target) ? 1 : 0,
    });
  }
  return { desired, skipped };
}

/** What happened to one route in an update step. */
export const ChangeResult = z.strictObject({
  table: z.string(),
  kind: TableKind,
  region: z.string(),
  vip: z.string(),
  step: Step,
  previous: z.string().nullable(),
  target: z.string(),
  /**
   * `applied`: written now. `already-right`: the route was right at plan time and was left alone.
   * `failed`: AWS refused the write (`code`). `unreachable`: the region's EC2 API could not be reached.
   */
  /** `allowed`: a drill's dry-run write that EC2 would have accepted. */
  result: z.enum(['applied', 'already-right', 'failed', 'unreachable', 'allowed']),
  action: z.enum(['create', 'replace', 'none']),
  code: z.string().optional(),
  message: z.string().optional(),
  /**
   * Attempts the SDK made, retries included (1 when the first call succeeded). Absent on results
   * rebuilt from a step's counts: the step reports attempts for its failures only.
   */
  attempts: z.number().int().nonnegative().optional(),
});
export type ChangeResult = z.infer<typeof ChangeResult>;
