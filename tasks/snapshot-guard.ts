/**
 * The stale-run guard of a direct run (DESIGN section 5, "Direct runs"). A direct run has no
 * execution to compare with newer executions, so before each write step it reads the VIP routes
 * again and compares them with its own plan's snapshot: a route that another writer changed since
 * the plan means a newer failover (or a person) is at work, and this run must not undo it.
 *
 * Pure: fed the plan, the writes this run made and a fresh observation; reads no clock, calls no AWS.
 */
import { SupersededError } from './errors';
import type { ChangeResult, SnapshotRoute } from './plan';
import { type Observation, routeKey } from './world';

/** A VIP route whose target is no longer what this run left it at. */
export interface Drift {
  readonly table: string;
  readonly region: string;
  readonly vip: string;
  /** What the plan read, or what this run wrote since. */
  readonly expected: string | null;
  readonly found: string | null;
}

/**
 * Every snapshot route whose target differs from what this run expects: the snapshot's target, or
 * the target this run wrote to it. Only targets are compared: a route that turned `blackhole` kept
 * its target (its attachment or ENI changed, not a writer). Routes of regions that could not be read,
 * now or at plan time, are not judged.
 */
export function driftSince(
  snapshot: readonly SnapshotRoute[],
  written: readonly ChangeResult[],
  observation: Observation,
): Drift[] {
  const ours = new Map(
    written.filter((r) => r.result === 'applied').map((r) => [routeKey(r.table, r.vip), r.target]),
  );
  const seen = new Map(observation.routes.map((r) => [routeKey(r.table, r.vip), r]));
  const drift: Drift[] = [];
  for (const route of snapshot) {
    if (route.state === 'unknown') continue;
    const key = routeKey(route.table, route.vip);
    const now = seen.get(key);
    if (!now || now.state === 'unknown') continue;
    const expected = ours.has(key) ? (ours.get(key) ?? null) : route.target;
    const found = now.state === 'missing' ? null : now.target;
    if (found !== expected)
      drift.push({ table: route.table, region: route.region, vip: route.vip, expected, found });
  }
  return drift;
}

/** Throws SupersededError, naming the changed routes, when any route drifted since the plan. */
export function assertSnapshotHolds(
  snapshot: readonly SnapshotRoute[],
  written: readonly ChangeResult[],
  observation: Observation,
  before: string,
): void {
  const drift = driftSince(snapshot, written, observation);
  if (drift.length === 0) return;
  const shown = drift
    .slice(0, 5)
    .map((d) => `${d.table} (${d.region}) ${d.vip}: ${d.expected ?? 'no route'} -> ${d.found ?? 'no route'}`);
  const more = drift.length > 5 ? `\n  ... and ${drift.length - 5} more` : '';
  throw new SupersededError(
    `another writer changed ${drift.length} VIP route(s) since this direct run planned, so a newer ` +
      `failover is likely under way; this run stops before ${before} without writing more:\n  ` +
      `${shown.join('\n  ')}${more}\nCheck where the routes lead with \`vipctl status\`.`,
  );
}
